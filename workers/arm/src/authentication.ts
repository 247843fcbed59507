// Who is calling Resource Manager: a bearer token issued by our authority, verified with the
// tenant's published signing keys (fetched over the service binding, cached per isolate) and
// nothing else. Failures are ARM's 401s.
import { compactVerify, decodeProtectedHeader, importJWK } from "jose";
import { ArmErrors } from "../../../shared/errors/arm";
import type { ArmEnv } from "./env";

export interface Caller {
  objectId: string;
  appId: string;
  tenantId: string;
}

const ALLOWED_AUDIENCES = new Set([
  "https://management.azure.com",
  "https://management.azure.com/",
  "https://management.core.windows.net",
  "https://management.core.windows.net/",
]);
const NOT_BEFORE_SKEW_SECONDS = 300;
const KEY_CACHE_MS = 10 * 60_000;
const KEY_REFRESH_MIN_INTERVAL_MS = 5_000;

interface KeyCache {
  fetchedAt: number;
  keys: Map<string, CryptoKey>;
}
let keyCache: KeyCache | null = null;

async function loadKeys(env: ArmEnv): Promise<KeyCache> {
  const jwks = await env.AAD.signingKeys(env.TENANT_ID);
  const keys = new Map<string, CryptoKey>();
  for (const jwk of jwks) keys.set(jwk.kid, (await importJWK({ kty: jwk.kty, n: jwk.n, e: jwk.e }, "RS256")) as CryptoKey);
  keyCache = { fetchedAt: Date.now(), keys };
  return keyCache;
}

/** The verification key for `kid`, refreshing the published keys when the kid is new to us. */
export async function verificationKey(env: ArmEnv, kid: string): Promise<CryptoKey | undefined> {
  let cache = keyCache;
  if (!cache || Date.now() - cache.fetchedAt > KEY_CACHE_MS) cache = await loadKeys(env);
  let key = cache.keys.get(kid);
  if (!key && Date.now() - cache.fetchedAt > KEY_REFRESH_MIN_INTERVAL_MS) key = (await loadKeys(env)).keys.get(kid);
  return key;
}

export async function authenticate(env: ArmEnv, authorization: string | undefined): Promise<Caller> {
  if (!authorization) throw ArmErrors.authenticationMissing();
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) throw ArmErrors.authenticationMalformed();
  const token = match[1]!;

  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw ArmErrors.invalidToken("The token is not a well-formed JWT.");
  }
  if (header.alg !== "RS256") throw ArmErrors.invalidToken(`The token signing algorithm '${String(header.alg)}' is not accepted.`);
  const key = typeof header.kid === "string" ? await verificationKey(env, header.kid) : undefined;
  if (!key) throw ArmErrors.invalidToken("The token was not signed by a key of this tenant's authority.");
  let payload: Record<string, unknown>;
  try {
    const verified = await compactVerify(token, key, { algorithms: ["RS256"] });
    payload = JSON.parse(new TextDecoder().decode(verified.payload));
  } catch {
    throw ArmErrors.invalidToken("The token signature is invalid.");
  }

  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.exp !== "number") throw ArmErrors.invalidToken("The token has no expiry.");
  if (payload.exp <= now) throw ArmErrors.expiredToken(new Date(payload.exp * 1000), new Date(now * 1000));
  if (typeof payload.nbf === "number" && payload.nbf > now + NOT_BEFORE_SKEW_SECONDS) {
    throw ArmErrors.invalidToken("The token is not yet valid.");
  }
  const expectedIssuer = `https://sts.windows.net/${env.TENANT_ID}/`;
  if (typeof payload.iss !== "string" || payload.iss.toLowerCase() !== expectedIssuer.toLowerCase()) {
    throw ArmErrors.wrongTenant(String(payload.iss), expectedIssuer, env.TENANT_ID);
  }
  const audience = String(payload.aud);
  if (!ALLOWED_AUDIENCES.has(audience.toLowerCase())) throw ArmErrors.wrongAudience(audience);
  if (typeof payload.oid !== "string") {
    throw ArmErrors.invalidToken("The received access token is not valid: at least one of the claims 'puid' or 'altsecid' or 'oid' should be present.");
  }
  return {
    objectId: payload.oid,
    appId: String(payload.appid ?? payload.azp ?? payload.oid),
    tenantId: String(payload.tid ?? env.TENANT_ID),
  };
}
