// The App Service identity endpoint of each site: {imds}/sites/{endpointKey}/msi/token, what
// Resource Manager's listIdentityEndpoint hands out as IDENTITY_ENDPOINT and MSI_ENDPOINT. Two
// protocols, as App Service serves them:
// - 2019-08-01: header X-IDENTITY-HEADER; selectors client_id, principal_id (msal's object_id),
//   mi_res_id; expires_on in epoch seconds; client_id in the answer.
// - 2017-09-01 (legacy MSI_*): header `secret`; selector clientid; expires_on as a date string.
// Checked in this order: method, api-version, the secret header, resource, selectors; then the
// site's faults, then the token.
import type { WaitUntil } from "../../../shared/flow";
import { AppServiceIdentityError, AppServiceIdentityErrors, APP_SERVICE_IDENTITY_VERSIONS } from "../../../shared/errors/app-service-identity";
import { stubOf } from "../../../shared/durable";
import { noteCaller } from "../../../shared/request-log";
import type { ImdsEnv } from "./env";
import { faultFor } from "./faults";
import type { IssuedToken } from "./identity-tokens";
import type { SiteIdentityHost } from "./site-host";

export function siteHost(env: ImdsEnv, endpointKey: string) {
  return stubOf<SiteIdentityHost>(env.SITE_HOSTS, endpointKey);
}

export async function appServiceToken(request: Request, env: ImdsEnv, endpointKey: string, keeper?: WaitUntil): Promise<Response> {
  try {
    return await answer(request, env, endpointKey, keeper);
  } catch (err) {
    if (err instanceof AppServiceIdentityError) return err.response();
    throw err;
  }
}

async function answer(request: Request, env: ImdsEnv, endpointKey: string, keeper?: WaitUntil): Promise<Response> {
  if (request.method !== "GET") throw AppServiceIdentityErrors.methodNotAllowed();
  const query = new URL(request.url).searchParams;
  const version = query.get("api-version");
  if (!version) throw AppServiceIdentityErrors.apiVersionMissing();
  if (!(APP_SERVICE_IDENTITY_VERSIONS as readonly string[]).includes(version)) throw AppServiceIdentityErrors.apiVersionInvalid(version);
  const legacy = version === "2017-09-01";

  const host = siteHost(env, endpointKey);
  const site = await host.describe();
  // An endpoint key that names no site is answered like a wrong secret: nothing tells a caller
  // which keys exist, and no 404 (the SDKs retry it for half a minute).
  const headerName = legacy ? "secret" : "X-IDENTITY-HEADER";
  const presented = request.headers.get(headerName);
  if (!presented) throw AppServiceIdentityErrors.headerMissing(headerName);
  if (!site || !sameSecret(presented, site.identityHeader)) throw AppServiceIdentityErrors.headerMismatch(headerName);

  const resource = query.get("resource");
  if (!resource) throw AppServiceIdentityErrors.resourceMissing();
  const selector = legacy
    ? { clientId: query.get("clientid") || undefined }
    : {
        clientId: query.get("client_id") || undefined,
        objectId: query.get("principal_id") || query.get("object_id") || undefined,
        resourceId: query.get("mi_res_id") || undefined,
      };
  if (Object.values(selector).filter(Boolean).length > 1) throw AppServiceIdentityErrors.conflictingSelectors();

  const fault = await faultFor(env, async () => site.siteResourceId, keeper ? { keeper, endpoint: "appservice" } : undefined);
  if (fault) throw AppServiceIdentityErrors.fault(fault.status!, fault.name, fault.retryAfterSeconds);

  const result = await host.getToken({ resource, selector });
  if (!result.ok) throw new AppServiceIdentityError(result.refusal.status ?? 500, result.refusal.message ?? "");
  const { token, principalId } = result.value;
  noteCaller(request, { objectId: principalId, appId: token.clientId });
  return new Response(JSON.stringify(legacy ? legacyBody(token) : body(token)), {
    status: 200,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

/** 2019-08-01: every value a string, expires_on and not_before in epoch seconds (what msal-node and MSAL Python read). */
function body(token: IssuedToken): Record<string, string> {
  return {
    access_token: token.accessToken,
    expires_on: String(token.expiresOn),
    resource: token.resource,
    token_type: "Bearer",
    client_id: token.clientId,
    not_before: String(token.notBefore),
  };
}

/** 2017-09-01: expires_on as App Service on Linux writes it, "MM/dd/yyyy HH:mm:ss +00:00". */
function legacyBody(token: IssuedToken): Record<string, string> {
  const d = new Date(token.expiresOn * 1000);
  const two = (n: number) => String(n).padStart(2, "0");
  const expiresOn = `${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())}/${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +00:00`;
  return { access_token: token.accessToken, expires_on: expiresOn, resource: token.resource, token_type: "Bearer" };
}

/** Compares without an early exit, so timing does not reveal how much of the secret matched. */
function sameSecret(presented: string, expected: string): boolean {
  const a = new TextEncoder().encode(presented);
  const b = new TextEncoder().encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}
