// How every identity endpoint of this worker (a VM's IMDS, a site's App Service endpoint) obtains
// a token, as a managed identity does in Azure: sign a client assertion with the identity's
// certificate and redeem it at the authority. One instance per host Durable Object holds that
// host's token cache and imported signing keys; what differs between the endpoints (selectors,
// wire shape, errors) stays with each endpoint.
import { SignJWT, importPKCS8 } from "jose";
import { privateKeyPem } from "../../../shared/certificates";
import { emulatorNowSeconds } from "../../../shared/emulator-clock";
import type { ImdsIdentity } from "../../../shared/rpc";
import type { ImdsEnv } from "./env";
import { jwtParts, reportFlow, type WaitUntil } from "../../../shared/flow";
import type { IdentitySelector } from "./identity-selection";

/** What the console's flow says about a token request (steps 5 and 6): which endpoint, asked how, by whom. */
export interface TokenTrace {
  keeper: WaitUntil;
  endpoint: "imds" | "appservice";
  selector: IdentitySelector;
}

export interface IssuedToken {
  accessToken: string;
  clientId: string;
  x5t: string;
  expiresOn: number;
  notBefore: number;
  extExpiresIn: string;
  resource: string;
  /** Served from the cache until this time (epoch seconds): shortly before expiry. */
  refreshAt: number;
}

/** Why the authority refused: each endpoint words these in its own shape. */
export class AuthorityRefusal extends Error {
  readonly kind: "invalidResource" | "identityGone" | "upstream";
  constructor(kind: AuthorityRefusal["kind"], description: string) {
    super(description);
    this.kind = kind;
  }
}

const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/** A client assertion's lifetime; it is reused (as msal-node reuses its own) until a minute before it ends. */
const ASSERTION_LIFETIME_SECONDS = 600;
const ASSERTION_REUSE_MARGIN_SECONDS = 60;

export class IdentityTokens {
  private readonly cache = new Map<string, IssuedToken>();
  private readonly keys = new Map<string, CryptoKey>();
  /**
   * Signed client assertions by identity (client id, certificate, host): Azure AD takes an
   * assertion until it expires (it does not spend its jti), so a fresh token costs one RSA
   * signature (the authority's) instead of two.
   */
  private readonly assertions = new Map<string, { assertion: string; reuseUntil: number }>();

  constructor(private readonly env: ImdsEnv) {}

  /** Drops cached tokens and keys of identities (client id + certificate) no longer configured. */
  retain(identities: ImdsIdentity[]): void {
    const live = new Set(identities.map((i) => `${i.clientId}|${i.credential.x5t}`));
    for (const [key, token] of this.cache) if (!live.has(`${token.clientId}|${token.x5t}`)) this.cache.delete(key);
    for (const key of this.keys.keys()) if (!live.has(key)) this.keys.delete(key);
    for (const key of this.assertions.keys()) if (!live.has(key.split("|").slice(0, 2).join("|"))) this.assertions.delete(key);
  }

  clear(): void {
    this.cache.clear();
    this.keys.clear();
    this.assertions.clear();
  }

  /**
   * A token for `identity` and `resource`: from the cache unless bypassed or near expiry. The
   * host resource (`hostResourceId`) is named in a user-assigned identity's assertion as
   * xms_az_rid. `stillConfigured` is asked after the redemption: a detach that raced with the
   * request must not leave a token behind in the cache.
   */
  async token(
    identity: ImdsIdentity,
    resource: string,
    options: { bypassCache: boolean; hostResourceId: string; stillConfigured: () => boolean; trace?: TokenTrace },
  ): Promise<IssuedToken> {
    const cacheKey = `${identity.clientId}|${resource}`;
    const cached = this.cache.get(cacheKey);
    const fromCache = !!cached && !options.bypassCache && emulatorNowSeconds() < cached.refreshAt && cached.x5t === identity.credential.x5t;
    if (options.trace) reportTokenRequest(this.env, options.trace, identity, resource, options.hostResourceId, fromCache ? "cache" : "authority", options.bypassCache);
    if (fromCache) return cached;
    const fresh = await this.redeem(identity, resource, options.hostResourceId, options.trace);
    if (options.stillConfigured()) this.cache.set(cacheKey, fresh);
    return fresh;
  }

  private async redeem(identity: ImdsIdentity, resource: string, hostResourceId: string, trace?: TokenTrace): Promise<IssuedToken> {
    const loginBase = (this.env.LOGIN_URL ?? "https://login.microsoftonline.com").replace(/\/+$/, "");
    const tokenEndpoint = `${loginBase}/${identity.tenantId}/oauth2/token`;
    const { assertion, reused } = await this.clientAssertion(identity, tokenEndpoint, hostResourceId);
    if (trace) {
      reportFlow(this.env, trace.keeper, { step: 6, kind: "assertion-presented", service: "imds" }, () => ({
        summary: `${trace.endpoint === "imds" ? "IMDS" : "App Service's endpoint"} presents a client assertion signed with the certificate of ${identity.clientId}${reused ? " (reused: still valid)" : ""} to ${tokenEndpoint}`,
        resourceId: hostResourceId,
        principalId: identity.principalId,
        clientId: identity.clientId,
        detail: { tokenEndpoint, resource, reused, assertion: jwtParts(assertion) },
      }));
    }
    const response = await this.env.AAD.fetch(
      new Request(tokenEndpoint, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: identity.clientId,
          client_assertion_type: JWT_BEARER,
          client_assertion: assertion,
          resource,
        }),
      }),
    );
    const body = (await response.json().catch(() => ({}))) as Record<string, string>;
    if (!response.ok) throw authorityRefusal(body);
    const expiresOn = Number(body.expires_on);
    const notBefore = Number(body.not_before);
    const lifetime = expiresOn - notBefore;
    return {
      accessToken: body.access_token!,
      clientId: identity.clientId,
      x5t: identity.credential.x5t,
      expiresOn,
      notBefore,
      extExpiresIn: body.ext_expires_in ?? String(lifetime),
      resource,
      refreshAt: expiresOn - Math.min(300, Math.floor(lifetime / 10)),
    };
  }

  /** A client assertion for the identity: the one signed earlier while it has more than a minute left, else a new one. */
  private async clientAssertion(identity: ImdsIdentity, tokenEndpoint: string, hostResourceId: string): Promise<{ assertion: string; reused: boolean }> {
    const hostClaim = identity.kind === "UserAssigned" ? hostResourceId : "";
    const cacheKey = `${identity.clientId}|${identity.credential.x5t}|${tokenEndpoint}|${hostClaim}`;
    const now = emulatorNowSeconds();
    const cached = this.assertions.get(cacheKey);
    if (cached && now < cached.reuseUntil) return { assertion: cached.assertion, reused: true };
    const assertion = await new SignJWT(hostClaim ? { xms_az_rid: hostClaim } : {})
      .setProtectedHeader({ alg: "RS256", typ: "JWT", x5t: identity.credential.x5t })
      .setIssuer(identity.clientId)
      .setSubject(identity.clientId)
      .setAudience(tokenEndpoint)
      .setJti(crypto.randomUUID())
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ASSERTION_LIFETIME_SECONDS)
      .sign(await this.signingKey(identity));
    this.assertions.set(cacheKey, { assertion, reuseUntil: now + ASSERTION_LIFETIME_SECONDS - ASSERTION_REUSE_MARGIN_SECONDS });
    return { assertion, reused: false };
  }

  private async signingKey(identity: ImdsIdentity): Promise<CryptoKey> {
    const id = `${identity.clientId}|${identity.credential.x5t}`;
    let key = this.keys.get(id);
    if (!key) {
      key = await importPKCS8(privateKeyPem(identity.credential.privateKeyPkcs8), "RS256");
      this.keys.set(id, key);
    }
    return key;
  }
}

/** What the authority said: an unknown resource is the caller's mistake; a principal the authority no longer knows means the identity is gone. */
function authorityRefusal(body: Record<string, unknown>): AuthorityRefusal {
  const description = String(body.error_description ?? "").split("\r\n")[0] ?? "";
  if (body.error === "invalid_resource") return new AuthorityRefusal("invalidResource", description);
  if (body.error === "unauthorized_client" || body.error === "invalid_client") return new AuthorityRefusal("identityGone", description);
  return new AuthorityRefusal("upstream", description);
}

/** Step 5 of the console's flow: the hosted code's request, the identity chosen, and where the answer comes from. */
export function reportTokenRequest(
  env: ImdsEnv,
  trace: TokenTrace,
  identity: Pick<ImdsIdentity, "kind" | "clientId" | "principalId">,
  resource: string,
  hostResourceId: string,
  servedFrom: "cache" | "authority" | "isolate copy",
  bypassCache = false,
): void {
  reportFlow(env, trace.keeper, { step: 5, kind: "token-requested", service: "imds" }, () => {
    const selector = Object.entries(trace.selector).filter(([, v]) => v).map(([k, v]) => `${k}=${v}`);
    return {
      summary: `code on ${hostResourceId} asks ${trace.endpoint === "imds" ? "IMDS" : "App Service's identity endpoint"} for a token for ${resource}; ${identity.kind === "SystemAssigned" ? "system-assigned" : "user-assigned"} identity ${identity.clientId} chosen${selector.length ? ` by ${selector.join(", ")}` : ""}; ${servedFrom === "authority" ? "asking the authority" : "served from the endpoint's cache"}`,
      resourceId: hostResourceId,
      principalId: identity.principalId,
      clientId: identity.clientId,
      detail: { endpoint: trace.endpoint, resource, selector: trace.selector, identityKind: identity.kind, servedFrom, bypassCache },
    };
  });
}
