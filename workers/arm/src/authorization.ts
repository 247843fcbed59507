// The one seam every Resource Manager operation passes through before it touches state, and the
// one place authorization denials are logged.
import { ArmErrors } from "../../../shared/errors/arm";
import type { Caller } from "./authentication";
import type { ArmEnv } from "./env";
import type { LinkedScope } from "./resource-types";
import { stubOf } from "../../../shared/durable";
import type { AccessDecision, AuthorizationStore } from "./providers/authorization/authorization-store";
import { reportFlow, type FlowService, type WaitUntil } from "../../../shared/flow";
import { logLine } from "../../../shared/request-log";

export function authorizationStore(env: ArmEnv) {
  return stubOf<AuthorizationStore>(env.AUTHORIZATION, env.TENANT_ID.toLowerCase());
}

export function enforcementOn(env: ArmEnv): boolean {
  return (env.RBAC_ENFORCEMENT ?? "on").toLowerCase() !== "off";
}

/**
 * One log line per denial (knob MIE_LOG, shared/request-log.ts): the action, the scope, who and
 * why. With RBAC enforcement off the line says the request was let through.
 */
export function logDenial(
  env: ArmEnv,
  principal: { objectId: string; appId?: string },
  action: string,
  scope: string,
  reason: string,
  enforced = true,
): void {
  const who = `principal=${principal.objectId}${principal.appId && principal.appId !== principal.objectId ? ` app=${principal.appId}` : ""}`;
  const verdict = enforced ? "denied" : "would deny (RBAC enforcement off, allowed)";
  logLine(env, "arm", `${verdict} action=${action} scope=${scope} ${who} reason=${JSON.stringify(reason)}`);
}

/** Who asks for a decision, as the flow reports it: the principal, and the request that keeps the report alive. */
interface Asker {
  objectId: string;
  appId?: string;
  keeper?: WaitUntil;
  /** The service the call was made to: Resource Manager, or the resource server that asked (AuthorizationService). */
  service?: FlowService;
}

/** The one decision: granted, or denied (and with enforcement off, allowed with a log line). */
async function permitted(
  env: ArmEnv,
  principal: Asker,
  action: string,
  scope: string,
  kind: "action" | "dataAction",
): Promise<boolean> {
  const decision = await authorizationStore(env).checkAccess(principal.objectId, action, scope, kind);
  reportDecision(env, principal, action, scope, kind, decision);
  if (decision.allowed) return true;
  const enforced = enforcementOn(env);
  logDenial(env, principal, action, scope, decision.reason ?? "no role assignment grants it", enforced);
  return !enforced;
}

/**
 * Step 7 of the console's flow: which service decided, granted by which assignment or denied and
 * why. The seeded admin's granted calls (its Owner grants everything; the console itself calls as
 * the admin) are left out: they would drown the identities' own.
 */
function reportDecision(env: ArmEnv, principal: Asker, action: string, scope: string, kind: "action" | "dataAction", decision: AccessDecision): void {
  if (decision.allowed && principal.appId?.toLowerCase() === env.ADMIN_CLIENT_ID.toLowerCase()) return;
  reportFlow(env, principal.keeper, { step: 7, kind: decision.allowed ? "access-granted" : "access-denied", service: principal.service ?? "arm" }, () => ({
    summary: decision.allowed
      ? `${action} at ${scope}: granted by ${decision.grantedBy?.roleName} at ${decision.grantedBy?.scope}`
      : `${action} at ${scope}: denied, ${decision.reason ?? "no role assignment grants it"}`,
    resourceId: scope,
    principalId: principal.objectId,
    ...(principal.appId ? { clientId: principal.appId } : {}),
    detail: {
      action,
      kind,
      scope,
      allowed: decision.allowed,
      ...(decision.grantedBy ? { grantedBy: decision.grantedBy } : {}),
      ...(decision.reason ? { reason: decision.reason } : {}),
      ...(!decision.allowed && !enforcementOn(env) ? { enforcement: "off: allowed anyway" } : {}),
    },
  }));
}

/** Throws ARM's 403 AuthorizationFailed unless the caller holds `action` at `scope`. */
export async function authorize(env: ArmEnv, caller: Caller, action: string, scope: string): Promise<void> {
  if (!(await permitted(env, caller, action, scope, "action"))) {
    throw ArmErrors.authorizationFailed(caller.appId, caller.objectId, action, scope);
  }
}

/** The resource server a check comes from (AuthorizationService), told by the action's namespace. */
function resourceServer(action: string): FlowService {
  return action.toLowerCase().startsWith("microsoft.keyvault/") ? "keyvault" : "storage";
}

/** For resource servers: may the principal perform a data action at the scope? */
export function permittedDataAction(env: ArmEnv, principalId: string, dataAction: string, scope: string, keeper?: WaitUntil): Promise<boolean> {
  return permitted(env, { objectId: principalId, keeper, service: resourceServer(dataAction) }, dataAction, scope, "dataAction");
}

/** For resource servers: may the principal perform a control-plane action at the scope (Storage's container operations)? */
export function permittedAction(env: ArmEnv, principalId: string, action: string, scope: string, keeper?: WaitUntil): Promise<boolean> {
  return permitted(env, { objectId: principalId, keeper, service: resourceServer(action) }, action, scope, "action");
}

/**
 * Linked access: a write that references other resources (a VM naming user-assigned identities or
 * NICs) also needs each link's action on the linked scope, and a link that says how must exist ("or
 * the linked scope(s) are invalid"). Throws 403 LinkedAuthorizationFailed for the first action
 * that fails, naming every scope it fails on.
 */
export async function authorizeLinked(
  env: ArmEnv,
  caller: Caller,
  action: string,
  scope: string,
  linked: LinkedScope[],
): Promise<void> {
  const failing = new Map<string, string[]>();
  for (const link of linked) {
    const ok = (!link.exists || (await link.exists())) && (await permitted(env, caller, link.action, link.scope, "action"));
    if (!ok) failing.set(link.action, [...(failing.get(link.action) ?? []), link.scope]);
  }
  for (const [linkedAction, scopes] of failing) {
    throw ArmErrors.linkedAuthorizationFailed(caller.appId, caller.objectId, action, scope, linkedAction, scopes);
  }
}
