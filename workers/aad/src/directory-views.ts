// Service principals as Microsoft Graph shows them (servicePrincipal resource): what the
// authority stores, without secret hashes or certificates, plus the properties Graph derives.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import type { DirectoryServicePrincipal, KeyCredentialView } from "../../../shared/rpc";
import { thumbprintHex } from "./key-credentials";
import { passwordCredentialView } from "./password-credentials";
import { servicePrincipalNames } from "./service-principal-names";
import type { KeyCredential, ServicePrincipalRecord } from "./service-principal";
import { viewOf } from "./service-principal";

export async function directoryServicePrincipalView(record: ServicePrincipalRecord): Promise<DirectoryServicePrincipal> {
  const managed = record.servicePrincipalType === "ManagedIdentity";
  return {
    ...viewOf(record),
    // Managed identities belong to no application registration: Azure shows null for both.
    appOwnerOrganizationId: managed ? null : record.tenantId,
    appDisplayName: managed ? null : record.displayName,
    servicePrincipalNames: await servicePrincipalNames(record),
    signInAudience: managed ? null : "AzureADMyOrg",
    keyCredentials: record.keyCredentials.map(keyCredentialView),
    passwordCredentials: record.passwordCredentials.map(passwordCredentialView),
  };
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
