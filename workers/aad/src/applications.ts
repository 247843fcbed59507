// Application registrations (Graph's application resource): the app's identity (appId), its
// secrets and its certificates. Its service principal, the object that signs in, is separate
// (service-principal.ts) and is found through the appId; credentials stay on the application, as
// in Azure, so deleting the application revokes them even before the principal's own object is gone.
import type { ApplicationView } from "../../../shared/rpc";
import { keyCredentialView } from "./directory-views";
import { passwordCredentialView } from "./password-credentials";
import type { KeyCredential, PasswordCredential } from "./service-principal";

export interface ApplicationRecord {
  id: string;
  appId: string;
  tenantId: string;
  displayName: string;
  createdDateTime: string;
  /** Hashes only (password-credentials.ts). */
  passwordCredentials: PasswordCredential[];
  /** Certificates, public parts only (key-credentials.ts); absent on records of earlier versions. */
  keyCredentials?: KeyCredential[];
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
    keyCredentials: (record.keyCredentials ?? []).map(keyCredentialView),
    passwordCredentials: record.passwordCredentials.map(passwordCredentialView),
  };
}
