// The bodies of addPassword and removePassword, shared by applications and service principals.
import { GraphErrors } from "../../../shared/errors/graph";
import { isGuid } from "../../../shared/guid";
import type { PasswordCredentialInput } from "../../../shared/rpc";
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
