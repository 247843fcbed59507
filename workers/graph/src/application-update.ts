// The body of PATCH /v1.0/applications/{id}. The emulator changes `displayName` and
// `keyCredentials` (certificates; the list replaces the application's, as in Graph). Every other
// property is decided here, before anything is written, so a PATCH is applied whole or not at all:
// - instance annotations (`@odata.*`) are ignored, as OData does;
// - a property sent with the value the application already has changes nothing and is accepted
//   (a client may send back what it read);
// - read-only properties (id, appId, createdDateTime, …) answer 400;
// - passwordCredentials answers 400: secrets change only through addPassword/removePassword;
// - navigation properties (owners, …) answer 400: they change through their own requests;
// - properties of Graph's application the emulator does not model (web, api, identifierUris, …)
//   answer 501 NotImplemented rather than being ignored, so no client takes them as applied;
// - anything else answers OData's 400 "does not exist on type".
import { GraphErrors } from "../../../shared/errors/graph";
import type { ApplicationChange } from "../../../shared/rpc";
import { keyCredentialsInput } from "./credential-input";

const DISPLAY_NAME_MAX = 256;

const READ_ONLY = new Set([
  "id",
  "appId",
  "applicationTemplateId",
  "certification",
  "createdDateTime",
  "deletedDateTime",
  "disabledByMicrosoftStatus",
  "publisherDomain",
  "verifiedPublisher",
]);

const NAVIGATION = new Set([
  "appManagementPolicies",
  "createdOnBehalfOf",
  "extensionProperties",
  "federatedIdentityCredentials",
  "homeRealmDiscoveryPolicies",
  "owners",
  "synchronization",
  "tokenIssuancePolicies",
  "tokenLifetimePolicies",
]);

const NOT_MODELLED = new Set([
  "addIns",
  "api",
  "appRoles",
  "authenticationBehaviors",
  "defaultRedirectUri",
  "description",
  "groupMembershipClaims",
  "identifierUris",
  "info",
  "isDeviceOnlyAuthSupported",
  "isFallbackPublicClient",
  "logo",
  "nativeAuthenticationApisEnabled",
  "notes",
  "oauth2RequirePostResponse",
  "optionalClaims",
  "parentalControlSettings",
  "publicClient",
  "requestSignatureVerification",
  "requiredResourceAccess",
  "samlMetadataUrl",
  "serviceManagementReference",
  "servicePrincipalLockConfiguration",
  "spa",
  "tags",
  "tokenEncryptionKeyId",
  "uniqueName",
  "web",
]);

export function displayNameInput(value: unknown): string {
  if (value === undefined || value === null || value === "") throw GraphErrors.propertyRequired("displayName", "Application");
  if (typeof value !== "string" || value.length > DISPLAY_NAME_MAX) {
    throw GraphErrors.invalidPropertyValue("Invalid value specified for property 'displayName' of resource 'Application'.");
  }
  return value;
}

/** The change a PATCH body asks for; `current` is the application as GET shows it. */
export function applicationChange(body: Record<string, unknown>, current: Record<string, unknown>): ApplicationChange {
  const change: ApplicationChange = {};
  for (const [name, value] of Object.entries(body)) {
    if (name.startsWith("@odata.")) continue;
    if (name in current && JSON.stringify(value) === JSON.stringify(current[name])) continue;
    if (name === "displayName") {
      change.displayName = displayNameInput(value);
    } else if (name === "keyCredentials") {
      change.keyCredentials = keyCredentialsInput(value);
    } else if (name === "signInAudience") {
      // Only single-tenant registrations exist here: there is one tenant.
      throw GraphErrors.invalidPropertyValue(
        "Invalid value specified for property 'signInAudience' of resource 'Application'. The emulator registers only AzureADMyOrg applications.",
      );
    } else if (READ_ONLY.has(name)) {
      throw GraphErrors.propertyReadOnly(name, "Application");
    } else if (name === "passwordCredentials") {
      throw GraphErrors.propertyNotUpdatable(name, "Application", "addPassword and removePassword");
    } else if (NAVIGATION.has(name)) {
      throw GraphErrors.propertyNotUpdatable(name, "Application", `the requests of /applications/{id}/${name}`);
    } else if (NOT_MODELLED.has(name)) {
      throw GraphErrors.notImplemented(`Updating the application's '${name}'`);
    } else {
      throw GraphErrors.propertyNotOnType(name, "microsoft.graph.application");
    }
  }
  return change;
}
