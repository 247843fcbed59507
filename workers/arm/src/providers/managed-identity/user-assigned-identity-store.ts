// Where user-assigned identities live: one UserAssignedIdentityObject per identity, keyed by its
// lower-cased id (the VM object reaches it too, to attach and detach).
import { stubOf } from "../../../../../shared/durable";
import { resourceKey } from "../../../../../shared/resource-id";
import type { ArmEnv } from "../../env";
import type { UserAssignedIdentityObject } from "./user-assigned-identity-object";

export function userAssignedIdentityObject(env: ArmEnv, id: string) {
  return stubOf<UserAssignedIdentityObject>(env.USER_ASSIGNED_IDENTITIES, resourceKey(id));
}
