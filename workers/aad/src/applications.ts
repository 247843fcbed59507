// Application registrations (Graph's application resource): the app's identity (appId) and its
// secrets. Its service principal, the object that signs in, is separate (service-principal.ts)
// and is found through the appId; secrets stay on the application, as in Azure, so deleting the
// application revokes them even before the principal's own object is gone.
import type { ApplicationView } from "../../../shared/rpc";
import { passwordCredentialView } from "./password-credentials";
import type { PasswordCredential } from "./service-principal";

export interface ApplicationRecord {
  id: string;
  appId: string;
  tenantId: string;
  displayName: string;
  createdDateTime: string;
  /** Hashes only (password-credentials.ts). */
  passwordCredentials: PasswordCredential[];
}

export function applicationView(record: ApplicationRecord): ApplicationView {
  return {
    id: record.id,
    appId: record.appId,
    displayName: record.displayName,
    createdDateTime: record.createdDateTime,
    // Applications registered here are single-tenant: there is only one tenant.
    signInAudience: "AzureADMyOrg",
    identifierUris: [],
    keyCredentials: [],
    passwordCredentials: record.passwordCredentials.map(passwordCredentialView),
  };
}
