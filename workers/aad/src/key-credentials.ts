// Certificates registered on applications through Graph (PATCH /applications/{id} with
// keyCredentials). The authority parses each certificate itself: its thumbprints locate it when a
// client assertion names it (x5t = SHA-1, x5t#S256 = SHA-256, client-assertion.ts), its validity
// bounds the credential's. PATCH replaces the whole collection, as Graph does, in two steps:
// - prepareKeyCredentials (async, outside the tenant's object): validates each entry and parses
//   its certificate;
// - resolveKeyCredentials (sync, inside the application's transaction): an entry naming an
//   existing keyId keeps that credential, unchanged (what a client sends back after reading
//   keyCredentials, whose key Graph shows as null); any other entry must carry a certificate.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { thumbprints } from "../../../shared/certificates";
import { base64Decode, base64Encode, hex } from "../../../shared/encoding";
import type { DirectoryOutcome, KeyCredentialUpload } from "../../../shared/rpc";
import type { KeyCredential } from "./service-principal";
import { refused } from "../../../shared/outcome";

const DISPLAY_NAME_MAX = 256;

/** An entry of the request, validated; `credential` when it carried a certificate. */
export interface PreparedKeyCredential {
  keyId?: string;
  displayName?: string | null;
  startDateTime?: string;
  endDateTime?: string;
  customKeyIdentifier?: string | null;
  credential?: KeyCredential;
}

const invalid = (detail: string) => refused("invalidInput" as const, { detail });

/** Graph's customKeyIdentifier of a certificate: its SHA-1 thumbprint in upper-case hex. */
export function thumbprintHex(x5t: string): string {
  return hex(base64Decode(x5t)).toUpperCase();
}

/**
 * A client may send back the customKeyIdentifier Graph showed (the hex thumbprint) or its
 * base64 form (the property is Edm.Binary); the emulator always derives it from the certificate,
 * so any other value is refused rather than stored and ignored.
 */
function matchesThumbprint(value: string | null | undefined, x5t: string): boolean {
  if (value === undefined || value === null) return true;
  const thumbprint = thumbprintHex(x5t);
  if (value.toUpperCase() === thumbprint) return true;
  try {
    return hex(base64Decode(value)).toUpperCase() === thumbprint;
  } catch {
    return false;
  }
}

function parseCertificate(key: string): x509.X509Certificate | null {
  try {
    const der = base64Decode(key.replace(/\s+/g, ""));
    if (der.length === 0) return null;
    return new x509.X509Certificate(der);
  } catch {
    return null;
  }
}

export async function prepareKeyCredentials(uploads: KeyCredentialUpload[]): Promise<DirectoryOutcome<PreparedKeyCredential[]>> {
  const prepared: PreparedKeyCredential[] = [];
  for (const upload of uploads) {
    const displayName = upload.displayName;
    if (displayName !== undefined && displayName !== null && (typeof displayName !== "string" || displayName.length > DISPLAY_NAME_MAX)) {
      return invalid("Invalid value specified for property 'displayName' of resource 'KeyCredential'.");
    }
    const { key, ...entry }: KeyCredentialUpload & PreparedKeyCredential = upload;
    if (key === undefined || key === null || key === "") {
      prepared.push(entry);
      continue;
    }
    // The emulator's wording: Graph's text for a key that is not a certificate is not public.
    const certificate = parseCertificate(key);
    if (!certificate) {
      return invalid("Invalid value specified for property 'key' of resource 'KeyCredential'. It must be the base64 encoding of an X.509 certificate (DER).");
    }
    const der = new Uint8Array(certificate.rawData);
    const { x5t, x5tS256 } = await thumbprints(der);
    if (!matchesThumbprint(upload.customKeyIdentifier, x5t)) {
      return invalid("Invalid value specified for property 'customKeyIdentifier' of resource 'KeyCredential'. The emulator sets it to the certificate's SHA-1 thumbprint.");
    }
    // The credential is valid within the certificate's validity, narrowed by the request's dates
    // if it names them. Azure refuses an end date after the certificate's with this text; the
    // text for the start date is the emulator's, in the same form.
    const certificateStart = certificate.notBefore.getTime();
    const certificateEnd = certificate.notAfter.getTime();
    const start = upload.startDateTime === undefined ? certificateStart : Date.parse(upload.startDateTime);
    if (Number.isNaN(start) || start < certificateStart || start >= certificateEnd) return invalid("Key credential start date is invalid.");
    const end = upload.endDateTime === undefined ? certificateEnd : Date.parse(upload.endDateTime);
    if (Number.isNaN(end) || end > certificateEnd || end <= start) return invalid("Key credential end date is invalid.");
    entry.credential = {
      keyId: upload.keyId ?? crypto.randomUUID(),
      type: "AsymmetricX509Cert",
      usage: "Verify",
      displayName: displayName ?? certificate.subject,
      certificate: base64Encode(der),
      x5t,
      x5tS256,
      notBefore: new Date(start).toISOString(),
      notAfter: new Date(end).toISOString(),
    };
    prepared.push(entry);
  }
  return { ok: true, value: prepared };
}

/** The application's new keyCredentials: kept ones resolved against what it has now. */
export function resolveKeyCredentials(prepared: PreparedKeyCredential[], existing: KeyCredential[]): DirectoryOutcome<KeyCredential[]> {
  const current = new Map(existing.map((k) => [k.keyId.toLowerCase(), k]));
  const result: KeyCredential[] = [];
  const seen = new Set<string>();
  for (const entry of prepared) {
    const kept = entry.keyId ? current.get(entry.keyId.toLowerCase()) : undefined;
    let credential: KeyCredential;
    if (kept) {
      // Azure's answer to changing a credential in place (its text, with the keyId).
      const changed =
        (entry.credential !== undefined && entry.credential.x5tS256 !== kept.x5tS256) ||
        (entry.displayName !== undefined && entry.displayName !== (kept.displayName ?? null)) ||
        (entry.startDateTime !== undefined && Date.parse(entry.startDateTime) !== Date.parse(kept.notBefore)) ||
        (entry.endDateTime !== undefined && Date.parse(entry.endDateTime) !== Date.parse(kept.notAfter)) ||
        !matchesThumbprint(entry.customKeyIdentifier, kept.x5t);
      if (changed) return invalid(`Update to existing credential with KeyId '${kept.keyId}' is not allowed.`);
      credential = kept;
    } else if (entry.credential) {
      credential = entry.credential;
    } else {
      // Azure's text for a new credential without its certificate.
      return invalid("KeyValue cannot be null or empty.");
    }
    const keyId = credential.keyId.toLowerCase();
    if (seen.has(keyId)) return invalid(`The keyId '${keyId}' appears more than once in keyCredentials.`);
    seen.add(keyId);
    result.push({ ...credential, keyId });
  }
  return { ok: true, value: result };
}
