// The `identity` property of a resource: parsing the type the way clients spell it (the CLI
// sends "SystemAssigned,UserAssigned" without the space) and answering in Azure's spelling.
import { ArmErrors } from "../../../shared/errors/arm";

export interface IdentityKinds {
  system: boolean;
  user: boolean;
}

export function parseIdentityType(value: unknown): IdentityKinds {
  if (typeof value !== "string") throw ArmErrors.invalidIdentityType(String(value));
  const parts = value.split(",").map((p) => p.trim().toLowerCase()).filter(Boolean);
  const kinds: IdentityKinds = { system: false, user: false };
  for (const part of parts) {
    if (part === "systemassigned") kinds.system = true;
    else if (part === "userassigned") kinds.user = true;
    else if (part === "none" && parts.length === 1) continue;
    else throw ArmErrors.invalidIdentityType(value);
  }
  if (parts.length === 0) throw ArmErrors.invalidIdentityType(value);
  return kinds;
}

export function identityTypeName(kinds: IdentityKinds): string {
  if (kinds.system && kinds.user) return "SystemAssigned, UserAssigned";
  if (kinds.system) return "SystemAssigned";
  if (kinds.user) return "UserAssigned";
  return "None";
}
