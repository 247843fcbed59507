// Azure Resource Manager. Every request is authenticated (a bearer token of our authority),
// parsed into the resource it addresses, checked against api-versions, and authorized through
// the one RBAC seam before any state is touched.
import { WorkerEntrypoint } from "cloudflare:workers";
import { Hono } from "hono";
import { ArmError, armChallenge } from "../../../shared/errors/arm";
import { publicBase } from "../../../shared/public-url";
import type { AuthorizationRpc } from "../../../shared/rpc";
import { collapseSlashes, parseArmPath } from "../../../shared/resource-id";
import type { ArmRequest } from "./arm-request";
import { authenticate, type Caller } from "./authentication";
import { cloudMetadata } from "./cloud-metadata";
import { permittedAction, permittedDataAction } from "./authorization";
import type { ArmEnv } from "./env";
import { vmImageAliasDocument } from "./providers/compute/image-routes";
import { route } from "./provider-routing";
import { refuseOversizedBodies } from "./request-body";
import { HEALTH_PATH, healthResponse } from "../../../shared/health";
import { noteCaller, requestLog } from "../../../shared/request-log";
import { syncArmClock } from "./control/clock";
import { controlRoutes } from "./control/routes";

export { AuthorizationStore } from "./providers/authorization/authorization-store";
export { ResourceObject } from "./providers/resources/resource-object";
export { SubscriptionIndex } from "./providers/resources/subscription-index";
export { UserAssignedIdentityObject } from "./providers/managed-identity/user-assigned-identity-object";
export { CredentialKeyPool } from "./providers/managed-identity/credential-key-pool";
export { VirtualMachineObject } from "./providers/compute/virtual-machine-object";
export { SiteObject } from "./providers/web/site-object";
export { EmulatorState } from "../../../shared/emulator-state";

// Paths are matched with repeated slashes collapsed: az ≤ 2.72 asks for {arm}//metadata/endpoints.
const app = new Hono<{ Bindings: ArmEnv; Variables: { caller: Caller } }>({
  getPath: (request) => collapseSlashes(new URL(request.url).pathname),
});

app.onError((err, c) => {
  const error = err instanceof ArmError ? err : null;
  if (!error) console.error("arm: unexpected error", err);
  const armError = error ?? new ArmError(500, "InternalServerError", "An unexpected error occurred while processing the request.");
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
  if (armError.status === 401) {
    headers["WWW-Authenticate"] = armChallenge(`${publicBase(c.env.LOGIN_URL, "https://login.microsoftonline.com/")}/${c.env.TENANT_ID}`, armError);
  }
  return new Response(c.req.method === "HEAD" ? null : JSON.stringify(armError.body()), { status: armError.status, headers });
});

// The request line (shared/request-log.ts) and the emulator clock (control/clock.ts) come first.
app.use("*", requestLog("arm"));
app.use("*", async (c, next) => {
  await syncArmClock(c.env);
  await next();
});

app.use("*", async (c, next) => {
  const requestId = crypto.randomUUID();
  await next();
  c.res.headers.set("x-ms-request-id", requestId);
  c.res.headers.set("x-ms-correlation-request-id", c.req.header("x-ms-correlation-request-id") ?? requestId);
  if (c.req.header("x-ms-return-client-request-id")?.toLowerCase() === "true") {
    const clientRequestId = c.req.header("x-ms-client-request-id");
    if (clientRequestId) c.res.headers.set("x-ms-client-request-id", clientRequestId);
  }
});

app.use("*", refuseOversizedBodies);

/** Cloud metadata (`az cloud register`, SDK endpoint discovery): anonymous, as is the image alias document below. */
app.get(HEALTH_PATH, () => healthResponse());

app.get("/metadata/endpoints", (c) =>
  c.json(
    cloudMetadata(
      c.env,
      {
        arm: publicBase(c.env.ARM_URL, c.req.url),
        login: publicBase(c.env.LOGIN_URL, c.req.url),
        graph: publicBase(c.env.GRAPH_URL, "https://graph.microsoft.com/"),
      },
      c.req.query("api-version") ?? null,
    ),
  ),
);

/** The VM image alias document the metadata names as vmImageAliasDoc: anonymous, as the one az reads from GitHub. */
app.get("/metadata/vm-image-aliases", (c) => c.json(vmImageAliasDocument()));

/** The emulator's control API (admin only): reset, clock, faults. */
app.route("/emulator", controlRoutes);

app.all("*", async (c) => {
  const caller = await authenticate(c.env, c.req.header("authorization"), c.executionCtx);
  noteCaller(c.req.raw, { objectId: caller.objectId, appId: caller.appId, ...(caller.appId.toLowerCase() === c.env.ADMIN_CLIENT_ID.toLowerCase() ? { name: "mie-admin" } : {}) });
  const url = new URL(c.req.url);
  const path = parseArmPath(collapseSlashes(url.pathname));
  const request: ArmRequest = { raw: c.req.raw, env: c.env, method: c.req.method, path, query: url.searchParams, caller };
  return route(request);
});

export default { fetch: app.fetch } satisfies ExportedHandler<ArmEnv>;

/** RBAC decisions for resource servers (the Key Vault and Blob data planes): service binding entrypoint "AuthorizationService". */
export class AuthorizationService extends WorkerEntrypoint<ArmEnv> implements AuthorizationRpc {
  async checkDataAction(principalId: string, dataAction: string, scope: string): Promise<{ allowed: boolean }> {
    return { allowed: await permittedDataAction(this.env, principalId, dataAction, scope, this.ctx) };
  }

  async checkAction(principalId: string, action: string, scope: string): Promise<{ allowed: boolean }> {
    return { allowed: await permittedAction(this.env, principalId, action, scope, this.ctx) };
  }
}
