// Service principals as Microsoft Graph shows them (servicePrincipal resource): what the
// authority stores, without secret hashes or certificates, plus the properties Graph derives.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { base64Encode } from "../../../shared/encoding";
import type { DirectoryServicePrincipal, KeyCredentialView } from "../../../shared/rpc";
import { thumbprintHex } from "./key-credentials";
import { passwordCredentialView } from "./password-credentials";
import type { KeyCredential, ServicePrincipalRecord } from "./service-principal";
import { viewOf } from "./service-principal";

export async function directoryServicePrincipalView(record: ServicePrincipalRecord): Promise<DirectoryServicePrincipal> {
  const managed = record.servicePrincipalType === "ManagedIdentity";
  return {
    ...viewOf(record),
    // Managed identities belong to no application registration: Azure shows null for both.
    appOwnerOrganizationId: managed ? null : record.tenantId,
    appDisplayName: managed ? null : record.displayName,
    servicePrincipalNames: managed ? [record.appId, await managedIdentityName(record)] : [record.appId],
    signInAudience: managed ? null : "AzureADMyOrg",
    keyCredentials: record.keyCredentials.map(keyCredentialView),
    passwordCredentials: record.passwordCredentials.map(passwordCredentialView),
  };
}

/**
 * Azure names a managed identity's principal `https://identity.azure.net/{44 base64 characters}`
 * besides its appId. How Azure derives the suffix is not public: here it is the SHA-256 of the
 * lower-cased resource id the identity belongs to, so it is stable for the identity's lifetime.
 */
async function managedIdentityName(record: ServicePrincipalRecord): Promise<string> {
  const resourceId = record.alternativeNames.find((name) => name.startsWith("/")) ?? record.id;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(resourceId.toLowerCase()));
  return `https://identity.azure.net/${base64Encode(digest)}`;
}

export function keyCredentialView(credential: KeyCredential): KeyCredentialView {
  return {
    // Graph shows a certificate's SHA-1 thumbprint in hex as its customKeyIdentifier.
    customKeyIdentifier: thumbprintHex(credential.x5t),
    displayName: credential.displayName ?? certificateSubject(credential.certificate),
    endDateTime: credential.notAfter,
    key: null,
    keyId: credential.keyId,
    startDateTime: credential.notBefore,
    type: credential.type,
    usage: credential.usage,
  };
}

function certificateSubject(certificate: string): string | null {
  try {
    return new x509.X509Certificate(certificate).subject;
  } catch {
    return null;
  }
}
