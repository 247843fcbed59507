// The bodies of addPassword and removePassword, shared by applications and service principals,
// and the keyCredentials of an application's PATCH.
import { GraphErrors } from "../../../shared/errors/graph";
import { isGuid } from "../../../shared/guid";
import type { KeyCredentialUpload, PasswordCredentialInput } from "../../../shared/rpc";
import { isObject } from "./graph-request";

/** addPassword's {passwordCredential:{displayName?, startDateTime?, endDateTime?}}; all of it optional. */
export function passwordCredentialInput(body: Record<string, unknown>): PasswordCredentialInput {
  const credential = body.passwordCredential ?? {};
  if (!isObject(credential)) throw GraphErrors.invalidPropertyValue("Invalid value specified for property 'passwordCredential'.");
  const input: PasswordCredentialInput = {};
  for (const name of ["displayName", "startDateTime", "endDateTime"] as const) {
    const value = credential[name];
    if (value === undefined || (value === null && name === "displayName")) continue;
    if (typeof value !== "string") {
      throw GraphErrors.invalidPropertyValue(`Invalid value specified for property '${name}' of resource 'PasswordCredential'.`);
    }
    input[name] = value;
  }
  return input;
}

/** removePassword's {keyId}. */
export function keyIdInput(body: Record<string, unknown>): string {
  const keyId = body.keyId;
  if (keyId === undefined || keyId === null) throw GraphErrors.propertyRequired("keyId", "removePassword");
  if (!isGuid(keyId)) throw GraphErrors.invalidPropertyValue(`Invalid value specified for property 'keyId': '${String(keyId)}' is not a GUID.`);
  return keyId.toLowerCase();
}

const KEY_CREDENTIAL_STRINGS = ["key", "keyId", "displayName", "startDateTime", "endDateTime", "customKeyIdentifier"] as const;
/** Graph's other key credential types: real, but the emulator verifies only certificates. */
const OTHER_KEY_TYPES = ["X509CertAndPassword", "Symmetric", "AsymmetricX509CertAndPassword"];

/**
 * PATCH's keyCredentials: certificates ({type AsymmetricX509Cert, usage Verify, key: base64 DER}),
 * each entry's shape checked here; the authority parses the certificates (key-credentials.ts).
 * Types and usages Graph knows but the emulator does not verify with (signing keys for SAML, with
 * their private key and password) answer 501; values Graph does not know answer 400.
 */
export function keyCredentialsInput(value: unknown): KeyCredentialUpload[] {
  const invalid = (property: string) =>
    GraphErrors.invalidPropertyValue(`Invalid value specified for property '${property}' of resource 'KeyCredential'.`);
  if (!Array.isArray(value)) {
    throw GraphErrors.invalidPropertyValue("Invalid value specified for property 'keyCredentials' of resource 'Application'.");
  }
  return value.map((entry): KeyCredentialUpload => {
    if (!isObject(entry)) throw GraphErrors.invalidPropertyValue("Invalid value specified for property 'keyCredentials' of resource 'Application'.");
    for (const name of Object.keys(entry)) {
      if (name.startsWith("@odata.") || name === "type" || name === "usage" || (KEY_CREDENTIAL_STRINGS as readonly string[]).includes(name)) continue;
      throw GraphErrors.propertyNotOnType(name, "microsoft.graph.keyCredential");
    }
    if (entry.type === undefined || entry.type === null) throw GraphErrors.propertyRequired("type", "KeyCredential");
    if (entry.usage === undefined || entry.usage === null) throw GraphErrors.propertyRequired("usage", "KeyCredential");
    if (typeof entry.usage !== "string" || !["verify", "sign"].includes(entry.usage.toLowerCase())) {
      // Graph's text.
      throw GraphErrors.invalidPropertyValue('The value for the property "usage" in one of your credentials is invalid. Acceptable values are Sign, Verify.');
    }
    if (typeof entry.type !== "string" || ![...OTHER_KEY_TYPES, "AsymmetricX509Cert"].some((t) => t.toLowerCase() === String(entry.type).toLowerCase())) {
      // The emulator's text, in the form of Graph's for usage.
      throw GraphErrors.invalidPropertyValue(
        'The value for the property "type" in one of your credentials is invalid. Acceptable values are AsymmetricX509Cert, X509CertAndPassword, Symmetric.',
      );
    }
    if (entry.type.toLowerCase() !== "asymmetricx509cert" || entry.usage.toLowerCase() !== "verify") {
      throw GraphErrors.notImplemented(
        `A key credential of type '${entry.type}' with usage '${entry.usage}' (the emulator takes certificates of type AsymmetricX509Cert with usage Verify)`,
      );
    }
    const upload: KeyCredentialUpload = {};
    for (const name of KEY_CREDENTIAL_STRINGS) {
      const property = entry[name];
      if (property === undefined || property === null) {
        if (property === null && (name === "displayName" || name === "customKeyIdentifier")) upload[name] = null;
        continue;
      }
      if (typeof property !== "string") throw invalid(name);
      upload[name] = property;
    }
    if (upload.keyId !== undefined) {
      if (!isGuid(upload.keyId)) throw GraphErrors.invalidPropertyValue(`Invalid value specified for property 'keyId': '${upload.keyId}' is not a GUID.`);
      upload.keyId = upload.keyId.toLowerCase();
    }
    return upload;
  });
}
