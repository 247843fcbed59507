// One Durable Object per VM, keyed by the VM's IMDS endpoint key. It holds what Resource Manager
// configured (instance metadata, and the client id and certificate of each identity) and the
// token cache. Tokens are obtained as a VM's managed identity obtains them in Azure: sign a
// client assertion with the identity's certificate and redeem it at the authority.
import { DurableObject } from "cloudflare:workers";
import { emulatorNowSeconds, syncClock } from "../../../shared/emulator-clock";
import { ImdsError, ImdsErrors } from "../../../shared/errors/imds";
import type { ImdsIdentity, VmImdsConfiguration } from "../../../shared/rpc";
import type { ImdsEnv } from "./env";
import { imdsState, throttlingOn, VmThrottle, THROTTLE_CONCURRENCY, THROTTLE_RATE_PER_SECOND } from "./faults";
import { accepted, refused, type Outcome } from "../../../shared/outcome";
import { selectIdentity, type IdentitySelector } from "./identity-selection";
import { AuthorityRefusal, IdentityTokens, type IssuedToken } from "./identity-tokens";
import { reportFlow } from "../../../shared/flow";


export interface TokenRequest {
  resource: string;
  selector: IdentitySelector;
  bypassCache: boolean;
}

/**
 * The shared Outcome: the token answer and whose token it is (`trace`: the log line's caller, the console's flow), or
 * a refusal (its `code` is IMDS's `error`, its `message` the description) that IMDS words at its edge.
 */
export type TokenResult = Outcome<{ body: Record<string, string>; trace: AnswerTrace }>;

/** Who answered, for the console's flow when the worker serves a copy of the answer (token-answers.ts). */
export interface AnswerTrace {
  hostResourceId: string;
  identity: Pick<ImdsIdentity, "kind" | "clientId" | "principalId">;
}

const CONFIG = "config";

export class VmMetadataHost extends DurableObject<ImdsEnv> {
  private config: VmImdsConfiguration | null = null;
  private readonly tokens: IdentityTokens;
  /** Azure's per-VM limits, applied when MIE_IMDS_THROTTLING is on. */
  private readonly throttle = new VmThrottle();

  constructor(ctx: DurableObjectState, env: ImdsEnv) {
    super(ctx, env);
    this.tokens = new IdentityTokens(env);
    ctx.blockConcurrencyWhile(async () => {
      this.config = (await ctx.storage.get<VmImdsConfiguration>(CONFIG)) ?? null;
    });
  }

  async configureVm(configuration: VmImdsConfiguration): Promise<void> {
    await this.ctx.storage.put(CONFIG, configuration);
    this.config = configuration;
    this.tokens.retain(configuration.identities);
  }

  async clearVm(): Promise<void> {
    await this.ctx.storage.deleteAll();
    this.config = null;
    this.tokens.clear();
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
      return accepted({
        body: await this.token(request, identity),
        trace: { hostResourceId: this.config?.vmResourceId ?? "", identity: { kind: identity.kind, clientId: identity.clientId, principalId: identity.principalId } },
      });
    } catch (err) {
      if (err instanceof ImdsError) {
        reportFlow(this.env, this.ctx, { step: 5, kind: "token-refused", service: "imds" }, () => ({
          summary: `IMDS refuses a token for ${request.resource} on ${this.config?.vmResourceId ?? "a VM"}: ${err.status} ${err.error}: ${err.message}`,
          ...(this.config ? { resourceId: this.config.vmResourceId } : {}),
          detail: { endpoint: "imds", resource: request.resource, selector: request.selector, status: err.status, error: err.error, message: err.message },
        }));
        return refused(err.error, { status: err.status, message: err.message });
      }
      throw err;
    } finally {
      admitted?.release();
    }
  }

  private async token(request: TokenRequest, identity: ImdsIdentity): Promise<Record<string, string>> {
    try {
      const token = await this.tokens.token(identity, request.resource, {
        bypassCache: request.bypassCache,
        hostResourceId: this.config?.vmResourceId ?? "",
        trace: { keeper: this.ctx, endpoint: "imds", selector: request.selector },
        stillConfigured: () => this.config?.identities.some((i) => i.clientId === identity.clientId && i.credential.x5t === identity.credential.x5t) ?? false,
      });
      return responseBody(token, emulatorNowSeconds());
    } catch (err) {
      if (err instanceof AuthorityRefusal) throw imdsRefusal(err);
      throw err;
    }
  }

  private select(selector: IdentitySelector): ImdsIdentity {
    const selection = selectIdentity(this.config?.identities ?? [], selector);
    if ("identity" in selection) return selection.identity;
    throw selection.refusal === "ambiguous" ? ImdsErrors.multipleUserAssigned() : ImdsErrors.identityNotFound();
  }

}


/** IMDS's token response: every value a string (msal-node reads expires_on). */
function responseBody(token: IssuedToken, now: number): Record<string, string> {
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

/** What the authority said, in IMDS's words. */
function imdsRefusal(refusal: AuthorityRefusal): ImdsError {
  if (refusal.kind === "invalidResource") return ImdsErrors.invalidResource(refusal.message);
  if (refusal.kind === "identityGone") return ImdsErrors.identityNotFound();
  return ImdsErrors.upstream(refusal.message);
}
