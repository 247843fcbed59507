// The names a service principal is known by: Graph's `servicePrincipalNames`. The directory view
// shows them (directory-views.ts) and the listing index stores them for
// `$filter=servicePrincipalNames/any(c:c eq '…')` (directory-tables.ts); both take them from here,
// so a filter finds a principal exactly when its view lists the name.
import { base64Encode } from "../../../shared/encoding";
import type { ServicePrincipalView } from "../../../shared/rpc";

/**
 * A managed identity: its appId (client id) and `https://identity.azure.net/…`, as Azure lists
 * them. An application's principal: its appId and the application's identifier URIs, which the
 * emulator does not model (always none), so the appId alone.
 */
export async function servicePrincipalNames(principal: ServicePrincipalView): Promise<string[]> {
  if (principal.servicePrincipalType !== "ManagedIdentity") return [principal.appId];
  return [principal.appId, await managedIdentityName(principal)];
}

/**
 * Azure names a managed identity's principal `https://identity.azure.net/{44 base64 characters}`
 * besides its appId. How Azure derives the suffix is not public: here it is the SHA-256 of the
 * lower-cased resource id the identity belongs to, so it is stable for the identity's lifetime.
 */
async function managedIdentityName(principal: ServicePrincipalView): Promise<string> {
  const resourceId = principal.alternativeNames.find((name) => name.startsWith("/")) ?? principal.id;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(resourceId.toLowerCase()));
  return `https://identity.azure.net/${base64Encode(digest)}`;
}
