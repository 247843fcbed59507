// Verifies a client assertion (RFC 7523 private_key_jwt) against the certificates registered on
// the principal, then on its application (Graph's keyCredentials): RS256 located by x5t (SHA-1
// thumbprint), PS256 by x5t#S256. Like Azure AD, an assertion may be reused until it expires
// (msal-node caches its assertion), so jti is not spent.
import { compactVerify, decodeProtectedHeader, importX509 } from "jose";
import { certificatePem } from "../../../shared/certificates";
import { AadErrors } from "../../../shared/errors/aad";
import { emulatorNow } from "../../../shared/emulator-clock";
import type { KeyCredential, ServicePrincipalRecord } from "./service-principal";

const CLOCK_SKEW_SECONDS = 300;

/**
 * Verification keys by certificate and algorithm, per isolate: a certificate never changes, so
 * parsing it once saves an X.509 parse and a key import on every assertion (IMDS asks for a
 * token with the same certificate again and again). Bounded: a full map starts over.
 */
const verificationKeys = new Map<string, CryptoKey>();
const MAX_VERIFICATION_KEYS = 10_000;

async function verificationKey(certificate: string, alg: string): Promise<CryptoKey> {
  const id = `${alg}|${certificate}`;
  let key = verificationKeys.get(id);
  if (!key) {
    key = (await importX509(certificatePem(certificate), alg)) as CryptoKey;
    if (verificationKeys.size >= MAX_VERIFICATION_KEYS) verificationKeys.clear();
    verificationKeys.set(id, key);
  }
  return key;
}

export interface AssertionExpectations {
  tenantId: string;
  acceptedAudiences: string[];
  /** The certificates of the principal's application, read only when none of the principal's own matches. */
  applicationKeyCredentials?: () => Promise<KeyCredential[]>;
}

export async function verifyClientAssertion(
  assertion: string,
  principal: ServicePrincipalRecord,
  expect: AssertionExpectations,
): Promise<Record<string, unknown>> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(assertion);
  } catch {
    throw AadErrors.malformedAssertion("The client assertion is not a JWS compact serialization.");
  }
  const alg = header.alg ?? "";
  if (alg !== "RS256" && alg !== "PS256") throw AadErrors.assertionUnsupportedAlgorithm(alg);
  const x5t = typeof header.x5t === "string" ? header.x5t : undefined;
  const x5tS256 = typeof header["x5t#S256"] === "string" ? (header["x5t#S256"] as string) : undefined;
  const now = emulatorNow();
  const usable = (k: KeyCredential) =>
    ((x5tS256 && k.x5tS256 === x5tS256) || (x5t && k.x5t === x5t)) &&
    Date.parse(k.notBefore) - CLOCK_SKEW_SECONDS * 1000 <= now &&
    now < Date.parse(k.notAfter);
  const credential =
    principal.keyCredentials.find(usable) ?? (expect.applicationKeyCredentials ? (await expect.applicationKeyCredentials()).find(usable) : undefined);
  if (!credential) throw AadErrors.assertionKeyNotFound(x5tS256 ?? x5t ?? "(none)", principal.appId);

  let payloadBytes: Uint8Array;
  try {
    const key = await verificationKey(credential.certificate, alg);
    ({ payload: payloadBytes } = await compactVerify(assertion, key, { algorithms: [alg] }));
  } catch {
    throw AadErrors.assertionBadSignature();
  }
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(new TextDecoder().decode(payloadBytes));
  } catch {
    throw AadErrors.malformedAssertion("The client assertion payload is not JSON.");
  }
  if (String(claims.iss).toLowerCase() !== principal.appId || String(claims.sub).toLowerCase() !== principal.appId) {
    throw AadErrors.assertionSubjectMismatch();
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud.map(String) : [String(claims.aud)];
  const accepted = expect.acceptedAudiences.map((a) => a.toLowerCase());
  if (!audiences.some((a) => accepted.includes(a.toLowerCase()))) {
    throw AadErrors.assertionAudienceInvalid(audiences.join(", "), expect.acceptedAudiences[0]!);
  }
  const nowSeconds = Math.floor(now / 1000);
  const exp = typeof claims.exp === "number" ? claims.exp : undefined;
  const nbf = typeof claims.nbf === "number" ? claims.nbf : undefined;
  if (exp === undefined || nowSeconds > exp + CLOCK_SKEW_SECONDS || (nbf !== undefined && nowSeconds + CLOCK_SKEW_SECONDS < nbf)) {
    throw AadErrors.assertionTimeInvalid(nowSeconds, nbf, exp);
  }
  return claims;
}
