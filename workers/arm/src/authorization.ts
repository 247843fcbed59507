// The one seam every Resource Manager operation passes through before it touches state.
import { ArmErrors } from "../../../shared/errors/arm";
import type { Caller } from "./authentication";
import type { ArmEnv } from "./env";
import { stubOf } from "../../../shared/durable";
import type { AuthorizationStore } from "./authorization-store";

export function authorizationStore(env: ArmEnv) {
  return stubOf<AuthorizationStore>(env.AUTHORIZATION, env.TENANT_ID.toLowerCase());
}

export function enforcementOn(env: ArmEnv): boolean {
  return (env.RBAC_ENFORCEMENT ?? "on").toLowerCase() !== "off";
}

/** Throws ARM's 403 AuthorizationFailed unless the caller holds `action` at `scope`. */
export async function authorize(env: ArmEnv, caller: Caller, action: string, scope: string): Promise<void> {
  const decision = await authorizationStore(env).checkAccess(caller.objectId, action, scope);
  if (decision.allowed) return;
  if (!enforcementOn(env)) {
    console.warn(`rbac (enforcement off): would deny '${action}' at '${scope}' to ${caller.objectId}`);
    return;
  }
  throw ArmErrors.authorizationFailed(caller.appId, caller.objectId, action, scope);
}
