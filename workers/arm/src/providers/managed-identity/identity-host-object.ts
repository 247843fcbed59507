// The managed identities of a resource that hosts them (a virtual machine, an App Service site):
// one Durable Object per host, keyed by its lower-cased resource id, in which writes run one at a
// time, and so does the propagation they cause: the service principal of the system-assigned
// identity in the authority (display name = the resource's name, a certificate credential), the
// user-assigned identities it attaches, and the host's token endpoint (IMDS for a VM, the App
// Service identity endpoint for a site), always sent the complete set of identities, so it can
// never keep a credential for an identity the host no longer has.
//
// Every step that reaches another worker is idempotent and recorded before it is taken, so a
// failed operation leaves nothing half-made: it reports the failure, and the next operation on
// the host (or the retry) first finishes cleaning up (recover()); so does an alarm set with the
// note, which fires after a crash and restart too (recovery-alarm.ts). Taking an identity away
// reconfigures the endpoint before its principal is deleted, so it never issues for a principal
// that is gone; a delete is marked first (provisioningState Deleting) and finished by recover().
//
// What differs between hosts are hooks: the document's rules (desired), what else a write links
// before it commits (a VM's NICs, a site's global name), the endpoint's configuration, and the
// wording of failures.
import { DurableObject } from "cloudflare:workers";
import type { CertificateCredential } from "../../../../../shared/certificates";
import { stubOf } from "../../../../../shared/durable";
import { randomHex } from "../../../../../shared/encoding";
import { ArmErrors } from "../../../../../shared/errors/arm";
import { resourceKey } from "../../../../../shared/resource-id";
import type { ImdsIdentity } from "../../../../../shared/rpc";
import type { ArmEnv } from "../../env";
import { reportFlow, type FlowBody, type FlowHead } from "../../../../../shared/flow";
import { failpoint, type FailpointStep } from "../../failpoints";
import { identityTypeName, type IdentityKinds } from "../../identity-property";
import { asResult, errorMessage, SerialQueue, type OperationResult } from "../../operation";
import { RECOVERY_RETRY_MS, scheduleRecovery } from "../../recovery-alarm";
import type { WriteInput } from "../../resource-types";
import type { SubscriptionIndex } from "../resources/subscription-index";
import { newPrincipalCredential } from "./credential-key-pool";
import type { IdentityMaterial, UserAssignedIdentityObject } from "./user-assigned-identity-object";

/** The emulator never rotates managed-identity credentials, so they outlive any session. */
const CREDENTIAL_DAYS = 3650;

export interface SystemIdentity {
  principalId: string;
  clientId: string;
  credential: CertificateCredential;
}

/** A user-assigned identity attached to the host. `credential` is gone once the identity was deleted. */
export interface AttachedIdentity {
  /** The key as the client wrote it (echoed in the host's document). */
  key: string;
  material: Omit<IdentityMaterial, "credential">;
  credential: IdentityMaterial["credential"] | null;
}

export interface HostDocument {
  id: string;
  name: string;
  identity?: Record<string, unknown>;
  properties: Record<string, unknown>;
}

export interface HostState<D extends HostDocument> {
  doc: D;
  subscriptionId: string;
  resourceGroup: string;
  tenantId: string;
  /** The host's token endpoint capability (IMDS: {imds}/vms/{endpointKey}; sites: {imds}/sites/{endpointKey}/msi/token). */
  endpointKey: string;
  system: SystemIdentity | null;
  /** By lower-cased identity id. */
  userAssigned: Record<string, AttachedIdentity>;
  /** Set before a delete's first step; recover() finishes the delete. */
  deleting?: boolean;
}

/** Work a failed operation left to finish: principals to delete, an endpoint view to re-send, endpoints to clear (hosts add their own). */
export interface HostRecovery {
  orphanPrincipals: { tenantId: string; principalId: string }[];
  imdsStale: boolean;
  orphanEndpointKeys: string[];
}

export interface HostWriteRequest {
  mode: "put" | "patch";
  id: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  tenantId: string;
  body: Record<string, unknown>;
}

/** The write a host object gets from Resource Manager's generic write (resource-operations.ts): the request, and the tenant its principals belong to. */
export function hostWriteRequest(input: WriteInput, tenantId: string): HostWriteRequest {
  const { mode, id, name, subscriptionId, resourceGroup, body } = input;
  return { mode, id, name, subscriptionId, resourceGroup, tenantId, body };
}

/** What a write asks for: the document (identity still without principal ids) and the identities wanted. */
export interface DesiredHost<D> {
  doc: D;
  identity: IdentityKinds;
  /** Lower-cased id → id as the client wrote it. */
  userAssigned: Map<string, string>;
  /** What else the write asks of the host, validated with the document (a site's app settings), for nextState. */
  extra?: Record<string, unknown>;
}

/** How a host type names itself and its endpoint's steps. */
export interface HostTraits {
  /** The resource type (its 404 and its subscription index entries). */
  type: string;
  configureStep: FailpointStep;
  clearStep: FailpointStep;
  /** "configuring the virtual machine's metadata service" */
  configuring: string;
  /** "deleting the virtual machine's identity" */
  deleting: string;
}

export abstract class IdentityHostObject<
  D extends HostDocument,
  S extends HostState<D>,
  R extends HostRecovery,
  W extends HostWriteRequest,
> extends DurableObject<ArmEnv> {
  protected readonly queue = new SerialQueue();

  protected abstract readonly traits: HostTraits;
  /** The document a write asks for, validated against the current state (throws ArmError). */
  protected abstract desired(current: S | null, request: W): DesiredHost<D>;
  /** The subject of a new system-assigned identity's certificate. */
  protected abstract certificateSubject(doc: D): string;
  /** The host's full state from the identity state a write arrives at (hosts carry their own fields over). */
  protected abstract nextState(base: HostState<D>, current: S | null, request: W, desired: DesiredHost<D>): S;
  /** Sends the host's token endpoint everything it may issue for (replaces what it knew). */
  protected abstract configureEndpoint(state: S): Promise<void>;
  /** The token endpoint forgets the host. */
  protected abstract clearEndpoint(endpointKey: string): Promise<void>;
  /** A recovery note with nothing to do (a fresh object each time). */
  protected abstract cleanRecovery(): R;

  /** Whether the host's own part of a note has work left. */
  protected extraPending(_recovery: R): boolean {
    return false;
  }
  /** Links the write makes before the principal is created (noted in `recovery` first); throws ArmError. */
  protected async prepare(_current: S | null, _doc: D, _recovery: R, _desired: DesiredHost<D>): Promise<void> {}
  /** What to let go once a write is committed (links the host no longer makes). */
  protected async afterCommit(_current: S | null, _next: S): Promise<void> {}
  /** What to let go when the host is deleted, after its identities are gone. */
  protected async releaseOnDelete(_state: S): Promise<void> {}
  /** Undoes the host's own part of a note (before the endpoint and principals are reconciled). */
  protected async recoverExtra(_recovery: R, _current: S | null): Promise<void> {}

  async read(): Promise<D | null> {
    const state = await this.state();
    if (!state) return null;
    if (!state.deleting) return state.doc;
    return { ...state.doc, properties: { ...state.doc.properties, provisioningState: "Deleting" } };
  }

  async endpointKey(): Promise<string | null> {
    return (await this.state())?.endpointKey ?? null;
  }

  /** The system-assigned identity, for {host}/providers/Microsoft.ManagedIdentity/identities/default. */
  async systemIdentity(): Promise<{ principalId: string; clientId: string; tenantId: string; doc: D } | null> {
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

  async write(request: W): Promise<OperationResult> {
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
      const next = { ...state, userAssigned: { ...state.userAssigned, [identityKey]: { ...attached, credential: null } } } as S;
      await this.commit(next, { imdsStale: true });
      await this.configureEndpoint(next);
      await this.ctx.storage.put("recovery", this.cleanRecovery());
    });
  }

  protected async state(): Promise<S | null> {
    return (await this.ctx.storage.get<S>("state")) ?? null;
  }

  protected async recovery(): Promise<R> {
    return (await this.ctx.storage.get<R>("recovery")) ?? this.cleanRecovery();
  }

  protected pending(recovery: R): boolean {
    return recovery.orphanPrincipals.length > 0 || recovery.imdsStale || recovery.orphanEndpointKeys.length > 0 || this.extraPending(recovery);
  }

  /** Writes the recovery note ahead of a step and sets the alarm that finishes it if nothing else does. */
  protected async note(recovery: R): Promise<void> {
    await this.ctx.storage.put("recovery", recovery);
    if (this.pending(recovery)) await scheduleRecovery(this.ctx.storage);
  }

  /** The identities the token endpoint may issue for: the system-assigned one and each attached identity still alive. */
  protected endpointIdentities(state: S): ImdsIdentity[] {
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
    return identities;
  }

  private async applyWrite(request: W): Promise<{ status: number; body: unknown }> {
    await this.finishEarlierFailure();
    const current = await this.state();
    if (request.mode === "patch" && !current) {
      throw ArmErrors.resourceNotFound(this.traits.type, request.name, request.resourceGroup);
    }
    const desired = this.desired(current, request);
    const { doc, identity, userAssigned: wanted } = desired;
    const endpointKey = current?.endpointKey ?? randomHex(20);
    const tenantId = request.tenantId;
    const hostKey = resourceKey(doc.id);

    // User-assigned identities: keep what stays, attach what is new (it must exist), drop the rest.
    const userAssigned: Record<string, AttachedIdentity> = {};
    for (const [key, display] of wanted) {
      const kept = current?.userAssigned[key];
      if (kept) {
        userAssigned[key] = kept;
        continue;
      }
      const material = await stubOf<UserAssignedIdentityObject>(this.env.USER_ASSIGNED_IDENTITIES, key).attach(hostKey);
      if (!material) throw identityNotFound(display);
      const { credential, ...rest } = material;
      userAssigned[key] = { key: display, material: rest, credential };
    }
    const detached = Object.keys(current?.userAssigned ?? {}).filter((key) => !wanted.has(key));

    const recovery = await this.recovery();
    await this.prepare(current, doc, recovery, desired);

    let system = current?.system ?? null;
    let created: SystemIdentity | null = null;
    if (identity.system && !system) {
      // Azure gives a re-enabled identity a new principal; ids are chosen here so a retried
      // create in the authority converges on the same principal. The certificate's key comes from
      // the tenant's pool; if this create fails, the key is dropped with it (never reused).
      const principalId = crypto.randomUUID();
      created = {
        principalId,
        clientId: crypto.randomUUID(),
        credential: await newPrincipalCredential(this.env, tenantId, principalId, this.certificateSubject(doc), CREDENTIAL_DAYS),
      };
      recovery.orphanPrincipals.push({ tenantId, principalId: created.principalId });
      if (!current) recovery.orphanEndpointKeys.push(endpointKey);
      await this.note(recovery);
      system = created;
    }
    // A system-assigned identity taken away: its principal is deleted only after the endpoint stops
    // issuing for it (below), and the deletion is noted first so it finishes even if cut off.
    const removedSystem = !identity.system && system ? system : null;
    if (removedSystem) system = null;

    const next = this.nextState(
      {
        doc: withIdentity(doc, identity.system || identity.user, system, tenantId, userAssigned),
        subscriptionId: request.subscriptionId,
        resourceGroup: request.resourceGroup,
        tenantId,
        endpointKey,
        system,
        userAssigned,
      },
      current,
      request,
      desired,
    );

    const createPrincipal = async (identityCreated: SystemIdentity) => {
      await failpoint(this.env, "aad.createPrincipal");
      await this.env.AAD.createManagedIdentityPrincipal({
        tenantId,
        objectId: identityCreated.principalId,
        appId: identityCreated.clientId,
        displayName: doc.name,
        alternativeNames: ["isExplicit=False", doc.id],
        credential: {
          certificate: identityCreated.credential.certificate,
          x5t: identityCreated.credential.x5t,
          x5tS256: identityCreated.credential.x5tS256,
          notBefore: identityCreated.credential.notBefore,
          notAfter: identityCreated.credential.notAfter,
        },
      });
    };
    const configure = async () => {
      await failpoint(this.env, this.traits.configureStep);
      await this.configureEndpoint(next);
    };
    const principalFailed = async (err: unknown) => {
      await this.recover().catch(() => undefined);
      return ArmErrors.dependencyFailed("creating the service principal of the system-assigned identity", errorMessage(err));
    };
    const configureFailed = async (err: unknown) => {
      // Undo what this operation added (a new principal, a new endpoint, new links); the committed
      // state stays as it was, and the endpoint is re-sent that state: nothing was taken away yet.
      recovery.imdsStale = current !== null;
      await this.note(recovery);
      await this.recover().catch(() => undefined);
      return ArmErrors.dependencyFailed(this.traits.configuring, errorMessage(err));
    };
    if (created && !current) {
      // A new host: nothing names its principal or its endpoint until the commit below, and both
      // are noted for undoing, so the two are set up at once; a failure of either undoes both.
      const [principal, endpoint] = await Promise.allSettled([createPrincipal(created), configure()]);
      if (principal.status === "rejected") throw await principalFailed(principal.reason);
      if (endpoint.status === "rejected") throw await configureFailed(endpoint.reason);
    } else {
      // An existing host: its principal exists before its endpoint is told to use it.
      if (created) {
        try {
          await createPrincipal(created);
        } catch (err) {
          throw await principalFailed(err);
        }
      }
      try {
        await configure();
      } catch (err) {
        throw await configureFailed(err);
      }
    }
    if (removedSystem) {
      recovery.orphanPrincipals.push({ tenantId, principalId: removedSystem.principalId });
      await this.note(recovery);
    }
    // Listed before it is committed: a list never misses a host that exists (it skips one that does not).
    await this.index().upsert({ id: next.doc.id, type: this.traits.type, resourceGroup: request.resourceGroup });
    await failpoint(this.env, "arm.beforeCommit");
    await this.commit(next, { imdsStale: false, keep: removedSystem ? recovery : undefined });
    if (removedSystem) {
      try {
        await failpoint(this.env, "aad.deletePrincipal");
        await this.env.AAD.deleteServicePrincipal(tenantId, removedSystem.principalId);
        await this.note(this.cleanRecovery());
      } catch {
        // The identity is gone from the host and from its endpoint; its principal's deletion is
        // noted and finishes on the alarm or the next operation. The write itself succeeded.
      }
    }
    await this.detachAll(detached, hostKey);
    await this.afterCommit(current, next);
    this.reportIdentityChanges(next.doc.id, {
      created,
      attached: Object.keys(userAssigned).filter((key) => !current?.userAssigned[key]).map((key) => userAssigned[key]!),
      removedSystem,
      detached: detached.map((key) => current!.userAssigned[key]!),
    });
    return { status: current ? 200 : 201, body: next.doc };
  }

  /** Steps 1-3 of the console's flow, once the write is committed: what Resource Manager did for the host's identities. */
  private reportIdentityChanges(
    hostId: string,
    change: { created: SystemIdentity | null; attached: AttachedIdentity[]; removedSystem: SystemIdentity | null; detached: AttachedIdentity[] },
  ): void {
    const report = (head: Omit<FlowHead, "service">, body: () => Omit<FlowBody, "resourceId">) =>
      reportFlow(this.env, this.ctx, { ...head, service: "arm" }, () => ({ ...body(), resourceId: hostId }));
    const { created, attached, removedSystem, detached } = change;
    if (created) {
      const ids = { principalId: created.principalId, clientId: created.clientId };
      report({ step: 1, kind: "identity-enabled" }, () => ({ summary: `system-assigned identity enabled on ${hostId}`, ...ids, detail: { type: this.traits.type } }));
      report({ step: 2, kind: "principal-created" }, () => ({
        summary: `service principal ${created.principalId} (client id ${created.clientId}) created in the tenant`,
        ...ids,
        detail: { servicePrincipalType: "ManagedIdentity", alternativeNames: ["isExplicit=False", hostId], certificateThumbprint: created.credential.x5t, notAfter: created.credential.notAfter },
      }));
    }
    const configured = [
      ...(created ? [{ kind: "SystemAssigned", principalId: created.principalId, clientId: created.clientId, x5t: created.credential.x5t }] : []),
      ...attached.map((a) => ({ kind: "UserAssigned", id: a.key, principalId: a.material.principalId, clientId: a.material.clientId, x5t: a.credential?.x5t })),
    ];
    if (configured.length) {
      report({ step: 3, kind: "endpoint-configured" }, () => ({
        summary: `identity endpoint of ${hostId} given the client id and certificate of ${configured.map((c) => c.kind === "UserAssigned" ? `user-assigned ${c.clientId}` : `system-assigned ${c.clientId}`).join(", ")}`,
        ...(configured.length === 1 ? { principalId: configured[0]!.principalId, clientId: configured[0]!.clientId } : {}),
        detail: { identities: configured },
      }));
    }
    for (const gone of [...(removedSystem ? [{ kind: "SystemAssigned", principalId: removedSystem.principalId, clientId: removedSystem.clientId }] : []), ...detached.map((d) => ({ kind: "UserAssigned", id: d.key, principalId: d.material.principalId, clientId: d.material.clientId }))]) {
      report({ step: 3, kind: "identity-removed" }, () => ({
        summary: `${gone.kind === "SystemAssigned" ? "system-assigned identity removed from" : `user-assigned identity ${gone.clientId} detached from`} ${hostId}; its endpoint no longer issues for it`,
        principalId: gone.principalId,
        clientId: gone.clientId,
        detail: gone,
      }));
    }
  }

  private async applyDelete(): Promise<{ status: number; body?: unknown }> {
    await this.finishEarlierFailure();
    const state = await this.state();
    if (!state) return { status: 204 };
    // Marked first: whatever happens below, the delete is finished (by recover(), on the alarm or
    // the next operation), never forgotten.
    if (!state.deleting) {
      await this.ctx.storage.put("state", { ...state, deleting: true });
      await scheduleRecovery(this.ctx.storage);
    }
    try {
      await this.finishDelete();
    } catch (err) {
      throw ArmErrors.dependencyFailed(this.traits.deleting, errorMessage(err));
    }
    return { status: 200 };
  }

  /** The steps of a delete, each idempotent: the endpoint first (no more tokens), then the principal, then the host. */
  private async finishDelete(): Promise<void> {
    const current = await this.state();
    if (!current) return;
    await failpoint(this.env, this.traits.clearStep);
    await this.clearEndpoint(current.endpointKey);
    if (current.system) {
      await failpoint(this.env, "aad.deletePrincipal");
      await this.env.AAD.deleteServicePrincipal(current.tenantId, current.system.principalId);
    }
    await this.index().remove(current.doc.id);
    // Deleting a host never deletes a user-assigned identity; it only stops using it.
    await this.detachAll(Object.keys(current.userAssigned), resourceKey(current.doc.id));
    await this.releaseOnDelete(current);
    await this.ctx.storage.deleteAll();
    await this.ctx.storage.deleteAlarm();
    reportFlow(this.env, this.ctx, { step: 3, kind: "identity-removed", service: "arm" }, () => ({
      resourceId: current.doc.id,
      ...(current.system ? { principalId: current.system.principalId, clientId: current.system.clientId } : {}),
      summary: `${current.doc.id} deleted: its identity endpoint stopped${current.system ? `, its system-assigned identity's service principal ${current.system.principalId} deleted` : ""}${Object.keys(current.userAssigned).length ? `, ${Object.keys(current.userAssigned).length} user-assigned identity(ies) detached (they stay)` : ""}`,
      detail: { deleted: true, type: this.traits.type },
    }));
  }

  /** Best effort: a stale attachment only makes a later identity delete notify this host for nothing. */
  private async detachAll(identityKeys: string[], hostKey: string): Promise<void> {
    await Promise.all(
      identityKeys.map((key) =>
        stubOf<UserAssignedIdentityObject>(this.env.USER_ASSIGNED_IDENTITIES, key).detach(hostKey).catch(() => undefined),
      ),
    );
  }

  /**
   * Commits the host state and its recovery notes in one atomic write: clean, or (`keep`) the
   * principals still to delete after the commit (an identity taken away).
   */
  protected async commit(state: S, flags: { imdsStale: boolean; keep?: R }): Promise<void> {
    const recovery: R = flags.keep
      ? { ...this.cleanRecovery(), orphanPrincipals: flags.keep.orphanPrincipals.filter((o) => o.principalId !== state.system?.principalId) }
      : { ...this.cleanRecovery(), imdsStale: flags.imdsStale };
    await this.ctx.storage.put({ state, recovery });
    if (this.pending(recovery)) await scheduleRecovery(this.ctx.storage);
  }

  protected async finishEarlierFailure(): Promise<void> {
    try {
      await this.recover();
    } catch (err) {
      throw ArmErrors.dependencyFailed("finishing the clean-up of an earlier failed operation", errorMessage(err));
    }
  }

  /** Finishes what a failed operation left: deletes principals it created, re-sends the endpoint's view, ends a delete. */
  private async recover(): Promise<void> {
    if ((await this.state())?.deleting) {
      await this.finishDelete();
      return;
    }
    const recovery = await this.recovery();
    if (!this.pending(recovery)) return;
    const current = await this.state();
    await this.recoverExtra(recovery, current);
    // The endpoint first: it must issue only for the committed identities before any principal goes.
    for (const key of recovery.orphanEndpointKeys) if (key !== current?.endpointKey) await this.clearEndpoint(key);
    if (current && (recovery.imdsStale || recovery.orphanPrincipals.length)) await this.configureEndpoint(current);
    const committed = current?.system?.principalId;
    for (const orphan of recovery.orphanPrincipals) {
      if (orphan.principalId !== committed) await this.env.AAD.deleteServicePrincipal(orphan.tenantId, orphan.principalId);
    }
    await this.ctx.storage.put("recovery", this.cleanRecovery());
  }

  protected index() {
    return stubOf<SubscriptionIndex>(this.env.SUBSCRIPTIONS, this.env.SUBSCRIPTION_ID.toLowerCase());
  }
}

function identityNotFound(id: string) {
  return ArmErrors.invalidParameter(
    `Identity operation for resource failed: the user assigned identity '${id}' was not found. Resource '${id}' does not exist or one of its parents does not exist.`,
    "FailedIdentityOperation",
  );
}

/** The host's `identity` as Azure answers it (the same block for every host type). */
function withIdentity<D extends HostDocument>(
  doc: D,
  any: boolean,
  system: SystemIdentity | null,
  tenantId: string,
  userAssigned: Record<string, AttachedIdentity>,
): D {
  const { identity: _previous, ...rest } = doc;
  if (!any) return rest as D;
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
  } as unknown as D;
}
