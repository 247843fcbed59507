// The identity endpoints of hosted code. The per-VM Instance Metadata Service: every VM has its
// own base /vms/{endpointKey}; under it the paths of the real IMDS. And each App Service site's
// identity endpoint at /sites/{endpointKey}/msi/token (app-service-endpoint.ts). Paths are matched case-insensitively (msal-node lower-cases the
// whole URL) and the token path accepts msal-node's trailing slash.
import { WorkerEntrypoint } from "cloudflare:workers";
import { Hono, type Context } from "hono";
import { IMDS_NEWEST_VERSIONS, ImdsError, ImdsErrors } from "../../../shared/errors/imds";
import type { ImdsControlRpc, ImdsRpc, SiteIdentityConfiguration, VmImdsConfiguration } from "../../../shared/rpc";
import type { ImdsEnv } from "./env";
import { IDENTITY_API_VERSIONS, INSTANCE_API_VERSIONS, asText, instanceDocument, navigate } from "./instance-metadata";
import { stubOf } from "../../../shared/durable";
import type { VmMetadataHost } from "./vm-host";
import { HEALTH_PATH, healthResponse } from "../../../shared/health";
import { applyClockOffset, emulatorNow, emulatorNowSeconds, syncClock } from "../../../shared/emulator-clock";
import type { ActiveFault, FaultDefinition } from "../../../shared/faults";
import { noteCaller, requestLog } from "../../../shared/request-log";
import { faultFor, faultResponse, imdsState, noteActiveFaults, throttlingOn } from "./faults";
import { answerGeneration, answerKey, forgetAllAnswers, forgetAnswers, recentAnswer, rememberAnswer } from "./token-answers";
import { appServiceToken, siteHost } from "./app-service-endpoint";
import { reportTokenRequest } from "./identity-tokens";

export { VmMetadataHost } from "./vm-host";
export { SiteIdentityHost } from "./site-host";
export { EmulatorState } from "../../../shared/emulator-state";

/** Registry kind (EmulatorState) of the VM hosts IMDS holds, for POST {arm}/emulator/reset. */
const VM_HOST_KIND = "vmHost";
/** Registry kind of the sites' identity endpoints. */
const SITE_HOST_KIND = "siteHost";

const ENDPOINT_KEY = /^[0-9a-f]{40}$/;
const VM_PATH = /^\/vms\/([^/]+)(\/.*)?$/i;
const SITE_TOKEN_PATH = /^\/sites\/([0-9a-f]{40})\/msi\/token\/?$/i;

const app = new Hono<{ Bindings: ImdsEnv }>();

app.use("*", requestLog("imds"));
app.use("*", async (c, next) => {
  await syncClock(() => imdsState(c.env).clockOffset());
  await next();
});

app.onError((err, c) => {
  if (err instanceof ImdsError) return imdsJson(c, err.body(), err.status);
  console.error("imds: unexpected error", err);
  return imdsJson(c, ImdsErrors.upstream("Internal error in the metadata service.").body(), 500);
});

function imdsJson(c: Context, body: unknown, status: number): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", server: "IMDS/150.870.65.1544" },
  });
}

function host(env: ImdsEnv, endpointKey: string) {
  return stubOf<VmMetadataHost>(env.VM_HOSTS, endpointKey);
}

/** Query parameters, refusing duplicates as IMDS does ("Requests with duplicate query parameter names will be rejected"). */
function queryOf(url: URL): Map<string, string> {
  const query = new Map<string, string>();
  for (const [name, value] of url.searchParams) {
    const key = name.toLowerCase();
    if (query.has(key)) throw ImdsErrors.duplicateQuery(name);
    query.set(key, value);
  }
  return query;
}

/** What real IMDS demands of every request: no proxy in between, and the Metadata header. */
function guard(c: Context): void {
  if (c.req.header("x-forwarded-for") !== undefined) throw ImdsErrors.forwardedRequest();
  if (c.req.header("metadata") !== "true") throw ImdsErrors.metadataHeaderMissing();
}

app.get(HEALTH_PATH, () => healthResponse());

app.all("*", async (c) => {
  const url = new URL(c.req.url);
  const site = SITE_TOKEN_PATH.exec(url.pathname.replace(/\/{2,}/g, "/"));
  if (site) return appServiceToken(c.req.raw, c.env, site[1]!.toLowerCase(), c.executionCtx);
  const match = VM_PATH.exec(url.pathname.replace(/\/{2,}/g, "/"));
  if (!match) throw ImdsErrors.notFound();
  const endpointKey = match[1]!.toLowerCase();
  const rest = (match[2] ?? "/").toLowerCase().replace(/\/+$/, "");
  if (!ENDPOINT_KEY.test(endpointKey)) throw ImdsErrors.notFound();

  if (rest === "/metadata/identity/oauth2/token") {
    if (c.req.method !== "GET") throw ImdsErrors.methodNotAllowed();
    guard(c);
    const fault = await faultFor(c.env, async () => (await host(c.env, endpointKey).instance())?.vmResourceId ?? null, { keeper: c.executionCtx, endpoint: "imds" });
    if (fault) return faultResponse(fault);
    return tokenResponse(c, endpointKey, queryOf(url));
  }
  if (rest === "/metadata/identity/info") {
    if (c.req.method !== "GET") throw ImdsErrors.methodNotAllowed();
    guard(c);
    const query = queryOf(url);
    identityApiVersion(query);
    const config = await host(c.env, endpointKey).instance();
    if (!config) throw ImdsErrors.identityNotFound();
    const tenantId = config.identities[0]?.tenantId;
    if (!tenantId) throw ImdsErrors.identityNotFound();
    return imdsJson(c, { tenantId }, 200);
  }
  if (rest === "/metadata/instance" || rest.startsWith("/metadata/instance/")) {
    if (c.req.method !== "GET") throw ImdsErrors.methodNotAllowed();
    guard(c);
    return instanceResponse(c, endpointKey, rest.slice("/metadata/instance".length), queryOf(url));
  }
  throw ImdsErrors.notFound();
});

function identityApiVersion(query: Map<string, string>): void {
  const version = query.get("api-version");
  if (!version) throw ImdsErrors.apiVersionMissing();
  if (!IDENTITY_API_VERSIONS.includes(version)) throw ImdsErrors.apiVersionInvalid(version);
}

async function tokenResponse(c: Context<{ Bindings: ImdsEnv }>, endpointKey: string, query: Map<string, string>) {
  identityApiVersion(query);
  const resource = query.get("resource");
  if (!resource) throw ImdsErrors.resourceMissing();
  const clientId = query.get("client_id") || undefined;
  const objectId = query.get("object_id") || query.get("principal_id") || undefined;
  const resourceId = query.get("msi_res_id") || query.get("mi_res_id") || undefined;
  if ([clientId, objectId, resourceId].filter(Boolean).length > 1) throw ImdsErrors.conflictingSelectors();
  const selector = { clientId, objectId, resourceId };
  const bypassCache = query.get("bypass_cache") === "true";
  // With Azure's per-VM limits on, every request must reach the host that counts them.
  const copies = !throttlingOn(c.env);
  const key = answerKey(resource, selector);
  const recent = copies && !bypassCache ? recentAnswer(endpointKey, key, emulatorNowSeconds()) : null;
  if (recent) {
    noteCaller(c.req.raw, { objectId: recent.trace.identity.principalId, appId: recent.trace.identity.clientId });
    reportTokenRequest(c.env, { keeper: c.executionCtx, endpoint: "imds", selector }, recent.trace.identity, resource, recent.trace.hostResourceId, "isolate copy");
    return imdsJson(c, recent.body, 200);
  }
  const generation = answerGeneration(endpointKey);
  const result = await host(c.env, endpointKey).getToken({ resource, selector, bypassCache });
  // IMDS's edge: a refusal in IMDS's error shape.
  if (!result.ok) return imdsJson(c, { error: result.refusal.code, error_description: result.refusal.message ?? "" }, result.refusal.status ?? 500);
  if (copies) rememberAnswer(endpointKey, key, result.value.body, result.value.trace, generation);
  noteCaller(c.req.raw, { objectId: result.value.trace.identity.principalId, appId: result.value.trace.identity.clientId });
  return imdsJson(c, result.value.body, 200);
}

async function instanceResponse(
  c: Context<{ Bindings: ImdsEnv }>,
  endpointKey: string,
  subPath: string,
  query: Map<string, string>,
) {
  const version = query.get("api-version");
  if (!version || !INSTANCE_API_VERSIONS.includes(version)) {
    return imdsJson(
      c,
      {
        error: "Bad request. api-version is invalid or was not specified in the request. For more information refer to aka.ms/azureimds",
        "newest-versions": IMDS_NEWEST_VERSIONS,
      },
      400,
    );
  }
  const config = await host(c.env, endpointKey).instance();
  if (!config) throw ImdsErrors.notFound();
  const segments = subPath.split("/").filter(Boolean);
  const node = navigate(instanceDocument(config), segments);
  if (!node.found) throw ImdsErrors.notFound();
  const format = query.get("format") ?? "json";
  if (format === "text") {
    return new Response(asText(node.value), { headers: { "content-type": "text/plain; charset=utf-8" } });
  }
  if (format !== "json") throw new ImdsError(400, "invalid_request", `Invalid format '${format}'. Use json or text`);
  if (node.value === null || typeof node.value !== "object") {
    throw new ImdsError(400, "invalid_request", "Bad request. Leaf nodes are only served with format=text");
  }
  return imdsJson(c, node.value, 200);
}

export default { fetch: app.fetch } satisfies ExportedHandler<ImdsEnv>;

/** Resource Manager's view of IMDS (service binding entrypoint "MetadataService"). */
export class MetadataService extends WorkerEntrypoint<ImdsEnv> implements ImdsRpc, ImdsControlRpc {
  async configureVm(endpointKey: string, configuration: VmImdsConfiguration): Promise<void> {
    if (!ENDPOINT_KEY.test(endpointKey)) throw new Error("invalid endpoint key");
    // Registered first: a reset reaches every host that may hold a credential.
    await imdsState(this.env).register(VM_HOST_KIND, endpointKey);
    forgetAnswers(endpointKey);
    await host(this.env, endpointKey).configureVm(configuration);
    // Again after: a request that read the host before the change must not leave its copy behind.
    forgetAnswers(endpointKey);
  }

  async clearVm(endpointKey: string): Promise<void> {
    if (!ENDPOINT_KEY.test(endpointKey)) throw new Error("invalid endpoint key");
    forgetAnswers(endpointKey);
    await host(this.env, endpointKey).clearVm();
    forgetAnswers(endpointKey);
    await imdsState(this.env).unregister(VM_HOST_KIND, endpointKey);
  }

  async configureSite(endpointKey: string, configuration: SiteIdentityConfiguration): Promise<void> {
    if (!ENDPOINT_KEY.test(endpointKey)) throw new Error("invalid endpoint key");
    await imdsState(this.env).register(SITE_HOST_KIND, endpointKey);
    await siteHost(this.env, endpointKey).configureSite(configuration);
  }

  async clearSite(endpointKey: string): Promise<void> {
    if (!ENDPOINT_KEY.test(endpointKey)) throw new Error("invalid endpoint key");
    await siteHost(this.env, endpointKey).clearSite();
    await imdsState(this.env).unregister(SITE_HOST_KIND, endpointKey);
  }

  // Operating the emulator (Resource Manager's control API, workers/arm/src/control/).

  async setClockOffset(offsetSeconds: number): Promise<void> {
    forgetAllAnswers();
    applyClockOffset(await imdsState(this.env).setClockOffset(offsetSeconds));
  }

  /** Every VM host forgotten (Resource Manager has deleted the VMs; this catches any left over) and every fault. */
  async resetState(): Promise<void> {
    const state = imdsState(this.env);
    for (const endpointKey of await state.registered(VM_HOST_KIND)) await this.clearVm(endpointKey);
    for (const endpointKey of await state.registered(SITE_HOST_KIND)) await this.clearSite(endpointKey);
    await state.clearFaults();
    noteActiveFaults(0);
  }

  async putFault(definition: FaultDefinition): Promise<ActiveFault> {
    const state = imdsState(this.env);
    await syncClock(() => state.clockOffset());
    const fault = await state.putFault(definition, emulatorNow());
    noteActiveFaults(await state.activeFaults(emulatorNow()));
    return fault;
  }

  async listFaults(): Promise<ActiveFault[]> {
    await syncClock(() => imdsState(this.env).clockOffset());
    const faults = await imdsState(this.env).listFaults(emulatorNow());
    noteActiveFaults(faults.length);
    return faults;
  }

  async deleteFault(name: string): Promise<boolean> {
    const state = imdsState(this.env);
    const deleted = await state.deleteFault(name);
    noteActiveFaults(await state.activeFaults(emulatorNow()));
    return deleted;
  }
}
