// Verifying the access tokens our authority issues, for every resource server that accepts them
// (Resource Manager, the Key Vault data plane). Only the tenant's published signing keys are
// trusted: they are fetched over the directory binding, never from a URL named in the token.
// What each server answers for a rejected token (status, code, wording) is its own business, so
// a rejection is returned as data, in the order Azure's servers check: form, signature, lifetime,
// issuer, audience, caller.
import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK } from "jose";
import type { PublicJwk } from "./rpc";
import { emulatorNowSeconds } from "./emulator-clock";

const KEY_CACHE_MS = 10 * 60_000;
/** A token naming a kid we do not know triggers a refresh, but not more often than this. */
const KEY_REFRESH_MIN_INTERVAL_MS = 5_000;
const NOT_BEFORE_SKEW_SECONDS = 300;

/** The tenant's public signing keys, cached per isolate and refreshed when an unknown kid shows up. */
export class SigningKeySet {
  private cache: { fetchedAt: number; keys: Map<string, CryptoKey> } | null = null;

  constructor(private readonly fetchKeys: () => Promise<PublicJwk[]>) {}

  private async load(): Promise<{ fetchedAt: number; keys: Map<string, CryptoKey> }> {
    const keys = new Map<string, CryptoKey>();
    for (const jwk of await this.fetchKeys()) {
      keys.set(jwk.kid, (await importJWK({ kty: jwk.kty, n: jwk.n, e: jwk.e }, "RS256")) as CryptoKey);
    }
    this.cache = { fetchedAt: Date.now(), keys };
    return this.cache;
  }

  async key(kid: string): Promise<CryptoKey | undefined> {
    let cache = this.cache;
    if (!cache || Date.now() - cache.fetchedAt > KEY_CACHE_MS) cache = await this.load();
    let key = cache.keys.get(kid);
    if (!key && Date.now() - cache.fetchedAt > KEY_REFRESH_MIN_INTERVAL_MS) key = (await this.load()).keys.get(kid);
    return key;
  }
}

export type TokenRejection =
  | { reason: "malformed" }
  | { reason: "algorithm"; algorithm: string }
  | { reason: "unknownKey"; encodedHeader: string }
  | { reason: "signature" }
  | { reason: "noExpiry" }
  | { reason: "expired"; expiry: Date; now: Date }
  | { reason: "notYetValid"; notBefore: Date; now: Date }
  | { reason: "issuer"; issuer: string; expectedIssuer: string }
  | { reason: "audience"; audience: string }
  | { reason: "noObjectId" };

export interface VerifiedCaller {
  objectId: string;
  appId: string;
  tenantId: string;
  issuer: string;
}

export interface VerificationPolicy {
  keys: SigningKeySet;
  /** The tenant whose issuer (https://sts.windows.net/{tid}/) is accepted. */
  tenantId: string;
  /** Accepted `aud` values, compared case-insensitively. */
  audiences: readonly string[];
}

/** Azure AD's v1 and v2 token issuers, for any tenant. */
const AZURE_AD_ISSUER = /^https:\/\/(sts\.windows\.net\/[0-9a-f-]{36}\/|login\.microsoftonline\.com\/[0-9a-f-]{36}\/v2\.0)$/i;

function unverifiedIssuer(token: string): string | null {
  try {
    const iss = decodeJwt(token).iss;
    return typeof iss === "string" ? iss : null;
  } catch {
    return null;
  }
}

/** The v1 issuer our authority writes into every token of `tenantId`. */
export function v1TokenIssuer(tenantId: string): string {
  return `https://sts.windows.net/${tenantId}/`;
}

export async function verifyAccessToken(
  token: string,
  policy: VerificationPolicy,
): Promise<{ ok: true; caller: VerifiedCaller } | { ok: false; rejection: TokenRejection }> {
  const reject = (rejection: TokenRejection) => ({ ok: false as const, rejection });
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return reject({ reason: "malformed" });
  }
  if (header.alg !== "RS256") return reject({ reason: "algorithm", algorithm: String(header.alg) });
  const key = typeof header.kid === "string" ? await policy.keys.key(header.kid) : undefined;
  if (!key) {
    // Azure AD signs every tenant's tokens with the same keys, so there a genuine token of
    // another tenant verifies and is refused for its issuer. Our keys are per tenant, so such a
    // token names a key we do not know: refuse it for its issuer too, as Azure would.
    const claimed = unverifiedIssuer(token);
    const expectedIssuer = v1TokenIssuer(policy.tenantId);
    if (claimed && AZURE_AD_ISSUER.test(claimed) && claimed.toLowerCase() !== expectedIssuer.toLowerCase()) {
      return reject({ reason: "issuer", issuer: claimed, expectedIssuer });
    }
    return reject({ reason: "unknownKey", encodedHeader: token.split(".")[0] ?? "" });
  }
  let payload: Record<string, unknown>;
  try {
    const verified = await compactVerify(token, key, { algorithms: ["RS256"] });
    payload = JSON.parse(new TextDecoder().decode(verified.payload));
  } catch {
    return reject({ reason: "signature" });
  }

  // The emulator clock (shared/emulator-clock.ts): POST {arm}/emulator/clock expires tokens.
  const now = emulatorNowSeconds();
  if (typeof payload.exp !== "number") return reject({ reason: "noExpiry" });
  // Expired at `exp` exactly, no grace: expiry tests stay deterministic (README, differences).
  if (payload.exp <= now) return reject({ reason: "expired", expiry: new Date(payload.exp * 1000), now: new Date(now * 1000) });
  if (typeof payload.nbf === "number" && payload.nbf > now + NOT_BEFORE_SKEW_SECONDS) {
    return reject({ reason: "notYetValid", notBefore: new Date(payload.nbf * 1000), now: new Date(now * 1000) });
  }
  const expectedIssuer = v1TokenIssuer(policy.tenantId);
  if (typeof payload.iss !== "string" || payload.iss.toLowerCase() !== expectedIssuer.toLowerCase()) {
    return reject({ reason: "issuer", issuer: String(payload.iss), expectedIssuer });
  }
  const audience = String(payload.aud);
  if (!policy.audiences.some((a) => a.toLowerCase() === audience.toLowerCase())) return reject({ reason: "audience", audience });
  if (typeof payload.oid !== "string") return reject({ reason: "noObjectId" });
  return {
    ok: true,
    caller: {
      objectId: payload.oid,
      appId: String(payload.appid ?? payload.azp ?? payload.oid),
      tenantId: String(payload.tid ?? policy.tenantId),
      issuer: payload.iss,
    },
  };
}
