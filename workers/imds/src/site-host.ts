// One Durable Object per site (Microsoft.Web/sites), keyed by its identity endpoint key: what
// Resource Manager configured (the site's id, the secret App Service injects as IDENTITY_HEADER
// and MSI_SECRET, the client id and certificate of each identity) and the token cache. Tokens are
// obtained as on a VM (identity-tokens.ts): a client assertion signed with the identity's
// certificate, redeemed at the authority; xms_az_rid names the site for user-assigned identities.
import { DurableObject } from "cloudflare:workers";
import { syncClock } from "../../../shared/emulator-clock";
import { AppServiceIdentityError, AppServiceIdentityErrors } from "../../../shared/errors/app-service-identity";
import { accepted, refused, type Outcome } from "../../../shared/outcome";
import type { SiteIdentityConfiguration } from "../../../shared/rpc";
import type { ImdsEnv } from "./env";
import { imdsState } from "./faults";
import { AuthorityRefusal, IdentityTokens, type IssuedToken } from "./identity-tokens";
import { selectIdentity, type IdentitySelector } from "./identity-selection";
import { reportFlow } from "../../../shared/flow";

const CONFIG = "config";

export interface SiteTokenRequest {
  resource: string;
  selector: IdentitySelector;
}

/** The token and whose it is, or a refusal in the endpoint's terms (status + message) for its edge to word. */
export type SiteTokenResult = Outcome<{ token: IssuedToken; principalId: string }>;

export class SiteIdentityHost extends DurableObject<ImdsEnv> {
  private config: SiteIdentityConfiguration | null = null;
  private readonly tokens: IdentityTokens;

  constructor(ctx: DurableObjectState, env: ImdsEnv) {
    super(ctx, env);
    this.tokens = new IdentityTokens(env);
    ctx.blockConcurrencyWhile(async () => {
      this.config = (await ctx.storage.get<SiteIdentityConfiguration>(CONFIG)) ?? null;
    });
  }

  async configureSite(configuration: SiteIdentityConfiguration): Promise<void> {
    await this.ctx.storage.put(CONFIG, configuration);
    this.config = configuration;
    this.tokens.retain(configuration.identities);
  }

  async clearSite(): Promise<void> {
    await this.ctx.storage.deleteAll();
    this.config = null;
    this.tokens.clear();
  }

  /** The site's id and secret, for the edge's checks (null: no such endpoint). */
  async describe(): Promise<{ siteResourceId: string; identityHeader: string } | null> {
    return this.config ? { siteResourceId: this.config.siteResourceId, identityHeader: this.config.identityHeader } : null;
  }

  async getToken(request: SiteTokenRequest): Promise<SiteTokenResult> {
    try {
      await syncClock(() => imdsState(this.env).clockOffset());
      const config = this.config;
      if (!config) throw AppServiceIdentityErrors.unableToLoadIdentity();
      const selection = selectIdentity(config.identities, request.selector);
      if (!("identity" in selection)) throw AppServiceIdentityErrors.unableToLoadIdentity();
      const identity = selection.identity;
      const token = await this.tokens
        .token(identity, request.resource, {
          bypassCache: false,
          hostResourceId: config.siteResourceId,
          trace: { keeper: this.ctx, endpoint: "appservice", selector: request.selector },
          stillConfigured: () => this.config?.identities.some((i) => i.clientId === identity.clientId && i.credential.x5t === identity.credential.x5t) ?? false,
        })
        .catch((err: unknown) => {
          if (!(err instanceof AuthorityRefusal)) throw err;
          if (err.kind === "invalidResource") throw AppServiceIdentityErrors.invalidResource(err.message);
          if (err.kind === "identityGone") throw AppServiceIdentityErrors.unableToLoadIdentity();
          throw AppServiceIdentityErrors.upstream(err.message);
        });
      return accepted({ token, principalId: identity.principalId });
    } catch (err) {
      // Errors do not cross RPC: the refusal goes back as data (shared/outcome.ts).
      if (err instanceof AppServiceIdentityError) {
        reportFlow(this.env, this.ctx, { step: 5, kind: "token-refused", service: "imds" }, () => ({
          summary: `App Service's identity endpoint refuses a token for ${request.resource} on ${this.config?.siteResourceId ?? "a site"}: ${err.status}: ${err.message}`,
          ...(this.config ? { resourceId: this.config.siteResourceId } : {}),
          detail: { endpoint: "appservice", resource: request.resource, selector: request.selector, status: err.status, message: err.message },
        }));
        return refused("refused", { status: err.status, message: err.message });
      }
      throw err;
    }
  }
}
