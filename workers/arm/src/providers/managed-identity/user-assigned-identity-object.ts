// One Durable Object per user-assigned identity, keyed by its lower-cased resource id. Its
// service principal lives exactly as long as it does. It remembers which hosts (VMs, App Service
// sites) use it, so that deleting it takes its credential away from every host's token endpoint
// (the hosts keep the reference, as in Azure). Lifecycle operations run one at a time; attach/detach only touch storage.
// A principal being created and a delete in progress are noted before their steps, and an alarm
// set with the note finishes them after a failure or a crash (recovery-alarm.ts).
import { reportFlow } from "../../../../../shared/flow";
import { DurableObject } from "cloudflare:workers";
import type { CertificateCredential } from "../../../../../shared/certificates";
import { stubOf } from "../../../../../shared/durable";
import { ArmErrors } from "../../../../../shared/errors/arm";
import type { FederatedCredential } from "../../../../../shared/rpc";
import type { ArmEnv } from "../../env";
import { asResult, errorMessage, SerialQueue, type OperationResult } from "../../operation";
import { failpoint } from "../../failpoints";
import { RECOVERY_RETRY_MS, scheduleRecovery } from "../../recovery-alarm";
import { isObject, normalizeLocation, validateTags } from "../../request-body";
import type { SubscriptionIndex } from "../resources/subscription-index";
import {
  FIC_TYPE,
  MAX_FEDERATED_CREDENTIALS,
  parseFederatedCredential,
  UAMI_TYPE,
  type FederatedCredentialDocument,
  type UamiDocument,
} from "./user-assigned-identities";
import { newPrincipalCredential } from "./credential-key-pool";
import { identityHostObject } from "./identity-hosts";

interface UamiState {
  doc: UamiDocument;
  resourceGroup: string;
  tenantId: string;
  credential: CertificateCredential;
  federated: FederatedCredentialDocument[];
  /** Lower-cased ids of the hosts (VMs, sites) this identity is attached to. */
  attachedTo: string[];
}

/** What a host needs of an identity it attaches: ids for its document, the credential for its token endpoint. */
export interface IdentityMaterial {
  id: string;
  principalId: string;
  clientId: string;
  tenantId: string;
  credential: { privateKeyPkcs8: string; x5t: string };
}

export interface UamiWrite {
  mode: "put" | "patch";
  id: string;
  name: string;
  resourceGroup: string;
  tenantId: string;
  body: Record<string, unknown>;
}


export class UserAssignedIdentityObject extends DurableObject<ArmEnv> {
  private readonly queue = new SerialQueue();

  private async state(): Promise<UamiState | null> {
    return (await this.ctx.storage.get<UamiState>("state")) ?? null;
  }

  /** The alarm set with a note: delete a principal a failed create left, finish a cut-off delete. */
  override async alarm(): Promise<void> {
    await this.queue.run(async () => {
      try {
        await this.finishEarlierFailure();
        if (await this.ctx.storage.get<boolean>("deleting")) await this.applyDelete();
      } catch {
        await scheduleRecovery(this.ctx.storage, RECOVERY_RETRY_MS);
      }
    });
  }

  async read(): Promise<UamiDocument | null> {
    const state = await this.state();
    return state && !(await this.ctx.storage.get<boolean>("deleting")) ? state.doc : null;
  }

  /** Records the host (a VM or a site, by lower-cased id) as a user of this identity; null when the identity does not exist (or is being deleted). */
  async attach(hostKey: string): Promise<IdentityMaterial | null> {
    const state = await this.state();
    if (!state || (await this.ctx.storage.get<boolean>("deleting"))) return null;
    if (!state.attachedTo.includes(hostKey)) {
      state.attachedTo.push(hostKey);
      await this.ctx.storage.put("state", state);
    }
    return {
      id: state.doc.id,
      principalId: state.doc.properties.principalId,
      clientId: state.doc.properties.clientId,
      tenantId: state.tenantId,
      credential: { privateKeyPkcs8: state.credential.privateKeyPkcs8, x5t: state.credential.x5t },
    };
  }

  async detach(hostKey: string): Promise<void> {
    const state = await this.state();
    if (!state || !state.attachedTo.includes(hostKey)) return;
    state.attachedTo = state.attachedTo.filter((k) => k !== hostKey);
    await this.ctx.storage.put("state", state);
  }

  async write(request: UamiWrite): Promise<OperationResult> {
    return this.queue.run(() => asResult(() => this.applyWrite(request)));
  }

  async remove(): Promise<OperationResult> {
    return this.queue.run(() => asResult(() => this.applyDelete()));
  }

  async federatedCredential(name: string): Promise<FederatedCredentialDocument | null> {
    const state = await this.state();
    return state?.federated.find((f) => f.name.toLowerCase() === name.toLowerCase()) ?? null;
  }

  async federatedCredentials(): Promise<FederatedCredentialDocument[] | null> {
    return (await this.state())?.federated ?? null;
  }

  async putFederatedCredential(name: string, body: Record<string, unknown>): Promise<OperationResult> {
    return this.queue.run(() =>
      asResult(async () => {
        const state = await this.requireState();
        const properties = parseFederatedCredential(body);
        const existing = state.federated.find((f) => f.name.toLowerCase() === name.toLowerCase());
        const clash = state.federated.find(
          (f) => f !== existing && f.properties.issuer === properties.issuer && f.properties.subject === properties.subject,
        );
        if (clash) {
          throw ArmErrors.conflict(
            "BadRequest",
            `A federated identity credential with the same issuer and subject already exists: '${clash.name}'.`,
          );
        }
        if (!existing && state.federated.length >= MAX_FEDERATED_CREDENTIALS) {
          throw ArmErrors.invalidParameter(
            `The maximum number of federated identity credentials (${MAX_FEDERATED_CREDENTIALS}) for this identity has been reached.`,
            "BadRequest",
          );
        }
        const doc: FederatedCredentialDocument = {
          id: `${state.doc.id}/federatedIdentityCredentials/${existing?.name ?? name}`,
          name: existing?.name ?? name,
          type: FIC_TYPE,
          properties,
        };
        const federated = existing ? state.federated.map((f) => (f === existing ? doc : f)) : [...state.federated, doc];
        await this.pushFederated(state, federated);
        await this.ctx.storage.put("state", { ...state, federated });
        return { status: existing ? 200 : 201, body: doc };
      }),
    );
  }

  async deleteFederatedCredential(name: string): Promise<OperationResult> {
    return this.queue.run(() =>
      asResult(async () => {
        const state = await this.requireState();
        const federated = state.federated.filter((f) => f.name.toLowerCase() !== name.toLowerCase());
        if (federated.length === state.federated.length) return { status: 204 };
        await this.pushFederated(state, federated);
        await this.ctx.storage.put("state", { ...state, federated });
        return { status: 200 };
      }),
    );
  }

  private async requireState(): Promise<UamiState> {
    const state = await this.state();
    if (!state || (await this.ctx.storage.get<boolean>("deleting"))) {
      throw ArmErrors.resourceNotFound(UAMI_TYPE, "identity", "resource group");
    }
    return state;
  }

  /** The authority learns the trust before ARM reports it, so a token exchange right after succeeds. */
  private async pushFederated(state: UamiState, federated: FederatedCredentialDocument[]): Promise<void> {
    const credentials: FederatedCredential[] = federated.map((f) => ({ name: f.name, ...f.properties }));
    try {
      await this.env.AAD.setFederatedCredentials(state.tenantId, state.doc.properties.principalId, credentials);
    } catch (err) {
      throw ArmErrors.dependencyFailed("updating the identity's federated credentials in the directory", errorMessage(err));
    }
  }

  private async applyWrite(request: UamiWrite): Promise<{ status: number; body: unknown }> {
    await this.finishEarlierFailure();
    const current = await this.state();
    const { body } = request;
    if (request.mode === "patch" && !current) throw ArmErrors.resourceNotFound(UAMI_TYPE, request.name, request.resourceGroup);
    const tags = body.tags === undefined ? undefined : validateTags(body.tags);
    if (body.properties !== undefined && body.properties !== null && !isObject(body.properties)) {
      throw ArmErrors.invalidRequestContent("properties must be an object");
    }
    const isolationScope = isObject(body.properties) && typeof body.properties.isolationScope === "string"
      ? body.properties.isolationScope
      : current?.doc.properties.isolationScope ?? "None";
    if (!["None", "Regional"].includes(isolationScope)) {
      throw ArmErrors.invalidParameter(`The isolation scope '${isolationScope}' is invalid. Allowed values are 'None' and 'Regional'.`);
    }
    let location = current?.doc.location;
    if (request.mode === "put") {
      if (typeof body.location !== "string" || !body.location.trim()) throw ArmErrors.locationRequired();
      location = normalizeLocation(body.location);
    } else if (body.location !== undefined) {
      location = normalizeLocation(String(body.location));
    }
    if (current && location !== current.doc.location) {
      throw ArmErrors.conflict("PropertyChangeNotAllowed", "Changing property 'location' is not allowed.");
    }

    if (current) {
      const doc: UamiDocument = {
        ...current.doc,
        tags: tags ?? (request.mode === "put" ? {} : current.doc.tags),
        properties: { ...current.doc.properties, isolationScope },
      };
      await this.ctx.storage.put("state", { ...current, doc });
      return { status: 200, body: doc };
    }

    const principalId = crypto.randomUUID();
    const clientId = crypto.randomUUID();
    // The key comes from the tenant's pool; if this create fails, the key is dropped with it (never reused).
    const credential = await newPrincipalCredential(this.env, request.tenantId, principalId, clientId, 3650);
    const doc: UamiDocument = {
      id: request.id,
      name: request.name,
      type: UAMI_TYPE,
      location: location!,
      tags: tags ?? {},
      properties: { isolationScope, tenantId: request.tenantId, principalId, clientId },
    };
    await this.ctx.storage.put("orphanPrincipal", { tenantId: request.tenantId, principalId });
    await scheduleRecovery(this.ctx.storage);
    try {
      await failpoint(this.env, "aad.createPrincipal");
      await this.env.AAD.createManagedIdentityPrincipal({
        tenantId: request.tenantId,
        objectId: principalId,
        appId: clientId,
        displayName: request.name,
        alternativeNames: ["isExplicit=True", doc.id],
        credential: {
          certificate: credential.certificate,
          x5t: credential.x5t,
          x5tS256: credential.x5tS256,
          notBefore: credential.notBefore,
          notAfter: credential.notAfter,
        },
      });
    } catch (err) {
      await this.finishEarlierFailure().catch(() => undefined);
      throw ArmErrors.dependencyFailed("creating the identity's service principal", errorMessage(err));
    }
    const state: UamiState = { doc, resourceGroup: request.resourceGroup, tenantId: request.tenantId, credential, federated: [], attachedTo: [] };
    // Listed first (a list skips an id whose object has no state), then committed with the note cleared.
    await this.index().upsert({ id: doc.id, type: UAMI_TYPE, resourceGroup: request.resourceGroup });
    try {
      await failpoint(this.env, "arm.beforeCommit");
      await this.ctx.storage.transaction(async (txn) => {
        await txn.put("state", state);
        await txn.delete("orphanPrincipal");
      });
    } catch (err) {
      await this.finishEarlierFailure().catch(() => undefined);
      throw ArmErrors.dependencyFailed("storing the identity", errorMessage(err));
    }
    // Steps 1-2 of the console's flow for a user-assigned identity (step 3 comes when a host attaches it).
    const ids = { resourceId: doc.id, principalId, clientId };
    reportFlow(this.env, this.ctx, { step: 1, kind: "identity-enabled", service: "arm" }, () => ({ ...ids, summary: `user-assigned identity ${doc.id} created`, detail: { type: UAMI_TYPE } }));
    reportFlow(this.env, this.ctx, { step: 2, kind: "principal-created", service: "arm" }, () => ({
      ...ids,
      summary: `service principal ${principalId} (client id ${clientId}) created in the tenant for the user-assigned identity`,
      detail: { servicePrincipalType: "ManagedIdentity", alternativeNames: ["isExplicit=True", doc.id], certificateThumbprint: credential.x5t, notAfter: credential.notAfter },
    }));
    return { status: 201, body: doc };
  }

  private async applyDelete(): Promise<{ status: number; body?: unknown }> {
    await this.finishEarlierFailure();
    const state = await this.state();
    if (!state) return { status: 204 };
    // From here on attach() refuses, even if a step below fails; the alarm finishes the delete.
    await this.ctx.storage.put("deleting", true);
    await scheduleRecovery(this.ctx.storage);
    try {
      await failpoint(this.env, "aad.deletePrincipal");
      await this.env.AAD.deleteServicePrincipal(state.tenantId, state.doc.properties.principalId);
    } catch (err) {
      throw ArmErrors.dependencyFailed("deleting the identity's service principal", errorMessage(err));
    }
    // Every host still using it (VM or site) loses the credential (the reference stays on the host, as in Azure).
    for (const hostKey of state.attachedTo) {
      await identityHostObject(this.env, hostKey).identityDeleted(state.doc.id.toLowerCase());
    }
    await this.index().remove(state.doc.id);
    await this.ctx.storage.deleteAll();
    await this.ctx.storage.deleteAlarm();
    reportFlow(this.env, this.ctx, { step: 2, kind: "identity-removed", service: "arm" }, () => ({
      resourceId: state.doc.id,
      principalId: state.doc.properties.principalId,
      clientId: state.doc.properties.clientId,
      summary: `user-assigned identity ${state.doc.id} deleted with its service principal; ${state.attachedTo.length} host(s) using it lost its credential`,
      detail: { attachedTo: state.attachedTo.length },
    }));
    return { status: 200 };
  }

  /** Deletes a principal a failed create left behind. */
  private async finishEarlierFailure(): Promise<void> {
    const orphan = await this.ctx.storage.get<{ tenantId: string; principalId: string }>("orphanPrincipal");
    if (!orphan) return;
    try {
      await this.env.AAD.deleteServicePrincipal(orphan.tenantId, orphan.principalId);
    } catch (err) {
      throw ArmErrors.dependencyFailed("finishing the clean-up of an earlier failed operation", errorMessage(err));
    }
    await this.ctx.storage.delete("orphanPrincipal");
  }

  private index() {
    return stubOf<SubscriptionIndex>(this.env.SUBSCRIPTIONS, this.env.SUBSCRIPTION_ID.toLowerCase());
  }
}
