// The one seam every Resource Manager operation passes through before it touches state.
import { ArmErrors } from "../../../shared/errors/arm";
import type { Caller } from "./authentication";
import type { ArmEnv } from "./env";
import type { LinkedScope } from "./resource-types";
import { stubOf } from "../../../shared/durable";
import type { AuthorizationStore } from "./providers/authorization/authorization-store";

export function authorizationStore(env: ArmEnv) {
  return stubOf<AuthorizationStore>(env.AUTHORIZATION, env.TENANT_ID.toLowerCase());
}

export function enforcementOn(env: ArmEnv): boolean {
  return (env.RBAC_ENFORCEMENT ?? "on").toLowerCase() !== "off";
}

/** The one decision: granted, or denied (and with enforcement off, allowed with a log line). */
async function permitted(env: ArmEnv, principalId: string, action: string, scope: string, kind: "action" | "dataAction"): Promise<boolean> {
  const decision = await authorizationStore(env).checkAccess(principalId, action, scope, kind);
  if (decision.allowed) return true;
  if (!enforcementOn(env)) {
    console.warn(`rbac (enforcement off): would deny '${action}' at '${scope}' to ${principalId}`);
    return true;
  }
  return false;
}

/** Throws ARM's 403 AuthorizationFailed unless the caller holds `action` at `scope`. */
export async function authorize(env: ArmEnv, caller: Caller, action: string, scope: string): Promise<void> {
  if (!(await permitted(env, caller.objectId, action, scope, "action"))) {
    throw ArmErrors.authorizationFailed(caller.appId, caller.objectId, action, scope);
  }
}

/** For resource servers: may the principal perform a data action at the scope? */
export function permittedDataAction(env: ArmEnv, principalId: string, dataAction: string, scope: string): Promise<boolean> {
  return permitted(env, principalId, dataAction, scope, "dataAction");
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
    const ok = (!link.exists || (await link.exists())) && (await permitted(env, caller.objectId, link.action, link.scope, "action"));
    if (!ok) failing.set(link.action, [...(failing.get(link.action) ?? []), link.scope]);
  }
  for (const [linkedAction, scopes] of failing) {
    throw ArmErrors.linkedAuthorizationFailed(caller.appId, caller.objectId, action, scope, linkedAction, scopes);
  }
}
