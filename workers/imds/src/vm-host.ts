// One Durable Object per VM, keyed by the VM's IMDS endpoint key. It holds what Resource Manager
// configured (instance metadata, and the client id and certificate of each identity) and the
// token cache. Tokens are obtained as a VM's managed identity obtains them in Azure: sign a
// client assertion with the identity's certificate and redeem it at the authority.
import { DurableObject } from "cloudflare:workers";
import { SignJWT, importPKCS8 } from "jose";
import { privateKeyPem } from "../../../shared/certificates";
import { emulatorNowSeconds, syncClock } from "../../../shared/emulator-clock";
import { ImdsError, ImdsErrors } from "../../../shared/errors/imds";
import type { ImdsIdentity, VmImdsConfiguration } from "../../../shared/rpc";
import type { ImdsEnv } from "./env";
import { imdsState, throttlingOn, VmThrottle, THROTTLE_CONCURRENCY, THROTTLE_RATE_PER_SECOND } from "./faults";
import { accepted, refused, type Outcome } from "../../../shared/outcome";

export interface IdentitySelector {
  clientId?: string;
  objectId?: string;
  resourceId?: string;
}

export interface TokenRequest {
  resource: string;
  selector: IdentitySelector;
  bypassCache: boolean;
}

/**
 * The shared Outcome: the token answer and whose token it is (`principalId`, for the log line), or
 * a refusal (its `code` is IMDS's `error`, its `message` the description) that IMDS words at its edge.
 */
export type TokenResult = Outcome<{ body: Record<string, string>; principalId: string }>;

interface CachedToken {
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

const CONFIG = "config";
const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export class VmMetadataHost extends DurableObject<ImdsEnv> {
  private config: VmImdsConfiguration | null = null;
  private readonly cache = new Map<string, CachedToken>();
  private readonly keys = new Map<string, CryptoKey>();
  /** Azure's per-VM limits, applied when MIE_IMDS_THROTTLING is on. */
  private readonly throttle = new VmThrottle();

  constructor(ctx: DurableObjectState, env: ImdsEnv) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      this.config = (await ctx.storage.get<VmImdsConfiguration>(CONFIG)) ?? null;
    });
  }

  async configureVm(configuration: VmImdsConfiguration): Promise<void> {
    await this.ctx.storage.put(CONFIG, configuration);
    this.config = configuration;
    const live = new Set(configuration.identities.map((i) => `${i.clientId}|${i.credential.x5t}`));
    for (const [key, token] of this.cache) if (!live.has(`${token.clientId}|${token.x5t}`)) this.cache.delete(key);
    for (const key of this.keys.keys()) if (!live.has(key)) this.keys.delete(key);
  }

  async clearVm(): Promise<void> {
    await this.ctx.storage.deleteAll();
    this.config = null;
    this.cache.clear();
    this.keys.clear();
  }

  async instance(): Promise<VmImdsConfiguration | null> {
    return this.config;
  }

  async getToken(request: TokenRequest): Promise<TokenResult> {
    const admitted = throttlingOn(this.env) ? this.throttle.admit() : null;
    if (throttlingOn(this.env) && !admitted) {
      return refused("too_many_requests", {
        status: 429,
        message: `Too many requests. The managed identity endpoint takes ${THROTTLE_RATE_PER_SECOND} requests per second and ${THROTTLE_CONCURRENCY} at once per VM.`,
      });
    }
    try {
      // The emulator clock: exact here on the local server; at the edge, re-read at most once a second.
      await syncClock(() => imdsState(this.env).clockOffset());
      const identity = this.select(request.selector);
      return accepted({ body: await this.token(request, identity), principalId: identity.principalId });
    } catch (err) {
      if (err instanceof ImdsError) return refused(err.error, { status: err.status, message: err.message });
      throw err;
    } finally {
      admitted?.release();
    }
  }

  private async token(request: TokenRequest, identity: ImdsIdentity): Promise<Record<string, string>> {
    const cacheKey = `${identity.clientId}|${request.resource}`;
    const now = emulatorNowSeconds();
    const cached = this.cache.get(cacheKey);
    if (cached && !request.bypassCache && now < cached.refreshAt && cached.x5t === identity.credential.x5t) {
      return responseBody(cached, now);
    }
    const fresh = await this.redeem(identity, request.resource);
    // Cache only if the identity is still configured with the same credential: a detach that
    // raced with this request must not leave a token behind.
    const still = this.config?.identities.some((i) => i.clientId === identity.clientId && i.credential.x5t === identity.credential.x5t);
    if (still) this.cache.set(cacheKey, fresh);
    return responseBody(fresh, emulatorNowSeconds());
  }

  private select(selector: IdentitySelector): ImdsIdentity {
    const identities = this.config?.identities ?? [];
    if (selector.clientId) {
      return found(identities.find((i) => i.clientId.toLowerCase() === selector.clientId!.toLowerCase()));
    }
    if (selector.objectId) {
      return found(identities.find((i) => i.principalId.toLowerCase() === selector.objectId!.toLowerCase()));
    }
    if (selector.resourceId) {
      const wanted = selector.resourceId.toLowerCase();
      return found(identities.find((i) => i.kind === "UserAssigned" && i.resourceId.toLowerCase() === wanted));
    }
    const system = identities.find((i) => i.kind === "SystemAssigned");
    if (system) return system;
    const user = identities.filter((i) => i.kind === "UserAssigned");
    if (user.length === 1) return user[0]!;
    if (user.length > 1) throw ImdsErrors.multipleUserAssigned();
    throw ImdsErrors.identityNotFound();
  }

  private async redeem(identity: ImdsIdentity, resource: string): Promise<CachedToken> {
    const loginBase = (this.env.LOGIN_URL ?? "https://login.microsoftonline.com").replace(/\/+$/, "");
    const tokenEndpoint = `${loginBase}/${identity.tenantId}/oauth2/token`;
    const now = emulatorNowSeconds();
    const assertion = await new SignJWT({
      ...(identity.kind === "UserAssigned" && this.config ? { xms_az_rid: this.config.vmResourceId } : {}),
    })
      .setProtectedHeader({ alg: "RS256", typ: "JWT", x5t: identity.credential.x5t })
      .setIssuer(identity.clientId)
      .setSubject(identity.clientId)
      .setAudience(tokenEndpoint)
      .setJti(crypto.randomUUID())
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 600)
      .sign(await this.signingKey(identity));
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
    if (!response.ok) throw authorityFailure(body);
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

function found(identity: ImdsIdentity | undefined): ImdsIdentity {
  if (!identity) throw ImdsErrors.identityNotFound();
  return identity;
}

/** IMDS's token response: every value a string (msal-node reads expires_on). */
function responseBody(token: CachedToken, now: number): Record<string, string> {
  return {
    access_token: token.accessToken,
    client_id: token.clientId,
    expires_in: String(Math.max(0, token.expiresOn - now)),
    expires_on: String(token.expiresOn),
    ext_expires_in: token.extExpiresIn,
    not_before: String(token.notBefore),
    resource: token.resource,
    token_type: "Bearer",
  };
}

/** What the authority said, in IMDS's words: an unknown resource is the caller's mistake; a principal the authority no longer knows means the identity is gone. */
function authorityFailure(body: Record<string, unknown>): ImdsError {
  const description = String(body.error_description ?? "").split("\r\n")[0] ?? "";
  if (body.error === "invalid_resource") return ImdsErrors.invalidResource(description);
  if (body.error === "unauthorized_client" || body.error === "invalid_client") return ImdsErrors.identityNotFound();
  return ImdsErrors.upstream(description);
}
