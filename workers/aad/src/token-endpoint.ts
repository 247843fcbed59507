// The client-credentials grant on /{tenant}/oauth2/token (v1) and /{tenant}/oauth2/v2.0/token (v2):
// who is asking (client id → principal), how they prove it (secret or signed assertion), and for
// which resource. Checks run in the order Azure AD reports them.
import { base64Decode, sha256Hex, timingSafeEqual } from "../../../shared/encoding";
import { AadError, AadErrors } from "../../../shared/errors/aad";
import { jwtParts, reportFlow, type WaitUntil } from "../../../shared/flow";
import { isGuid } from "../../../shared/guid";
import { emulatorNow } from "../../../shared/emulator-clock";
import { logEnabled, logLine, noteCaller } from "../../../shared/request-log";
import { verifyClientAssertion } from "./client-assertion";
import { assertionIssuer, verifyFederatedAssertion } from "./federated-assertion";
import type { AadEnv } from "./env";
import { isKnownResource } from "./resources";
import type { PasswordCredential, ServicePrincipalRecord } from "./service-principal";
import type { SigningKey } from "./tenant-authority";
import { mintAccessToken } from "./token-minting";
import { stubOf } from "../../../shared/durable";
import type { ServicePrincipalObject } from "./service-principal";
import type { TenantAuthority } from "./tenant-authority";

export const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const APP_TOKEN_LIFETIME = 3599;

export interface TokenEndpointContext {
  env: AadEnv;
  version: 1 | 2;
  tenant: string;
  /** Public base URL of the authority, for the audience an assertion must name. */
  base: string;
  form: URLSearchParams;
  authorization: string | undefined;
  /** The HTTP request, for its log line's caller (shared/request-log.ts). */
  request?: Request;
  /** The request's execution context: the console's flow is told after the answer. */
  keeper?: WaitUntil;
}

export function knownTenant(env: AadEnv, tenant: string): string {
  const normalized = tenant.toLowerCase();
  if (normalized === env.TENANT_ID.toLowerCase()) return normalized;
  if (!isGuid(tenant) && !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(tenant) && !["common", "organizations", "consumers"].includes(normalized)) {
    throw AadErrors.tenantIdentifierInvalid(tenant);
  }
  throw AadErrors.tenantNotFound(tenant);
}

export async function handleTokenRequest(ctx: TokenEndpointContext): Promise<Record<string, unknown>> {
  try {
    return await issueToken(ctx);
  } catch (err) {
    if (err instanceof AadError) {
      const clientId = ctx.form.get("client_id") ?? undefined;
      reportFlow(ctx.env, ctx.keeper, { step: 6, kind: "token-refused", service: "aad" }, () => ({
        summary: `the authority refuses ${clientId ?? "a client"}: ${err.error}, ${err.message.split("\r\n")[0]}`,
        ...(clientId ? { clientId } : {}),
        detail: { status: err.status, error: err.error, aadsts: err.aadsts, description: err.message, grantType: ctx.form.get("grant_type"), requested: ctx.form.get("resource") ?? ctx.form.get("scope") },
      }));
    }
    throw err;
  }
}

/** What the authority checked for each way of proving who the client is (the console's flow). */
const CHECKS: Record<"imds" | "certificate" | "federation" | "secret", string[]> = {
  imds: [
    "the client id names a managed identity's service principal in the tenant",
    "client_assertion_type is urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    "the assertion's signature verifies with the certificate Resource Manager registered (its x5t)",
    "iss and sub are the client id; aud names this token endpoint; nbf/exp hold and the assertion is not older than allowed",
    "the resource is one the authority knows",
  ],
  certificate: [
    "the client id names an application's service principal",
    "the assertion's signature verifies with a certificate uploaded to the application",
    "iss and sub are the client id; aud names this token endpoint; nbf/exp hold",
    "the resource is one the authority knows",
  ],
  federation: [
    "the assertion's issuer and subject match a federated identity credential of the application",
    "its signature verifies with the issuer's published keys; its audience is the credential's",
    "the resource is one the authority knows",
  ],
  secret: ["the client id names an application's service principal", "the client secret matches one of the application's password credentials", "the resource is one the authority knows"],
};

async function issueToken(ctx: TokenEndpointContext): Promise<Record<string, unknown>> {
  const { env, form } = ctx;
  const tenantId = knownTenant(env, ctx.tenant);

  const basic = parseBasic(ctx.authorization);
  const grantType = form.get("grant_type");
  if (!grantType) throw AadErrors.missingParameter("grant_type");
  if (grantType !== "client_credentials") throw AadErrors.unsupportedGrantType(grantType);
  const clientId = form.get("client_id") ?? basic?.clientId;
  if (!clientId) throw AadErrors.missingParameter("client_id");

  const audience = requestedAudience(ctx);
  if (!isKnownResource(audience, env)) throw AadErrors.resourceNotFound(audience, tenantId);

  const tenant = stubOf<TenantAuthority>(env.TENANTS, tenantId);
  const principal = await clientPrincipal(env, tenant, tenantId, clientId);
  if (!principal || !principal.accountEnabled) throw AadErrors.applicationNotFound(clientId, tenantId);
  if (ctx.request) noteCaller(ctx.request, { objectId: principal.id, appId: principal.appId, name: principal.displayName });

  const secret = form.get("client_secret") ?? basic?.secret;
  const assertion = form.get("client_assertion");
  let appidacr: "1" | "2";
  let via: "imds" | "certificate" | "federation" | "secret";
  let extraClaims: Record<string, string> = {};
  if (assertion) {
    const assertionType = form.get("client_assertion_type");
    if (!assertionType) throw AadErrors.missingParameter("client_assertion_type");
    if (assertionType !== JWT_BEARER) throw AadErrors.invalidAssertionType(assertionType);
    // An assertion the client signed itself names itself as issuer; any other issuer must be
    // one the principal trusts through a federated identity credential.
    const issuer = assertionIssuer(assertion);
    const federated =
      issuer !== undefined && issuer.toLowerCase() !== principal.appId && (principal.federatedIdentityCredentials?.length ?? 0) > 0;
    const claims = federated
      ? await verifyFederatedAssertion(assertion, principal.federatedIdentityCredentials!)
      : await verifyClientAssertion(assertion, principal, {
          tenantId,
          acceptedAudiences: tokenEndpointAudiences(ctx.base, ctx.tenant, tenantId),
          // Certificates uploaded to an application (Graph's PATCH keyCredentials) live on the
          // application, as its secrets do. Managed identities have no application.
          ...(principal.servicePrincipalType === "Application"
            ? { applicationKeyCredentials: () => tenant.applicationKeyCredentials(principal.appId) }
            : {}),
        });
    appidacr = "2";
    // Only IMDS holds a managed identity's certificate.
    via = federated ? "federation" : principal.servicePrincipalType === "ManagedIdentity" ? "imds" : "certificate";
    extraClaims = managedIdentityClaims(principal, federated ? {} : claims);
  } else if (secret !== undefined && secret !== null) {
    await verifySecret(principal, secret, () => tenant.applicationPasswordCredentials(principal.appId));
    appidacr = "1";
    via = "secret";
  } else {
    throw AadErrors.missingCredential();
  }

  const configured = Number(env.TOKEN_LIFETIME_SECONDS) || 86400;
  const lifetimeSeconds =
    principal.servicePrincipalType === "ManagedIdentity" ? configured : Math.min(APP_TOKEN_LIFETIME, configured);
  const key = await currentSigningKey(tenantId, () => tenant.signingKey());
  const issued = await mintAccessToken(key, {
    tenantId,
    audience,
    objectId: principal.id,
    appId: principal.appId,
    appidacr,
    lifetimeSeconds,
    extraClaims,
  });
  const expiresIn = issued.expiresOn - issued.issuedAt;
  reportFlow(env, ctx.keeper, { step: 6, kind: "token-issued", service: "aad" }, () => ({
    summary: `the authority issues ${principal.displayName} (${principal.servicePrincipalType === "ManagedIdentity" ? "managed identity" : "application"}) a token for ${audience}, proven by ${via === "imds" ? "its certificate (client assertion from the identity endpoint)" : via === "secret" ? "a client secret" : via === "federation" ? "a federated assertion" : "a certificate"}`,
    principalId: principal.id,
    clientId: principal.appId,
    detail: {
      via,
      servicePrincipalType: principal.servicePrincipalType,
      displayName: principal.displayName,
      audience,
      checks: CHECKS[via],
      ...(assertion ? { assertion: jwtParts(assertion) } : {}),
      token: issued.accessToken,
      ...jwtParts(issued.accessToken),
    },
  }));
  if (logEnabled(env)) {
    const debug = logEnabled(env, "debug") ? ` exp=${new Date(issued.expiresOn * 1000).toISOString()} v${ctx.version}` : "";
    logLine(env, "aad", `token issued principal=${principal.id} ${JSON.stringify(principal.displayName)} app=${principal.appId} audience=${audience} via=${via}${debug}`);
  }
  if (ctx.version === 2) {
    return { token_type: "Bearer", expires_in: expiresIn, ext_expires_in: expiresIn, access_token: issued.accessToken };
  }
  return {
    token_type: "Bearer",
    expires_in: String(expiresIn),
    ext_expires_in: String(expiresIn),
    expires_on: String(issued.expiresOn),
    not_before: String(issued.notBefore),
    resource: audience,
    access_token: issued.accessToken,
  };
}

/**
 * Which principal a client id names, per isolate: appId → objectId is a hint that spares the
 * tenant's object on most token requests. The principal's own object stays the truth: a hint
 * whose principal is gone or names another app (a principal deleted, or created again for the
 * same application) is dropped and the tenant asked.
 */
const principalByApp = new Map<string, string>();
const MAX_PRINCIPAL_HINTS = 100_000;

async function clientPrincipal(
  env: AadEnv,
  tenant: { lookupApp(appId: string): Promise<string | null> },
  tenantId: string,
  clientId: string,
): Promise<ServicePrincipalRecord | null> {
  const hintKey = `${tenantId}|${clientId.toLowerCase()}`;
  const principalObject = (objectId: string) => stubOf<ServicePrincipalObject>(env.PRINCIPALS, objectId);
  const hinted = principalByApp.get(hintKey);
  if (hinted) {
    const record = await principalObject(hinted).get();
    if (record && record.appId.toLowerCase() === clientId.toLowerCase()) return record;
    principalByApp.delete(hintKey);
  }
  const objectId = await tenant.lookupApp(clientId);
  if (!objectId) return null;
  const record = await principalObject(objectId).get();
  if (record) {
    if (principalByApp.size >= MAX_PRINCIPAL_HINTS) principalByApp.clear();
    principalByApp.set(hintKey, objectId);
  }
  return record;
}

/**
 * The tenant's signing key, kept per isolate for a minute: keys are generated once and never
 * rotated, so this saves a round trip to the tenant's object on every token without ever
 * signing with a key the JWKS does not publish.
 */
const signingKeys = new Map<string, { key: SigningKey; fetchedAt: number }>();
async function currentSigningKey(tenantId: string, load: () => Promise<SigningKey>): Promise<SigningKey> {
  const cached = signingKeys.get(tenantId);
  if (cached && Date.now() - cached.fetchedAt < 60_000) return cached.key;
  const key = await load();
  signingKeys.set(tenantId, { key, fetchedAt: Date.now() });
  return key;
}

/** v1 names a resource; v2 names exactly one `{resource}/.default` scope. */
function requestedAudience(ctx: TokenEndpointContext): string {
  const { form } = ctx;
  if (ctx.version === 1) {
    const resource = form.get("resource");
    if (!resource) throw AadErrors.missingParameter("resource");
    return resource;
  }
  if (form.has("resource")) throw AadErrors.resourceNotSupportedOnV2();
  const scope = form.get("scope");
  if (!scope) throw AadErrors.missingParameter("scope");
  const scopes = scope.split(/\s+/).filter(Boolean);
  const defaults = scopes.filter((s) => s.endsWith("/.default"));
  if (defaults.length !== 1 || scopes.length !== 1) {
    if (defaults.length > 1) throw AadErrors.multipleResources();
    throw AadErrors.invalidScopeV2(scope);
  }
  return defaults[0]!.slice(0, -"/.default".length);
}

async function verifySecret(
  principal: ServicePrincipalRecord,
  secret: string,
  applicationSecrets: () => Promise<PasswordCredential[]>,
): Promise<void> {
  // A managed identity is "locked to only be used with Azure resources": no secret ever works.
  if (principal.servicePrincipalType === "ManagedIdentity") throw AadErrors.secretNotAllowedForManagedIdentity(principal.appId);
  const hash = await sha256Hex(secret);
  const now = emulatorNow();
  const valid = (credential: PasswordCredential) =>
    timingSafeEqual(credential.secretHash, hash) &&
    Date.parse(credential.startDateTime) - 300_000 <= now &&
    now < Date.parse(credential.endDateTime);
  if (principal.passwordCredentials.some(valid)) return;
  // Secrets added to an application (Graph's addPassword) live on the application, not on its
  // principal, as in Azure; they are looked up only when the principal's own do not match.
  if ((await applicationSecrets()).some(valid)) return;
  throw AadErrors.invalidClientSecret(principal.appId);
}

/** xms_mirid names the resource the identity belongs to; xms_az_rid the VM using a user-assigned one. */
function managedIdentityClaims(principal: ServicePrincipalRecord, assertionClaims: Record<string, unknown>): Record<string, string> {
  if (principal.servicePrincipalType !== "ManagedIdentity") return {};
  const claims: Record<string, string> = {};
  const resourceId = principal.alternativeNames.find((name) => name.startsWith("/"));
  if (resourceId) claims.xms_mirid = resourceId;
  const hostResource = assertionClaims.xms_az_rid;
  if (typeof hostResource === "string" && hostResource.startsWith("/subscriptions/")) claims.xms_az_rid = hostResource;
  return claims;
}

function tokenEndpointAudiences(base: string, tenantInPath: string, tenantId: string): string[] {
  const bases = [base, "https://login.microsoftonline.com"];
  const tenants = [...new Set([tenantInPath, tenantId])];
  return bases.flatMap((b) =>
    tenants.flatMap((t) => [`${b}/${t}/oauth2/token`, `${b}/${t}/oauth2/v2.0/token`]),
  );
}

function parseBasic(header: string | undefined): { clientId: string; secret: string } | null {
  if (!header?.toLowerCase().startsWith("basic ")) return null;
  try {
    const decoded = new TextDecoder().decode(base64Decode(header.slice(6).trim()));
    const colon = decoded.indexOf(":");
    if (colon < 0) return null;
    return {
      clientId: decodeURIComponent(decoded.slice(0, colon)),
      secret: decodeURIComponent(decoded.slice(colon + 1)),
    };
  } catch {
    return null;
  }
}
