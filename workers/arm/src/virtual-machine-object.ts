// One Durable Object per virtual machine, keyed by its lower-cased resource id. Writes to a VM
// run one at a time here, and so does the propagation they cause: the service principal of the
// system-assigned identity in the authority, and the VM's configuration in IMDS.
//
// Every step that reaches another worker is idempotent and recorded before it is taken, so a
// failed operation leaves nothing half-made: it reports the failure, and the next write to the
// VM (or the retry) first finishes cleaning up (recover()).
import { DurableObject } from "cloudflare:workers";
import { createSelfSignedCertificate, type CertificateCredential } from "../../../shared/certificates";
import { randomHex } from "../../../shared/encoding";
import { ArmError, ArmErrors, type SerializedArmError } from "../../../shared/errors/arm";
import type { ImdsIdentity, VmImdsConfiguration } from "../../../shared/rpc";
import type { ArmEnv } from "./env";
import { identityTypeName } from "./identity-property";
import { desiredVm, instanceCompute, VM_TYPE, type VmDocument, type VmWriteRequest } from "./virtual-machines";
import { stubOf } from "../../../shared/durable";
import type { SubscriptionIndex } from "./subscription-index";

/** A managed identity's credential lives as long as Azure's do before rotation (90 days); the emulator never rotates. */
const CREDENTIAL_DAYS = 3650;

interface SystemIdentity {
  principalId: string;
  clientId: string;
  credential: CertificateCredential;
}

interface VmState {
  doc: VmDocument;
  subscriptionId: string;
  resourceGroup: string;
  tenantId: string;
  /** The VM's IMDS capability: its endpoint is {imds}/vms/{endpointKey}. */
  endpointKey: string;
  system: SystemIdentity | null;
}

/** Work a failed operation left to finish: principals to delete, an IMDS view to re-send. */
interface Recovery {
  orphanPrincipals: { tenantId: string; principalId: string }[];
  imdsStale: boolean;
  orphanEndpointKeys: string[];
}

export type ArmResult = { ok: true; status: number; body?: unknown } | { ok: false; error: SerializedArmError };

export class VirtualMachineObject extends DurableObject<ArmEnv> {
  private queue: Promise<unknown> = Promise.resolve();

  /** Runs operations on this VM strictly one after another, across awaits on other workers. */
  private serialized<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.queue.then(operation, operation);
    this.queue = run.catch(() => undefined);
    return run;
  }

  async read(): Promise<VmDocument | null> {
    return (await this.state())?.doc ?? null;
  }

  async endpointKey(): Promise<string | null> {
    return (await this.state())?.endpointKey ?? null;
  }

  async write(request: VmWriteRequest): Promise<ArmResult> {
    return this.serialized(() => asResult(() => this.applyWrite(request)));
  }

  async remove(): Promise<ArmResult> {
    return this.serialized(() => asResult(() => this.applyDelete()));
  }

  private async state(): Promise<VmState | null> {
    return (await this.ctx.storage.get<VmState>("state")) ?? null;
  }

  private async recovery(): Promise<Recovery> {
    return (await this.ctx.storage.get<Recovery>("recovery")) ?? { orphanPrincipals: [], imdsStale: false, orphanEndpointKeys: [] };
  }

  private async applyWrite(request: VmWriteRequest): Promise<{ status: number; body: unknown }> {
    await this.finishEarlierFailure();
    const current = await this.state();
    if (request.mode === "patch" && !current) {
      throw ArmErrors.resourceNotFound(VM_TYPE, request.name, request.resourceGroup);
    }
    const { doc, identity } = desiredVm(current?.doc ?? null, request);
    const endpointKey = current?.endpointKey ?? randomHex(20);
    const tenantId = request.tenantId;
    let system = current?.system ?? null;
    const recovery = await this.recovery();

    if (identity.system && !system) {
      // Azure gives a re-enabled identity a new principal; ids are chosen here so a retried
      // create in the authority converges on the same principal.
      const created: SystemIdentity = {
        principalId: crypto.randomUUID(),
        clientId: crypto.randomUUID(),
        credential: await createSelfSignedCertificate(doc.properties.vmId, CREDENTIAL_DAYS),
      };
      recovery.orphanPrincipals.push({ tenantId, principalId: created.principalId });
      if (!current) recovery.orphanEndpointKeys.push(endpointKey);
      await this.ctx.storage.put("recovery", recovery);
      try {
        await this.env.AAD.createManagedIdentityPrincipal({
          tenantId,
          objectId: created.principalId,
          appId: created.clientId,
          displayName: doc.name,
          alternativeNames: ["isExplicit=False", doc.id],
          credential: {
            certificate: created.credential.certificate,
            x5t: created.credential.x5t,
            x5tS256: created.credential.x5tS256,
            notBefore: created.credential.notBefore,
            notAfter: created.credential.notAfter,
          },
        });
      } catch (err) {
        await this.recover().catch(() => undefined);
        throw ArmErrors.dependencyFailed("creating the service principal of the system-assigned identity", message(err));
      }
      system = created;
    } else if (!identity.system && system) {
      try {
        await this.env.AAD.deleteServicePrincipal(tenantId, system.principalId);
      } catch (err) {
        throw ArmErrors.dependencyFailed("deleting the service principal of the system-assigned identity", message(err));
      }
      system = null;
    }

    if (system || identity.user) {
      doc.identity = {
        type: identityTypeName(identity),
        ...(system ? { principalId: system.principalId, tenantId } : {}),
      };
    } else {
      delete doc.identity;
    }

    const next: VmState = {
      doc,
      subscriptionId: request.subscriptionId,
      resourceGroup: request.resourceGroup,
      tenantId,
      endpointKey,
      system,
    };
    try {
      await this.env.IMDS.configureVm(endpointKey, imdsConfiguration(next));
    } catch (err) {
      // Undo what this operation added; keep the committed state as it was.
      if (system && system !== current?.system) {
        await this.recover().catch(() => undefined);
      } else if (current?.system && !system) {
        // The principal is already gone: commit its removal, and re-send IMDS's view later.
        await this.commit({ ...current, system: null, doc: withoutSystem(current.doc) }, { imdsStale: true });
      }
      throw ArmErrors.dependencyFailed("configuring the virtual machine's metadata service", message(err));
    }
    await this.commit(next, { imdsStale: false });
    await this.index().upsert({ id: doc.id, type: VM_TYPE, resourceGroup: request.resourceGroup });
    return { status: current ? 200 : 201, body: doc };
  }

  private async applyDelete(): Promise<{ status: number; body?: unknown }> {
    await this.finishEarlierFailure();
    const current = await this.state();
    if (!current) return { status: 204 };
    try {
      await this.env.IMDS.clearVm(current.endpointKey);
      if (current.system) await this.env.AAD.deleteServicePrincipal(current.tenantId, current.system.principalId);
    } catch (err) {
      throw ArmErrors.dependencyFailed("deleting the virtual machine's identity", message(err));
    }
    await this.index().remove(current.doc.id);
    await this.ctx.storage.deleteAll();
    return { status: 200 };
  }

  /** Commits the VM state and clears the recovery notes of this operation in one atomic write. */
  private async commit(state: VmState, flags: { imdsStale: boolean }): Promise<void> {
    await this.ctx.storage.put({
      state,
      recovery: { orphanPrincipals: [], imdsStale: flags.imdsStale, orphanEndpointKeys: [] } satisfies Recovery,
    });
  }

  private async finishEarlierFailure(): Promise<void> {
    try {
      await this.recover();
    } catch (err) {
      throw ArmErrors.dependencyFailed("finishing the clean-up of an earlier failed operation", message(err));
    }
  }

  /** Finishes what a failed operation left: deletes principals it created, re-sends IMDS's view. */
  private async recover(): Promise<void> {
    const recovery = await this.recovery();
    if (!recovery.orphanPrincipals.length && !recovery.imdsStale && !recovery.orphanEndpointKeys.length) return;
    const current = await this.state();
    const committed = current?.system?.principalId;
    for (const orphan of recovery.orphanPrincipals) {
      if (orphan.principalId !== committed) await this.env.AAD.deleteServicePrincipal(orphan.tenantId, orphan.principalId);
    }
    for (const key of recovery.orphanEndpointKeys) if (key !== current?.endpointKey) await this.env.IMDS.clearVm(key);
    if (current && (recovery.imdsStale || recovery.orphanPrincipals.length)) {
      await this.env.IMDS.configureVm(current.endpointKey, imdsConfiguration(current));
    }
    await this.ctx.storage.put("recovery", { orphanPrincipals: [], imdsStale: false, orphanEndpointKeys: [] } satisfies Recovery);
  }

  private index() {
    return stubOf<SubscriptionIndex>(this.env.SUBSCRIPTIONS, this.env.SUBSCRIPTION_ID.toLowerCase());
  }
}

function withoutSystem(doc: VmDocument): VmDocument {
  const { identity: _identity, ...rest } = doc;
  return rest as VmDocument;
}

function imdsConfiguration(state: VmState): VmImdsConfiguration {
  const identities: ImdsIdentity[] = [];
  if (state.system) {
    identities.push({
      kind: "SystemAssigned",
      clientId: state.system.clientId,
      principalId: state.system.principalId,
      tenantId: state.tenantId,
      resourceId: state.doc.id,
      credential: { privateKeyPkcs8: state.system.credential.privateKeyPkcs8, x5t: state.system.credential.x5t },
    });
  }
  return {
    vmResourceId: state.doc.id,
    compute: instanceCompute(state.doc, state.subscriptionId, state.resourceGroup),
    identities,
  };
}

async function asResult(operation: () => Promise<{ status: number; body?: unknown }>): Promise<ArmResult> {
  try {
    return { ok: true, ...(await operation()) };
  } catch (err) {
    if (err instanceof ArmError) return { ok: false, error: err.toJSON() };
    throw err;
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
