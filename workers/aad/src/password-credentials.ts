// Client secrets added through Graph (addPassword on an application or its service principal).
// The secret is generated here, shown once in the answer to addPassword, and stored only as its
// SHA-256 hash: the token endpoint compares hashes (token-endpoint.ts), and Graph can never show
// a secret again, only its first three characters.
import { sha256Hex } from "../../../shared/encoding";
import type { DirectoryOutcome, NewPasswordCredential, PasswordCredentialInput, PasswordCredentialView } from "../../../shared/rpc";
import type { PasswordCredential } from "./service-principal";
import { emulatorNow } from "../../../shared/emulator-clock";
import { refused } from "../../../shared/outcome";

/** Graph's default lifetime of a secret when the request names no endDateTime. */
const DEFAULT_LIFETIME_MS = 2 * 365 * 24 * 3600_000;
const DISPLAY_NAME_MAX = 256;
/** 64 symbols, so a random byte masked to 6 bits picks one without bias. */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/**
 * A secret in the shape Azure's have: 40 characters, with `8Q~` after the first three (Azure's
 * marker of the secret's format). 37 random characters: 222 bits.
 */
export function generateSecretText(): string {
  const random = (count: number) =>
    Array.from(crypto.getRandomValues(new Uint8Array(count)), (b) => ALPHABET[b & 63]!).join("");
  return `${random(3)}8Q~${random(34)}`;
}

/** Validates addPassword's passwordCredential and creates the credential: its stored form and the one-time answer. */
export async function issuePasswordCredential(
  input: PasswordCredentialInput,
): Promise<DirectoryOutcome<{ stored: PasswordCredential; shown: NewPasswordCredential }>> {
  const invalid = (detail: string) => refused("invalidInput" as const, { detail });
  const displayName = input.displayName ?? null;
  if (displayName !== null && (typeof displayName !== "string" || displayName.length > DISPLAY_NAME_MAX)) {
    return invalid(`Invalid value specified for property 'displayName' of resource 'PasswordCredential'.`);
  }
  const start = input.startDateTime === undefined ? emulatorNow() : Date.parse(input.startDateTime);
  if (Number.isNaN(start)) return invalid("Invalid value specified for property 'startDateTime' of resource 'PasswordCredential'.");
  const end = input.endDateTime === undefined ? start + DEFAULT_LIFETIME_MS : Date.parse(input.endDateTime);
  if (Number.isNaN(end) || end <= start) {
    return invalid("Invalid value specified for property 'endDateTime' of resource 'PasswordCredential'. It must be later than startDateTime.");
  }
  const secretText = generateSecretText();
  const stored: PasswordCredential = {
    keyId: crypto.randomUUID(),
    displayName,
    hint: secretText.slice(0, 3),
    secretHash: await sha256Hex(secretText),
    startDateTime: new Date(start).toISOString(),
    endDateTime: new Date(end).toISOString(),
  };
  return { ok: true, value: { stored, shown: { ...passwordCredentialView(stored), secretText } } };
}

export function passwordCredentialView(credential: PasswordCredential): PasswordCredentialView {
  return {
    customKeyIdentifier: null,
    displayName: credential.displayName,
    endDateTime: credential.endDateTime,
    hint: credential.hint,
    keyId: credential.keyId,
    secretText: null,
    startDateTime: credential.startDateTime,
  };
}
