// One Durable Object per virtual machine, keyed by its lower-cased resource id. Writes to a VM
// run one at a time here, and so does the propagation they cause: the service principal of the
// system-assigned identity in the authority, the user-assigned identities it attaches, and the
// VM's configuration in IMDS (always the complete set of identities, so IMDS can never keep a
// credential for an identity the VM no longer has).
//
// Every step that reaches another worker is idempotent and recorded before it is taken, so a
// failed operation leaves nothing half-made: it reports the failure, and the next operation on
// the VM (or the retry) first finishes cleaning up (recover()); so does an alarm set with the
// note, which fires after a crash and restart too (recovery-alarm.ts). Taking an identity away
// reconfigures IMDS before its principal is deleted, so IMDS never issues for a principal that is
// gone; a delete is marked first (provisioningState Deleting) and finished by recover() if cut off.
//
// The NICs the VM names must exist; each records the VM (its `virtualMachine`) before the VM's
// state is committed, and is let go once the VM no longer names it or is deleted. A NIC attached
// by an operation that then failed is noted for recover() like an orphan principal.
import { DurableObject } from "cloudflare:workers";
import { createSelfSignedCertificate, type CertificateCredential } from "../../../../../shared/certificates";
import { stubOf } from "../../../../../shared/durable";
import { randomHex } from "../../../../../shared/encoding";
import { ArmErrors } from "../../../../../shared/errors/arm";
import { resourceKey } from "../../../../../shared/resource-id";
import type { ImdsIdentity, VmImdsConfiguration } from "../../../../../shared/rpc";
import type { ArmEnv } from "../../env";
import { identityTypeName } from "../../identity-property";
import { asResult, errorMessage, SerialQueue, type OperationResult } from "../../operation";
import { failpoint } from "../../failpoints";
import { RECOVERY_RETRY_MS, scheduleRecovery } from "../../recovery-alarm";
import type { SubscriptionIndex } from "../resources/subscription-index";
import type { IdentityMaterial, UserAssignedIdentityObject } from "../managed-identity/user-assigned-identity-object";
import { attachVirtualMachine, detachVirtualMachine } from "../network/network-interface-type";
import { sameId } from "../network/network-store";
import { desiredVm, instanceCompute, networkInterfaceIds, VM_TYPE, type VmDocument, type VmWriteRequest } from "./virtual-machines";

/** The emulator never rotates managed-identity credentials, so they outlive any session. */
const CREDENTIAL_DAYS = 3650;

interface SystemIdentity {
  principalId: string;
  clientId: string;
  credential: CertificateCredential;
}

/** A user-assigned identity attached to the VM. `credential` is gone once the identity was deleted. */
interface AttachedIdentity {
  /** The key as the client wrote it (echoed in the VM's document). */
  key: string;
  material: Omit<IdentityMaterial, "credential">;
  credential: IdentityMaterial["credential"] | null;
}

interface VmState {
  doc: VmDocument;
  subscriptionId: string;
  resourceGroup: string;
  tenantId: string;
  /** The VM's IMDS capability: its endpoint is {imds}/vms/{endpointKey}. */
  endpointKey: string;
  system: SystemIdentity | null;
  /** By lower-cased identity id. */
  userAssigned: Record<string, AttachedIdentity>;
  /** Set before a delete's first step; recover() finishes the delete. */
  deleting?: boolean;
}

/** Work a failed operation left to finish: principals to delete, an IMDS view to re-send, NICs to let go. */
interface Recovery {
  orphanPrincipals: { tenantId: string; principalId: string }[];
  imdsStale: boolean;
  orphanEndpointKeys: string[];
  /** NICs an operation attached to the VM before it failed (absent in notes written before NICs were tracked). */
  orphanNics?: { nicId: string; vmId: string }[];
}

function pending(recovery: Recovery): boolean {
  return recovery.orphanPrincipals.length > 0 || recovery.imdsStale || recovery.orphanEndpointKeys.length > 0 || (recovery.orphanNics?.length ?? 0) > 0;
}

const CLEAN: Recovery = { orphanPrincipals: [], imdsStale: false, orphanEndpointKeys: [], orphanNics: [] };

export class VirtualMachineObject extends DurableObject<ArmEnv> {
  private readonly queue = new SerialQueue();

  async read(): Promise<VmDocument | null> {
    const state = await this.state();
    if (!state) return null;
    if (!state.deleting) return state.doc;
    return { ...state.doc, properties: { ...state.doc.properties, provisioningState: "Deleting" } };
  }

  async endpointKey(): Promise<string | null> {
    return (await this.state())?.endpointKey ?? null;
  }

  /** The system-assigned identity, for {vm}/providers/Microsoft.ManagedIdentity/identities/default. */
  async systemIdentity(): Promise<{ principalId: string; clientId: string; tenantId: string; doc: VmDocument } | null> {
    const state = await this.state();
    if (!state?.system) return null;
    return { principalId: state.system.principalId, clientId: state.system.clientId, tenantId: state.tenantId, doc: state.doc };
  }

  /** The alarm set with a recovery note: finish what a failed or cut-off operation left. */
  override async alarm(): Promise<void> {
    await this.queue.run(async () => {
      try {
        await this.recover();
      } catch {
        await scheduleRecovery(this.ctx.storage, RECOVERY_RETRY_MS);
      }
    });
  }

  async write(request: VmWriteRequest): Promise<OperationResult> {
    return this.queue.run(() => asResult(() => this.applyWrite(request)));
  }

  async remove(): Promise<OperationResult> {
    return this.queue.run(() => asResult(() => this.applyDelete()));
  }

  /** A user-assigned identity was deleted: the reference stays, the credential goes. */
  async identityDeleted(identityKey: string): Promise<void> {
    return this.queue.run(async () => {
      const state = await this.state();
      const attached = state?.userAssigned[identityKey];
      if (!state || !attached?.credential) return;
      const next: VmState = { ...state, userAssigned: { ...state.userAssigned, [identityKey]: { ...attached, credential: null } } };
      await this.commit(next, { imdsStale: true });
      await this.env.IMDS.configureVm(next.endpointKey, imdsConfiguration(next));
      await this.ctx.storage.put("recovery", CLEAN);
    });
  }

  private async state(): Promise<VmState | null> {
    return (await this.ctx.storage.get<VmState>("state")) ?? null;
  }

  private async recovery(): Promise<Recovery> {
    return (await this.ctx.storage.get<Recovery>("recovery")) ?? { ...CLEAN, orphanPrincipals: [], orphanEndpointKeys: [], orphanNics: [] };
  }

  /** Writes the recovery note ahead of a step and sets the alarm that finishes it if nothing else does. */
  private async note(recovery: Recovery): Promise<void> {
    await this.ctx.storage.put("recovery", recovery);
    if (pending(recovery)) await scheduleRecovery(this.ctx.storage);
  }

  private vmKey(state: { doc: VmDocument }): string {
    return resourceKey(state.doc.id);
  }

  private async applyWrite(request: VmWriteRequest): Promise<{ status: number; body: unknown }> {
    await this.finishEarlierFailure();
    const current = await this.state();
    if (request.mode === "patch" && !current) {
      throw ArmErrors.resourceNotFound(VM_TYPE, request.name, request.resourceGroup);
    }
    const { doc, identity, userAssigned: wanted } = desiredVm(current?.doc ?? null, request);
    const endpointKey = current?.endpointKey ?? randomHex(20);
    const tenantId = request.tenantId;
    const vmKey = resourceKey(doc.id);

    // User-assigned identities: keep what stays, attach what is new (it must exist), drop the rest.
    const userAssigned: Record<string, AttachedIdentity> = {};
    for (const [key, display] of wanted) {
      const kept = current?.userAssigned[key];
      if (kept) {
        userAssigned[key] = kept;
        continue;
      }
      const material = await stubOf<UserAssignedIdentityObject>(this.env.USER_ASSIGNED_IDENTITIES, key).attach(vmKey);
      if (!material) throw identityNotFound(display);
      const { credential, ...rest } = material;
      userAssigned[key] = { key: display, material: rest, credential };
    }
    const detached = Object.keys(current?.userAssigned ?? {}).filter((key) => !wanted.has(key));

    const recovery = await this.recovery();
    // NICs: each must exist and take the VM; one that is new to the VM is noted first, so a failure
    // further on lets it go again.
    const nics = networkInterfaceIds(doc);
    const previousNics = current ? networkInterfaceIds(current.doc) : [];
    const newNics = nics.filter((nic) => !previousNics.some((p) => sameId(p, nic)));
    if (newNics.length) {
      recovery.orphanNics = [...(recovery.orphanNics ?? []), ...newNics.map((nicId) => ({ nicId, vmId: doc.id }))];
      await this.note(recovery);
    }
    for (const nic of nics) await attachVirtualMachine(this.env, nic, doc.id, doc.location);

    let system = current?.system ?? null;
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
      await this.note(recovery);
      try {
        await failpoint(this.env, "aad.createPrincipal");
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
        throw ArmErrors.dependencyFailed("creating the service principal of the system-assigned identity", errorMessage(err));
      }
      system = created;
    }
    // A system-assigned identity taken away: its principal is deleted only after IMDS stops
    // issuing for it (below), and the deletion is noted first so it finishes even if cut off.
    const removedSystem = !identity.system && system ? system : null;
    if (removedSystem) system = null;

    const next: VmState = {
      doc: withIdentity(doc, identity.system || identity.user, system, tenantId, userAssigned),
      subscriptionId: request.subscriptionId,
      resourceGroup: request.resourceGroup,
      tenantId,
      endpointKey,
      system,
      userAssigned,
    };
    try {
      await failpoint(this.env, "imds.configureVm");
      await this.env.IMDS.configureVm(endpointKey, imdsConfiguration(next));
    } catch (err) {
      // Undo what this operation added (a new principal, a new IMDS base, new NICs); the committed
      // state stays as it was, and IMDS is re-sent that state: nothing was taken away yet.
      recovery.imdsStale = current !== null;
      await this.note(recovery);
      await this.recover().catch(() => undefined);
      throw ArmErrors.dependencyFailed("configuring the virtual machine's metadata service", errorMessage(err));
    }
    if (removedSystem) {
      recovery.orphanPrincipals.push({ tenantId, principalId: removedSystem.principalId });
      await this.note(recovery);
    }
    // Listed before it is committed: a list never misses a VM that exists (it skips one that does not).
    await this.index().upsert({ id: next.doc.id, type: VM_TYPE, resourceGroup: request.resourceGroup });
    await failpoint(this.env, "arm.beforeCommit");
    await this.commit(next, { imdsStale: false, keep: removedSystem ? recovery : undefined });
    if (removedSystem) {
      try {
        await failpoint(this.env, "aad.deletePrincipal");
        await this.env.AAD.deleteServicePrincipal(tenantId, removedSystem.principalId);
        await this.note({ ...CLEAN, orphanPrincipals: [], orphanEndpointKeys: [], orphanNics: [] });
      } catch {
        // The identity is gone from the VM and from IMDS; its principal's deletion is noted and
        // finishes on the alarm or the next operation. The write itself succeeded.
      }
    }
    await this.detachAll(detached, vmKey);
    await this.detachNics(previousNics.filter((nic) => !nics.some((n) => sameId(n, nic))), next.doc.id);
    return { status: current ? 200 : 201, body: next.doc };
  }

  private async applyDelete(): Promise<{ status: number; body?: unknown }> {
    await this.finishEarlierFailure();
    const state = await this.state();
    if (!state) return { status: 204 };
    // Marked first: whatever happens below, the delete is finished (by recover(), on the alarm or
    // the next operation), never forgotten.
    if (!state.deleting) {
      await this.ctx.storage.put("state", { ...state, deleting: true } satisfies VmState);
      await scheduleRecovery(this.ctx.storage);
    }
    try {
      await this.finishDelete();
    } catch (err) {
      throw ArmErrors.dependencyFailed("deleting the virtual machine's identity", errorMessage(err));
    }
    return { status: 200 };
  }

  /** The steps of a delete, each idempotent: IMDS first (no more tokens), then the principal, then the VM. */
  private async finishDelete(): Promise<void> {
    const current = await this.state();
    if (!current) return;
    await failpoint(this.env, "imds.clearVm");
    await this.env.IMDS.clearVm(current.endpointKey);
    if (current.system) {
      await failpoint(this.env, "aad.deletePrincipal");
      await this.env.AAD.deleteServicePrincipal(current.tenantId, current.system.principalId);
    }
    await this.index().remove(current.doc.id);
    // Deleting a VM never deletes a user-assigned identity; it only stops using it.
    await this.detachAll(Object.keys(current.userAssigned), this.vmKey(current));
    // Nor its NICs (deleteOption Delete is not emulated): they are free for another VM or a delete.
    await this.detachNics(networkInterfaceIds(current.doc), current.doc.id);
    await this.ctx.storage.deleteAll();
    await this.ctx.storage.deleteAlarm();
  }

  /** Best effort: a NIC left naming this VM is still free, since a NIC is in use only while the VM names it. */
  private async detachNics(nicIds: string[], vmId: string): Promise<void> {
    await Promise.all(nicIds.map((nic) => detachVirtualMachine(this.env, nic, vmId).catch(() => undefined)));
  }

  /** Best effort: a stale attachment only makes a later identity delete notify this VM for nothing. */
  private async detachAll(identityKeys: string[], vmKey: string): Promise<void> {
    await Promise.all(
      identityKeys.map((key) =>
        stubOf<UserAssignedIdentityObject>(this.env.USER_ASSIGNED_IDENTITIES, key).detach(vmKey).catch(() => undefined),
      ),
    );
  }

  /**
   * Commits the VM state and its recovery notes in one atomic write: clean, or (`keep`) the
   * principals still to delete after the commit (an identity taken away).
   */
  private async commit(state: VmState, flags: { imdsStale: boolean; keep?: Recovery }): Promise<void> {
    const recovery: Recovery = flags.keep
      ? { ...CLEAN, orphanPrincipals: flags.keep.orphanPrincipals.filter((o) => o.principalId !== state.system?.principalId), orphanEndpointKeys: [], orphanNics: [] }
      : { ...CLEAN, imdsStale: flags.imdsStale };
    await this.ctx.storage.put({ state, recovery });
    if (pending(recovery)) await scheduleRecovery(this.ctx.storage);
  }

  private async finishEarlierFailure(): Promise<void> {
    try {
      await this.recover();
    } catch (err) {
      throw ArmErrors.dependencyFailed("finishing the clean-up of an earlier failed operation", errorMessage(err));
    }
  }

  /** Finishes what a failed operation left: deletes principals it created, re-sends IMDS's view, ends a delete. */
  private async recover(): Promise<void> {
    if ((await this.state())?.deleting) {
      await this.finishDelete();
      return;
    }
    const recovery = await this.recovery();
    const orphanNics = recovery.orphanNics ?? [];
    if (!recovery.orphanPrincipals.length && !recovery.imdsStale && !recovery.orphanEndpointKeys.length && !orphanNics.length) return;
    const current = await this.state();
    const named = current ? networkInterfaceIds(current.doc) : [];
    for (const orphan of orphanNics) {
      if (!named.some((nic) => sameId(nic, orphan.nicId))) await detachVirtualMachine(this.env, orphan.nicId, orphan.vmId);
    }
    // IMDS first: it must issue only for the committed identities before any principal goes.
    for (const key of recovery.orphanEndpointKeys) if (key !== current?.endpointKey) await this.env.IMDS.clearVm(key);
    if (current && (recovery.imdsStale || recovery.orphanPrincipals.length)) {
      await this.env.IMDS.configureVm(current.endpointKey, imdsConfiguration(current));
    }
    const committed = current?.system?.principalId;
    for (const orphan of recovery.orphanPrincipals) {
      if (orphan.principalId !== committed) await this.env.AAD.deleteServicePrincipal(orphan.tenantId, orphan.principalId);
    }
    await this.ctx.storage.put("recovery", CLEAN);
  }

  private index() {
    return stubOf<SubscriptionIndex>(this.env.SUBSCRIPTIONS, this.env.SUBSCRIPTION_ID.toLowerCase());
  }
}

function identityNotFound(id: string) {
  return ArmErrors.invalidParameter(
    `Identity operation for resource failed: the user assigned identity '${id}' was not found. Resource '${id}' does not exist or one of its parents does not exist.`,
    "FailedIdentityOperation",
  );
}

/** The VM's `identity` as Azure answers it. */
function withIdentity(
  doc: VmDocument,
  any: boolean,
  system: SystemIdentity | null,
  tenantId: string,
  userAssigned: Record<string, AttachedIdentity>,
): VmDocument {
  const { identity: _previous, ...rest } = doc;
  if (!any) return rest as VmDocument;
  const entries = Object.values(userAssigned);
  return {
    ...rest,
    identity: {
      type: identityTypeName({ system: system !== null, user: entries.length > 0 }),
      ...(system ? { principalId: system.principalId, tenantId } : {}),
      ...(entries.length
        ? {
            userAssignedIdentities: Object.fromEntries(
              entries.map((e) => [e.key, { principalId: e.material.principalId, clientId: e.material.clientId }]),
            ),
          }
        : {}),
    },
  } as VmDocument;
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
  for (const attached of Object.values(state.userAssigned)) {
    if (!attached.credential) continue;
    identities.push({
      kind: "UserAssigned",
      clientId: attached.material.clientId,
      principalId: attached.material.principalId,
      tenantId: attached.material.tenantId,
      resourceId: attached.material.id,
      credential: attached.credential,
    });
  }
  return {
    vmResourceId: state.doc.id,
    compute: instanceCompute(state.doc, state.subscriptionId, state.resourceGroup),
    identities,
  };
}
