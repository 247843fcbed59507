// Identities seeded on first start that more than one worker must agree on without talking.
import { deterministicGuid } from "./guid";

export function adminObjectId(tenantId: string, adminClientId: string): Promise<string> {
  return deterministicGuid("mie-admin-object-id", tenantId, adminClientId);
}

/** The name (a GUID, as ARM requires) of the admin's Owner assignment on the subscription. */
export function adminOwnerAssignmentName(subscriptionId: string, objectId: string): Promise<string> {
  return deterministicGuid("mie-admin-owner-assignment", subscriptionId, objectId);
}
