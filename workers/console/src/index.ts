// The console worker: a page for people (static/), the JSON API its client calls, and the
// FlowRecorder entrypoint every service reports to. Every /api route requires the console's
// session (session.ts); resources, roles and the directory are read and changed through the public
// APIs as the seeded admin (admin-client.ts).
import { WorkerEntrypoint } from "cloudflare:workers";
import { Hono, type Context } from "hono";
import { HEALTH_PATH, healthResponse } from "../../../shared/health";
import type { FlowRecorderBinding } from "../../../shared/bindings/flow-recorder";
import type { FlowEvent } from "../../../shared/flow";
import type { StubOf } from "../../../shared/durable";
import { requestLog } from "../../../shared/request-log";
import { adminObjectId, asAdmin, inspectToken, tokenAsResource } from "./admin-client";
import type { ConsoleEnv } from "./env";
import type { FlowFeed } from "./flow-feed";
import { ConsoleUnavailable, endedSessionCookie, sessionCookie, signedIn, signInHolds } from "./session";
import page from "../static/index.html";
import signInPage from "../static/sign-in.html";
import styles from "../static/console.css";
import client from "../static/console.client.js";

export { FlowFeed } from "./flow-feed";

type Env = { Bindings: ConsoleEnv };

const app = new Hono<Env>();

/** The console's own errors: the shape of Resource Manager's, which its client already reads. */
function consoleError(c: Context, status: number, code: string, message: string): Response {
  return c.json({ error: { code, message } }, status as 400);
}

/** Every page and answer of the console: no framing by other sites, no caching of tenant data, scripts only from here. */
const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

app.use("*", requestLog("console"));
app.use("*", async (c, next) => {
  await next();
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
});

app.onError((err, c) => {
  if (err instanceof ConsoleUnavailable) return consoleError(c, 503, "ConsoleUnavailable", err.message);
  console.error("console: unexpected error", err);
  return consoleError(c, 502, "UpstreamUnavailable", `The console could not reach the emulator: ${err instanceof Error ? err.message : String(err)}`);
});

app.get(HEALTH_PATH, () => healthResponse());

/** Whether the console is served over https (its public URL says so; behind a proxy the request may not). */
function secure(c: Context<Env>): boolean {
  return (c.env.CONSOLE_URL ?? c.req.url).startsWith("https:");
}

/** Signed in: back to the page, with the session cookie. */
async function signedInRedirect(c: Context<Env>): Promise<Response> {
  return new Response(null, { status: 303, headers: { location: "/", "set-cookie": await sessionCookie(c.env, secure(c)) } });
}

function html(body: string): Response {
  return new Response(body, { headers: { "content-type": "text/html; charset=utf-8" } });
}

// No icon: an empty answer rather than a 404 in the browser's console.
app.get("/favicon.ico", () => new Response(null, { status: 204 }));
app.get("/console.css", () => new Response(styles, { headers: { "content-type": "text/css; charset=utf-8" } }));
app.get("/console.js", () => new Response(client, { headers: { "content-type": "text/javascript; charset=utf-8" } }));

/** The page, or the sign-in page; `?key=` (the local server's console URL) signs in and drops the key from the address bar. */
app.get("/", async (c) => {
  const key = c.req.query("key");
  if (key !== undefined) {
    if (!(await signInHolds(c.env, { key }))) return html(signInPage.replace("<!--message-->", "That console link is not valid (the admin's secret changed?). Sign in with the admin's client secret."));
    return await signedInRedirect(c);
  }
  if (!(await signedIn(c.env, c.req.header("cookie")))) return html(signInPage.replace("<!--message-->", ""));
  return html(page);
});

app.post("/sign-in", async (c) => {
  const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  const secret = typeof form.clientSecret === "string" ? form.clientSecret : "";
  if (!(await signInHolds(c.env, { secret }))) {
    const answer = html(signInPage.replace("<!--message-->", "That is not the admin's client secret."));
    return new Response(answer.body, { status: 401, headers: answer.headers });
  }
  return await signedInRedirect(c);
});

app.post("/sign-out", (c) => new Response(null, { status: 303, headers: { location: "/", "set-cookie": endedSessionCookie(secure(c)) } }));

// Everything under /api needs the session.
app.use("/api/*", async (c, next) => {
  if (!(await signedIn(c.env, c.req.header("cookie")))) return consoleError(c, 401, "SignInRequired", "Sign in to the console with the admin's client secret.");
  // Changes only from the console's own page (its client sends JSON; a form post from another site cannot).
  if (c.req.method !== "GET" && !(c.req.header("content-type") ?? "").startsWith("application/json")) {
    return consoleError(c, 415, "UnsupportedMediaType", "The console's API takes application/json.");
  }
  await next();
});

/** The tenant's one FlowFeed: its methods, and (for the event stream) its fetch. */
function feed(env: ConsoleEnv) {
  return env.FLOW.get(env.FLOW.idFromName(env.TENANT_ID.toLowerCase()));
}

function feedMethods(env: ConsoleEnv) {
  return feed(env) as unknown as StubOf<FlowFeed>;
}

app.get("/api/context", async (c) =>
  c.json({
    tenantId: c.env.TENANT_ID.toLowerCase(),
    subscriptionId: c.env.SUBSCRIPTION_ID.toLowerCase(),
    adminClientId: c.env.ADMIN_CLIENT_ID.toLowerCase(),
    adminObjectId: await adminObjectId(c.env),
    endpoints: { arm: c.env.ARM_URL ?? null, login: c.env.LOGIN_URL ?? null, graph: c.env.GRAPH_URL ?? null, imds: c.env.IMDS_URL ?? null },
  }),
);

/** The live flow as server-sent events (the feed's stream, resumed after Last-Event-ID). */
app.get("/api/flow", async (c) => {
  const stream = await feed(c.env).fetch(c.req.raw);
  // A copy: the Durable Object's answer has immutable headers, and the security headers are set on every answer.
  return new Response(stream.body, stream);
});

app.get("/api/flow/recent", async (c) => c.json({ value: await feedMethods(c.env).recent(Number(c.req.query("after") ?? 0) || 0) }));

/** Resource Manager as the admin: /api/arm/{path}?{query} is {arm}/{path}?{query}. */
app.all("/api/arm/*", async (c) => {
  const url = new URL(c.req.url);
  const body = ["GET", "HEAD", "DELETE"].includes(c.req.method) ? null : await c.req.text();
  return asAdmin(c.env, "arm", url.pathname.slice("/api/arm".length) + url.search, { method: c.req.method, body });
});

/** Microsoft Graph as the admin, read-only: the directory view. */
app.get("/api/graph/*", async (c) => {
  const url = new URL(c.req.url);
  return asAdmin(c.env, "graph", url.pathname.slice("/api/graph".length) + url.search, { method: "GET" });
});

/** Ask for a token as a VM or site (its code's call to its identity endpoint). */
app.post("/api/token-as", async (c) => {
  const body = (await c.req.json().catch(() => null)) as { resourceId?: unknown; resource?: unknown; clientId?: unknown } | null;
  if (!body || typeof body.resourceId !== "string" || typeof body.resource !== "string" || !body.resource) {
    return consoleError(c, 400, "InvalidRequestContent", "Send {\"resourceId\": \"<VM or site id>\", \"resource\": \"<audience>\", \"clientId\"?: \"<user-assigned identity's client id>\"}.");
  }
  if (!/^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.(compute\/virtualmachines|web\/sites)\/[^/]+$/i.test(body.resourceId)) {
    return consoleError(c, 400, "InvalidResourceId", `'${body.resourceId}' is not the id of a virtual machine or a site.`);
  }
  const answer = await tokenAsResource(c.env, {
    resourceId: body.resourceId,
    resource: body.resource,
    ...(typeof body.clientId === "string" && body.clientId ? { clientId: body.clientId } : {}),
  });
  return c.json({ status: answer.status, body: answer.body });
});

/** Decode a token and check it against the authority's JWKS. */
app.post("/api/inspect-token", async (c) => {
  const body = (await c.req.json().catch(() => null)) as { token?: unknown } | null;
  if (!body || typeof body.token !== "string") return consoleError(c, 400, "InvalidRequestContent", "Send {\"token\": \"<JWT>\"}.");
  return c.json(await inspectToken(c.env, body.token.trim()));
});

app.all("/api/*", (c) => consoleError(c, 404, "NotFound", `The console has no API at ${new URL(c.req.url).pathname}.`));
app.all("*", (c) => consoleError(c, 404, "NotFound", "The console serves / (the page) and /api."));

export default { fetch: app.fetch } satisfies ExportedHandler<ConsoleEnv>;

/** Every service → console: append to the live flow. */
export class FlowRecorder extends WorkerEntrypoint<ConsoleEnv> implements FlowRecorderBinding {
  async record(events: FlowEvent[]): Promise<void> {
    if (!Array.isArray(events) || events.length === 0) return;
    await feedMethods(this.env).record(events);
  }

  async clear(): Promise<void> {
    await feedMethods(this.env).clear();
  }
}
