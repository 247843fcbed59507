// The console as a client of the emulator: the seeded admin, with its own tokens from the token
// endpoint, calling Resource Manager, Graph and the identity endpoints over their public HTTP
// (service bindings to each worker's default entrypoint). What the console shows and does is what
// a script holding the admin's secret could see and do; there is no side door.
import { compactVerify, decodeJwt, importJWK } from "jose";
import { jwtParts } from "../../../shared/flow";
import type { ConsoleEnv } from "./env";

type Audience = "arm" | "graph";

const AUDIENCES: Record<Audience, string> = {
  arm: "https://management.azure.com/",
  graph: "https://graph.microsoft.com/",
};

/** The admin's tokens, per isolate, until five minutes before they expire. */
const tokens = new Map<Audience, { token: string; refreshAt: number }>();

function base(value: string | undefined, fallback: string): string {
  return (value ?? fallback).replace(/\/+$/, "");
}

export function loginBase(env: ConsoleEnv): string {
  return base(env.LOGIN_URL, "https://login.microsoftonline.com");
}

async function adminToken(env: ConsoleEnv, audience: Audience): Promise<string> {
  const cached = tokens.get(audience);
  if (cached && Date.now() < cached.refreshAt) return cached.token;
  const response = await env.LOGIN.fetch(`${loginBase(env)}/${env.TENANT_ID}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: env.ADMIN_CLIENT_ID,
      client_secret: env.ADMIN_CLIENT_SECRET ?? "",
      scope: `${AUDIENCES[audience]}.default`,
    }),
  });
  const body = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error_description?: string };
  if (!response.ok || !body.access_token) {
    throw new Error(`the authority refused the console's admin token: ${body.error_description?.split("\r\n")[0] ?? response.status}`);
  }
  tokens.set(audience, { token: body.access_token, refreshAt: Date.now() + Math.max(0, (body.expires_in ?? 300) - 300) * 1000 });
  return body.access_token;
}

/** The admin's object id: its token's oid (the console's client marks the admin's own Owner assignment, which it keeps from being revoked). */
export async function adminObjectId(env: ConsoleEnv): Promise<string> {
  return String(decodeJwt(await adminToken(env, "arm")).oid ?? "");
}

/**
 * Forwards a console request to Resource Manager or Graph as the admin: same method, path, query
 * and JSON body, the service's answer returned as it came (status, body, its error shape).
 */
export async function asAdmin(env: ConsoleEnv, service: Audience, pathAndQuery: string, init: { method: string; body?: string | null }): Promise<Response> {
  const target = service === "arm" ? env.ARM : env.GRAPH;
  const url = service === "arm" ? base(env.ARM_URL, "https://management.azure.com") : base(env.GRAPH_URL, "https://graph.microsoft.com");
  const headers: Record<string, string> = { authorization: `Bearer ${await adminToken(env, service)}` };
  if (init.body) headers["content-type"] = "application/json";
  const response = await target.fetch(`${url}${pathAndQuery}`, { method: init.method, headers, body: init.body || undefined });
  return new Response(response.body, {
    status: response.status,
    headers: { "content-type": response.headers.get("content-type") ?? "application/json" },
  });
}

/**
 * A token asked as a VM or site: Resource Manager hands out its identity endpoint (the contract's
 * listImdsEndpoint / listIdentityEndpoint), then the console calls it as the hosted code would.
 */
export async function tokenAsResource(
  env: ConsoleEnv,
  request: { resourceId: string; resource: string; clientId?: string },
): Promise<{ status: number; body: unknown }> {
  const isSite = /\/providers\/microsoft\.web\/sites\//i.test(request.resourceId);
  const action = isSite ? "listIdentityEndpoint?api-version=2023-12-01" : "listImdsEndpoint?api-version=2024-07-01";
  const listed = await asAdmin(env, "arm", `${request.resourceId}/${action}`, { method: "POST" });
  const endpoint = (await listed.json().catch(() => null)) as Record<string, string> | null;
  if (!listed.ok || !endpoint) return { status: listed.status, body: endpoint };
  let response: Response;
  if (isSite) {
    const url = new URL(endpoint.IDENTITY_ENDPOINT!);
    url.searchParams.set("api-version", "2019-08-01");
    url.searchParams.set("resource", request.resource);
    if (request.clientId) url.searchParams.set("client_id", request.clientId);
    response = await env.IMDS.fetch(url.toString(), { headers: { "x-identity-header": endpoint.IDENTITY_HEADER! } });
  } else {
    const url = new URL(`${endpoint.endpoint}/metadata/identity/oauth2/token`);
    url.searchParams.set("api-version", "2018-02-01");
    url.searchParams.set("resource", request.resource);
    if (request.clientId) url.searchParams.set("client_id", request.clientId);
    response = await env.IMDS.fetch(url.toString(), { headers: { metadata: "true" } });
  }
  return { status: response.status, body: await response.json().catch(() => null) };
}

export interface TokenInspection {
  header: Record<string, unknown> | null;
  claims: Record<string, unknown> | null;
  /** Whether the signature verifies against the authority's JWKS (the tenant's published keys), and why not. */
  verifies: boolean;
  reason?: string;
  /** Whether it has expired by the emulator's clock as Resource Manager reports it. */
  expired?: boolean;
}

/** Decodes a JWT and checks its signature against the JWKS the discovery document names. */
export async function inspectToken(env: ConsoleEnv, token: string): Promise<TokenInspection> {
  const parts = jwtParts(token);
  if (!parts) return { header: null, claims: null, verifies: false, reason: "not a JWT (three base64url parts, JSON header and claims)" };
  const { header, claims } = parts;
  const discovery = await env.LOGIN.fetch(`${loginBase(env)}/${env.TENANT_ID}/.well-known/openid-configuration`);
  const jwksUri = ((await discovery.json().catch(() => ({}))) as { jwks_uri?: string }).jwks_uri;
  if (!jwksUri) return { header, claims, verifies: false, reason: "the discovery document names no jwks_uri" };
  const jwks = (await (await env.LOGIN.fetch(jwksUri)).json().catch(() => ({ keys: [] }))) as { keys: { kid: string; kty: string; n: string; e: string }[] };
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) return { header, claims, verifies: false, reason: `no key with kid ${JSON.stringify(header.kid)} in ${jwksUri}` };
  try {
    await compactVerify(token, await importJWK({ kty: jwk.kty, n: jwk.n, e: jwk.e }, "RS256"), { algorithms: ["RS256"] });
  } catch {
    return { header, claims, verifies: false, reason: `the signature does not verify with key ${jwk.kid}` };
  }
  const clock = await asAdmin(env, "arm", "/emulator/clock", { method: "GET" });
  const now = clock.ok ? Date.parse(((await clock.json()) as { now: string }).now) / 1000 : Date.now() / 1000;
  return { header, claims, verifies: true, expired: typeof claims.exp === "number" ? claims.exp <= now : undefined };
}
