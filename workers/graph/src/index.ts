// Microsoft Graph v1.0, the directory view: service principals (managed identities and
// applications), application registrations and their secrets, and directoryObjects/getByIds.
// Every request carries a bearer token our authority issued for Graph (else 401 with Graph's
// challenge); reads are open to every principal of the tenant, writes need directory rights
// (directory-rights.ts). The worker holds no state: the directory lives in the authority, reached
// through the authority's GraphDirectory entrypoint (shared/bindings/graph-directory.ts), which also keeps the token endpoint in step with
// every change.
import { WorkerEntrypoint } from "cloudflare:workers";
import { Hono, type Context } from "hono";
import { GraphError, GraphErrors, graphChallenge } from "../../../shared/errors/graph";
import { publicBase } from "../../../shared/public-url";
import { applicationRoutes } from "./application-routes";
import { authenticate } from "./authentication";
import { directoryObjectRoutes } from "./directory-object-routes";
import type { GraphEnv } from "./env";
import { refuseOversizedBodies, type GraphVariables } from "./graph-request";
import { servicePrincipalRoutes } from "./service-principal-routes";
import { HEALTH_PATH, healthResponse } from "../../../shared/health";
import { applyClockOffset, syncClock } from "../../../shared/emulator-clock";
import { noteCaller, requestLog } from "../../../shared/request-log";
import type { EmulatorControlRpc } from "../../../shared/rpc";

/** Graph's path segments are case-insensitive; routes are written in Graph's own casing. */
const CANONICAL_SEGMENTS = new Map(
  ["v1.0", "servicePrincipals", "applications", "directoryObjects", "getByIds", "addPassword", "removePassword", "addKey", "removeKey"].map((s) => [
    s.toLowerCase(),
    s,
  ]),
);

function canonicalPath(request: Request): string {
  const path = new URL(request.url).pathname.replace(/\/{2,}/g, "/").replace(/(.)\/$/, "$1");
  return path
    .split("/")
    .map((segment) => CANONICAL_SEGMENTS.get(segment.toLowerCase()) ?? segment)
    .join("/");
}

/** The paths the worker serves, for telling a wrong method (405) from a wrong path (400). */
const SERVED_PATH =
  /^\/v1\.0\/((servicePrincipals|applications)(\/[^/]+(\/(addPassword|removePassword|addKey|removeKey))?)?|directoryObjects\/getByIds)$/;

const app = new Hono<{ Bindings: GraphEnv; Variables: GraphVariables }>({ getPath: canonicalPath });

function errorResponse(c: Context<{ Bindings: GraphEnv; Variables: GraphVariables }>, err: unknown): Response {
  const error = err instanceof GraphError ? err : null;
  if (!error) console.error("graph: unexpected error", err);
  const graphError = error ?? GraphErrors.internal();
  const requestId = c.get("requestId") ?? crypto.randomUUID();
  const headers: Record<string, string> = { "content-type": "application/json", "request-id": requestId };
  // Every 401 carries the challenge: it is how clients learn the authority and the resource.
  if (graphError.status === 401) headers["WWW-Authenticate"] = graphChallenge(publicBase(c.env.LOGIN_URL, "https://login.microsoftonline.com/"));
  const body = graphError.body(requestId, c.req.header("client-request-id") ?? requestId);
  return new Response(JSON.stringify(body), { status: graphError.status, headers });
}

app.onError((err, c) => errorResponse(c, err));

app.use("*", requestLog("graph"));
// Graph keeps no state: the emulator clock's offset is the authority's (shared/emulator-clock.ts).
app.use("*", async (c, next) => {
  await syncClock(() => c.env.AAD.clockOffset());
  await next();
});

app.use("*", async (c, next) => {
  const requestId = crypto.randomUUID();
  c.set("requestId", requestId);
  await next();
  c.res.headers.set("request-id", requestId);
  c.res.headers.set("client-request-id", c.req.header("client-request-id") ?? requestId);
  c.res.headers.set("OData-Version", "4.0");
  c.res.headers.set("Cache-Control", "no-cache");
});

app.use("*", refuseOversizedBodies);

app.get(HEALTH_PATH, () => healthResponse());

app.use("/v1.0/*", async (c, next) => {
  const caller = await authenticate(c.env, c.req.header("authorization"));
  c.set("caller", caller);
  noteCaller(c.req.raw, { objectId: caller.objectId, appId: caller.appId });
  await next();
});

app.route("/v1.0/servicePrincipals", servicePrincipalRoutes);
app.route("/v1.0/applications", applicationRoutes);
app.route("/v1.0/directoryObjects", directoryObjectRoutes);

app.notFound((c) => {
  const path = canonicalPath(c.req.raw);
  if (SERVED_PATH.test(path)) return errorResponse(c, GraphErrors.methodNotAllowed());
  const segments = path.split("/").filter(Boolean);
  const unknown = segments[0] === "v1.0" ? (segments[1] ?? "") : (segments[0] ?? "");
  return errorResponse(c, GraphErrors.segmentNotFound(unknown));
});

export default { fetch: app.fetch } satisfies ExportedHandler<GraphEnv>;

/**
 * Resource Manager's control API (service binding entrypoint "GraphControlService"): Graph holds
 * no state of its own, so a reset has nothing to do here and the clock is only applied to this
 * isolate (the authority persists it; other isolates read it from there).
 */
export class GraphControlService extends WorkerEntrypoint<GraphEnv> implements EmulatorControlRpc {
  async setClockOffset(offsetSeconds: number): Promise<void> {
    applyClockOffset(offsetSeconds);
  }

  async resetState(): Promise<void> {}
}
