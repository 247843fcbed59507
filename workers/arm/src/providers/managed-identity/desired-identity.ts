// The `identity` property of a resource that hosts managed identities (virtual machines, App
// Service sites): which kinds a PUT or PATCH asks for, which user-assigned identities, and the
// linked access attaching them needs. One set of merge rules for every host type, as Azure has.
import { ArmErrors } from "../../../../../shared/errors/arm";
import { parseResourceId } from "../../../../../shared/resource-id";
import type { ArmEnv } from "../../env";
import { parseIdentityType, type IdentityKinds } from "../../identity-property";
import { isObject } from "../../request-body";
import type { LinkedScope } from "../../resource-types";
import { userAssignedIdentityObject } from "./user-assigned-identity-store";

export const ASSIGN_ACTION = "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action";

/**
 * Which kinds of identity are wanted, and the user-assigned identities wanted (lower-cased id → id
 * as the client wrote it). PUT replaces the map; PATCH merges it: `{}` adds, `null` removes, an
 * absent key stays; a type without UserAssigned drops them all; removing the last one drops
 * UserAssigned from the type. `existing` is the identity block the resource answers today.
 */
export function desiredIdentity(
  existing: Record<string, unknown> | undefined,
  identityBody: unknown,
  mode: "put" | "patch",
): { identity: IdentityKinds; userAssigned: Map<string, string> } {
  if (identityBody !== undefined && identityBody !== null && !isObject(identityBody)) {
    throw ArmErrors.invalidRequestContent("identity must be an object");
  }
  const existingMap = (existing?.userAssignedIdentities ?? {}) as Record<string, unknown>;
  let identity: IdentityKinds;
  const userAssigned = new Map<string, string>();
  if (identityBody) {
    identity = parseIdentityType(identityBody.type);
    const requested = userAssignedChanges(identityBody.userAssignedIdentities);
    if (!identity.user && [...requested.values()].some((v) => v !== null)) {
      throw ArmErrors.invalidParameter(
        "The identity type must include 'UserAssigned' when 'userAssignedIdentities' are specified.",
        "InvalidIdentityValues",
      );
    }
    if (identity.user) {
      if (mode === "patch") for (const key of Object.keys(existingMap)) userAssigned.set(key.toLowerCase(), key);
      for (const [key, value] of requested) {
        if (value === null) userAssigned.delete(key.toLowerCase());
        else if (!userAssigned.has(key.toLowerCase())) userAssigned.set(key.toLowerCase(), key);
      }
      if (userAssigned.size === 0) {
        if (requested.size === 0) {
          throw ArmErrors.invalidParameter(
            "Parameter 'identity.userAssignedIdentities' is required when the identity type includes 'UserAssigned'.",
            "InvalidIdentityValues",
          );
        }
        identity = { ...identity, user: false };
      }
    }
  } else if (mode === "patch" && existing) {
    identity = parseIdentityType(existing.type);
    for (const key of Object.keys(existingMap)) userAssigned.set(key.toLowerCase(), key);
  } else {
    identity = { system: false, user: false };
  }
  return { identity, userAssigned };
}

/** The userAssignedIdentities map of a request: each key a user-assigned identity's id, each value `{}` or null. */
export function userAssignedChanges(map: unknown): Map<string, object | null> {
  const changes = new Map<string, object | null>();
  if (map === undefined || map === null) return changes;
  if (!isObject(map)) throw ArmErrors.invalidRequestContent("identity.userAssignedIdentities must be an object");
  for (const [key, value] of Object.entries(map)) {
    const parsed = parseResourceId(key);
    if (
      !parsed ||
      parsed.namespace?.toLowerCase() !== "microsoft.managedidentity" ||
      parsed.types.length !== 1 ||
      parsed.types[0]!.toLowerCase() !== "userassignedidentities" ||
      !parsed.resourceGroup
    ) {
      throw ArmErrors.invalidParameter(`The user assigned identity resource id '${key}' is invalid.`, "InvalidUserAssignedIdentityId");
    }
    if (value !== null && !isObject(value)) throw ArmErrors.invalidRequestContent(`the value for '${key}' must be an object or null`);
    changes.set(key, value);
  }
  return changes;
}

/** Linked access of a write body: assign/action on each user-assigned identity it attaches, which must exist. */
export function userAssignedLinks(env: ArmEnv, body: Record<string, unknown>): LinkedScope[] {
  const identity = isObject(body.identity) ? body.identity : null;
  const attached = identity ? [...userAssignedChanges(identity.userAssignedIdentities)].filter(([, value]) => value !== null) : [];
  return attached.map(([key]) => ({
    scope: key,
    action: ASSIGN_ACTION,
    exists: async () => (await userAssignedIdentityObject(env, key).read()) !== null,
  }));
}
