// Where the hosts of managed identities live, by the type in their id: a VM's VirtualMachineObject
// (Microsoft.Compute/virtualMachines) or a site's SiteObject (Microsoft.Web/sites), both keyed by
// the lower-cased id. A user-assigned identity records its hosts by that key and reaches them here.
import { stubOf } from "../../../../../shared/durable";
import { parseResourceId, resourceKey } from "../../../../../shared/resource-id";
import type { ArmEnv } from "../../env";
import type { IdentityHostObject } from "./identity-host-object";

type AnyHost = IdentityHostObject<any, any, any, any>;

/** The host object of a VM or site id; a key of any other type is a VM's (the only host before sites). */
export function identityHostObject(env: ArmEnv, hostId: string) {
  return stubOf<AnyHost>(isSiteId(hostId) ? env.SITES : env.VIRTUAL_MACHINES, resourceKey(hostId));
}

export function isSiteId(id: string): boolean {
  const parsed = parseResourceId(id);
  return parsed?.namespace?.toLowerCase() === "microsoft.web" && parsed.types.length === 1 && parsed.types[0]!.toLowerCase() === "sites";
}

export function isVirtualMachineId(id: string): boolean {
  const parsed = parseResourceId(id);
  return parsed?.namespace?.toLowerCase() === "microsoft.compute" && parsed.types.length === 1 && parsed.types[0]!.toLowerCase() === "virtualmachines";
}
