// The Azure AD token authority ("login"). HTTP: discovery, JWKS and token endpoints as Azure AD
// serves them. RPC (DirectoryRpc): what Resource Manager asks of the directory when it creates
// and deletes managed identities; (GraphDirectoryRpc, graph-directory.ts) what the Graph worker
// reads and writes: principals, applications and their secrets.
import { WorkerEntrypoint } from "cloudflare:workers";
import { Hono, type Context } from "hono";
import type { GraphDirectoryBinding } from "../../../shared/bindings/graph-directory";
import type { ManagedIdentityDirectoryBinding } from "../../../shared/bindings/managed-identity-directory";
import type { SigningKeysBinding } from "../../../shared/bindings/signing-keys";
import { TOKEN_ENDPOINT_PATH } from "../../../shared/bindings/token-endpoint";
import { AadError } from "../../../shared/errors/aad";
import { isGuid } from "../../../shared/guid";
import { publicBase } from "../../../shared/public-url";
import type {
  FederatedCredential,
  ManagedIdentityPrincipalInput,
  PublicJwk,
  ServicePrincipalView,
} from "../../../shared/rpc";
import { discoveryV1, discoveryV2 } from "./discovery";
import type { AadEnv } from "./env";
import { listingOf } from "./directory-tables";
import { GraphDirectoryEntrypoint } from "./graph-directory";
import { viewOf, type ServicePrincipalRecord } from "./service-principal";
import { handleTokenRequest, knownTenant } from "./token-endpoint";
import { readTokenForm, refuseOversizedBodies } from "./request-body";
import { stubOf } from "../../../shared/durable";
import type { ServicePrincipalObject } from "./service-principal";
import type { TenantAuthority } from "./tenant-authority";
import { HEALTH_PATH, healthResponse } from "../../../shared/health";
import { applyClockOffset, clockOffsetSeconds } from "../../../shared/emulator-clock";
import { requestLog } from "../../../shared/request-log";
import { emulatorState, syncAadClock } from "./operating";

export { ServicePrincipalObject } from "./service-principal";
export { TenantAuthority } from "./tenant-authority";
export { EmulatorState } from "../../../shared/emulator-state";

const app = new Hono<{ Bindings: AadEnv }>();

app.onError((err, c) => {
  if (err instanceof AadError) {
    return c.json(err.body(c.req.header("client-request-id") ?? crypto.randomUUID()), err.status as 400);
  }
  console.error("aad: unexpected error", err);
  return c.json(new AadError(500, "server_error", 90033, "A transient error has occurred. Please try again.").body(), 500);
});

app.use("*", requestLog("aad"));
app.use("*", async (c, next) => {
  await syncAadClock(c.env);
  await next();
});

app.use("*", refuseOversizedBodies);

const base = (c: { env: AadEnv; req: { url: string } }) => publicBase(c.env.LOGIN_URL, c.req.url);

/** Discovery for a tenant: "common" and friends keep Azure's {tenantid} placeholder in the issuer. */
function discoveryTenant(env: AadEnv, tenant: string): string {
  const lowered = tenant.toLowerCase();
  if (["common", "organizations", "consumers"].includes(lowered)) return "{tenantid}";
  try {
    return knownTenant(env, tenant);
  } catch (err) {
    if (err instanceof AadError) throw new AadError(400, "invalid_tenant", err.aadsts, err.message.replace(/^AADSTS\d+: /, ""));
    throw err;
  }
}

app.get(HEALTH_PATH, () => healthResponse());

app.get("/:tenant/.well-known/openid-configuration", (c) => {
  const tenant = c.req.param("tenant");
  return c.json(discoveryV1(base(c), tenant, discoveryTenant(c.env, tenant)));
});
app.get("/:tenant/v2.0/.well-known/openid-configuration", (c) => {
  const tenant = c.req.param("tenant");
  return c.json(discoveryV2(base(c), tenant, discoveryTenant(c.env, tenant)));
});

async function jwks(env: AadEnv): Promise<{ keys: PublicJwk[] }> {
  const tenant = stubOf<TenantAuthority>(env.TENANTS, env.TENANT_ID.toLowerCase());
  return { keys: await tenant.publicKeys() };
}
for (const path of ["/:tenant/discovery/keys", "/:tenant/discovery/v2.0/keys"]) {
  app.get(path, async (c) => {
    discoveryTenant(c.env, c.req.param("tenant") ?? "");
    return c.json(await jwks(c.env));
  });
}

async function tokenRoute(c: Context<{ Bindings: AadEnv }>, version: 1 | 2) {
  const form = await readTokenForm(c.req.raw);
  const body = await handleTokenRequest({
    env: c.env,
    version,
    tenant: c.req.param("tenant") ?? "",
    base: base(c),
    form,
    authorization: c.req.header("authorization"),
    request: c.req.raw,
    keeper: c.executionCtx,
  });
  c.header("Cache-Control", "no-store, no-cache");
  c.header("Pragma", "no-cache");
  return c.json(body);
}
app.post("/:tenant/oauth2/token", (c) => tokenRoute(c, 1));
app.post("/:tenant/oauth2/v2.0/token", (c) => tokenRoute(c, 2));

app.notFound((c) =>
  c.json(
    new AadError(404, "invalid_request", 90010, `The request path '${new URL(c.req.url).pathname}' is not served by this authority.`).body(),
    404,
  ),
);

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<AadEnv>;

// The service binding entrypoints, one per consumer, each granting only what its consumer needs
// (contracts in shared/bindings/): Resource Manager manages managed identities' principals,
// Graph reads and writes the directory view, Key Vault reads signing keys, IMDS reaches the token
// endpoints over HTTP. The shared operations are module functions below.

/** Key Vault's binding (entrypoint "SigningKeys"): the tenant's public signing keys only. */
export class SigningKeys extends WorkerEntrypoint<AadEnv> implements SigningKeysBinding {
  async signingKeys(tenantId: string): Promise<PublicJwk[]> {
    return publicSigningKeys(this.env, tenantId);
  }
}

/** IMDS's binding (entrypoint "TokenEndpoint"): HTTP to the token endpoints, nothing else. */
export class TokenEndpoint extends WorkerEntrypoint<AadEnv> {
  override async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (request.method !== "POST" || !TOKEN_ENDPOINT_PATH.test(path)) {
      const error = new AadError(404, "invalid_request", 90010, `The request path '${path}' is not served to this binding.`);
      return Response.json(error.body(), { status: 404 });
    }
    return app.fetch(request, this.env, this.ctx);
  }
}

/** Graph's binding (entrypoint "GraphDirectory"): the directory view, signing keys, the clock. */
export class GraphDirectory extends GraphDirectoryEntrypoint implements GraphDirectoryBinding {
  async signingKeys(tenantId: string): Promise<PublicJwk[]> {
    return publicSigningKeys(this.env, tenantId);
  }

  /** Graph keeps no state: the clock's offset as this isolate knows it (re-read when stale). */
  async clockOffset(): Promise<number> {
    await syncAadClock(this.env);
    return clockOffsetSeconds();
  }
}

function publicSigningKeys(env: AadEnv, tenantId: string): Promise<PublicJwk[]> {
  knownTenant(env, tenantId);
  return stubOf<TenantAuthority>(env.TENANTS, tenantId.toLowerCase()).publicKeys();
}

/**
 * Resource Manager's binding (entrypoint "ManagedIdentityDirectory"): principals of managed
 * identities, their federated credentials, signing keys, and the control API's clock and reset.
 */
export class ManagedIdentityDirectory extends WorkerEntrypoint<AadEnv> implements ManagedIdentityDirectoryBinding {
  private tenant(tenantId: string) {
    knownTenant(this.env, tenantId);
    return stubOf<TenantAuthority>(this.env.TENANTS, tenantId.toLowerCase());
  }

  private principal(objectId: string) {
    if (!isGuid(objectId)) throw new Error(`object id '${objectId}' is not a GUID`);
    return stubOf<ServicePrincipalObject>(this.env.PRINCIPALS, objectId.toLowerCase());
  }

  async createManagedIdentityPrincipal(input: ManagedIdentityPrincipalInput): Promise<ServicePrincipalView> {
    const tenant = this.tenant(input.tenantId);
    const objectId = input.objectId.toLowerCase();
    const appId = input.appId.toLowerCase();
    const record: ServicePrincipalRecord = {
      id: objectId,
      appId,
      tenantId: input.tenantId.toLowerCase(),
      displayName: input.displayName,
      servicePrincipalType: "ManagedIdentity",
      alternativeNames: input.alternativeNames,
      accountEnabled: true,
      createdDateTime: new Date().toISOString(),
      passwordCredentials: [],
      keyCredentials: [
        { keyId: crypto.randomUUID(), type: "AsymmetricX509Cert", usage: "Verify", ...input.credential },
      ],
    };
    // The appId's claim and the principal's object at once: a principal is only reachable through
    // the index, so a failure of either leaves nothing usable behind, and a retry with the same
    // ids converges. A claim refused (the appId is another principal's) takes back the object.
    const [claimed, { record: stored, created }] = await Promise.all([tenant.registerApp(appId, objectId), this.principal(objectId).create(record)]);
    if (!claimed) {
      if (created) await this.principal(objectId).delete();
      throw new Error(`appId ${appId} already belongs to another principal`);
    }
    // Listed once it exists; a retried create lists it again harmlessly.
    await tenant.listServicePrincipal(await listingOf(stored));
    return viewOf(stored);
  }

  async deleteServicePrincipal(tenantId: string, objectId: string): Promise<{ deleted: boolean }> {
    const tenant = this.tenant(tenantId);
    const removed = await this.principal(objectId).delete();
    if (removed) await tenant.unregisterApp(removed.appId, removed.id);
    // By object id alone, so a retry after the principal's object is gone still unlists it.
    await tenant.unlistServicePrincipal(objectId);
    return { deleted: removed !== null };
  }

  async getServicePrincipal(tenantId: string, objectId: string): Promise<ServicePrincipalView | null> {
    this.tenant(tenantId);
    const record = await this.principal(objectId).get();
    return record ? viewOf(record) : null;
  }

  async setFederatedCredentials(tenantId: string, objectId: string, credentials: FederatedCredential[]): Promise<void> {
    this.tenant(tenantId);
    const principal = this.principal(objectId);
    const record = await principal.get();
    if (!record) throw new Error(`principal ${objectId} does not exist`);
    if (record.servicePrincipalType !== "ManagedIdentity") throw new Error("federated credentials of applications are managed through Graph");
    await principal.replace({ ...record, federatedIdentityCredentials: credentials });
  }

  async signingKeys(tenantId: string): Promise<PublicJwk[]> {
    return publicSigningKeys(this.env, tenantId);
  }

  // Operating the emulator (Resource Manager's control API, workers/arm/src/control/).

  async setClockOffset(offsetSeconds: number): Promise<void> {
    applyClockOffset(await emulatorState(this.env).setClockOffset(offsetSeconds));
  }

  /** Every principal but the admin, and every application, leave the directory; keys and the admin stay. */
  async resetState(): Promise<void> {
    const gone = await this.tenant(this.env.TENANT_ID).resetDirectory();
    await Promise.all(gone.map((objectId) => this.principal(objectId).delete()));
  }
}

