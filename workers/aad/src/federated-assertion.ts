// Workload identity federation: a client assertion issued by a trusted external issuer, accepted
// for a managed identity whose federated credential names that issuer, subject and audience.
// The signature is checked against the issuer's own OIDC discovery and JWKS, as Azure AD does.
import { compactVerify, createLocalJWKSet, decodeJwt, type JSONWebKeySet } from "jose";
import { AadErrors, FederationErrors } from "../../../shared/errors/aad";
import { emulatorNowSeconds } from "../../../shared/emulator-clock";
import type { FederatedCredential } from "../../../shared/rpc";

const JWKS_CACHE_MS = 60_000;
const CLOCK_SKEW_SECONDS = 300;
const jwksCache = new Map<string, { fetchedAt: number; jwks: JSONWebKeySet }>();

/** The issuer claim of an assertion, unverified: only to decide which verification applies. */
export function assertionIssuer(assertion: string): string | undefined {
  try {
    const iss = decodeJwt(assertion).iss;
    return typeof iss === "string" ? iss : undefined;
  } catch {
    return undefined;
  }
}

/** Same rule as Resource Manager's validation: https, or plain http on loopback for local issuers. */
function allowedIssuer(issuer: string): boolean {
  try {
    const url = new URL(issuer);
    return url.protocol === "https:" || (url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname));
  } catch {
    return false;
  }
}

async function issuerKeys(issuer: string): Promise<JSONWebKeySet> {
  const cached = jwksCache.get(issuer);
  if (cached && Date.now() - cached.fetchedAt < JWKS_CACHE_MS) return cached.jwks;
  try {
    const discovery = (await (await fetch(`${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`)).json()) as {
      jwks_uri?: string;
    };
    if (typeof discovery.jwks_uri !== "string" || !allowedIssuer(discovery.jwks_uri)) throw new Error("no usable jwks_uri");
    const jwks = (await (await fetch(discovery.jwks_uri)).json()) as JSONWebKeySet;
    if (!Array.isArray(jwks.keys)) throw new Error("the JWKS has no keys");
    jwksCache.set(issuer, { fetchedAt: Date.now(), jwks });
    return jwks;
  } catch (err) {
    throw FederationErrors.issuerUnreachable(issuer, err instanceof Error ? err.message : String(err));
  }
}

export async function verifyFederatedAssertion(
  assertion: string,
  credentials: FederatedCredential[],
): Promise<Record<string, unknown>> {
  const issuer = assertionIssuer(assertion);
  if (!issuer) throw AadErrors.malformedAssertion("The client assertion has no issuer.");
  const trusted = credentials.filter((c) => c.issuer === issuer);
  if (trusted.length === 0 || !allowedIssuer(issuer)) throw FederationErrors.noMatchingIssuer(issuer);

  let claims: Record<string, unknown>;
  try {
    const { payload } = await compactVerify(assertion, createLocalJWKSet(await issuerKeys(issuer)), {
      algorithms: ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"],
    });
    claims = JSON.parse(new TextDecoder().decode(payload));
  } catch (err) {
    if (err instanceof Error && "aadsts" in err) throw err;
    throw FederationErrors.badSignature(issuer);
  }
  const now = emulatorNowSeconds();
  const exp = typeof claims.exp === "number" ? claims.exp : undefined;
  const nbf = typeof claims.nbf === "number" ? claims.nbf : undefined;
  if (exp === undefined || now > exp + CLOCK_SKEW_SECONDS || (nbf !== undefined && now + CLOCK_SKEW_SECONDS < nbf)) {
    throw AadErrors.assertionTimeInvalid(now, nbf, exp);
  }
  const subject = String(claims.sub ?? "");
  const audiences = Array.isArray(claims.aud) ? claims.aud.map(String) : [String(claims.aud ?? "")];
  const match = trusted.find((c) => c.subject === subject && c.audiences.some((a) => audiences.includes(a)));
  if (!match) throw FederationErrors.noMatchingRecord(issuer, subject, audiences.join(","));
  return claims;
}
