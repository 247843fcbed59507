// The client-credentials grant's rules inside workerd: each refusal with Azure AD's status, error
// and AADSTS code, and client assertions against a managed identity's registered certificate
// (created through ManagedIdentityDirectory, as Resource Manager creates it). The answers' shapes
// against the public URLs and the unmodified SDKs stay in test/e2e/aad.test.ts.
import { env, exports } from "cloudflare:workers";
import { SignJWT, generateKeyPair, importPKCS8 } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { createSelfSignedCertificate, privateKeyPem } from "../../shared/certificates";
import type { ManagedIdentityDirectoryBinding } from "../../shared/bindings/managed-identity-directory";

const worker = (exports as unknown as { default: Fetcher }).default;
const directory = (exports as unknown as { ManagedIdentityDirectory: ManagedIdentityDirectoryBinding }).ManagedIdentityDirectory;
const LOGIN = "https://login.test";
const tenant = () => env.TENANT_ID as string;
const admin = () => ({ client_id: env.ADMIN_CLIENT_ID as string, client_secret: env.ADMIN_CLIENT_SECRET as string });
const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

async function token(version: 1 | 2, form: Record<string, string>, tenantInPath = tenant()) {
  const path = version === 1 ? "oauth2/token" : "oauth2/v2.0/token";
  const response = await worker.fetch(`${LOGIN}/${tenantInPath}/${path}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe("client credentials with a secret", () => {
  const cases: [string, 1 | 2, () => Record<string, string>, string | undefined, number, string, number][] = [
    ["an unknown tenant", 2, () => ({ grant_type: "client_credentials", ...admin(), scope: "https://vault.azure.net/.default" }), "22222222-2222-2222-2222-222222222222", 400, "invalid_request", 90002],
    ["a malformed tenant", 2, () => ({ grant_type: "client_credentials", ...admin(), scope: "https://vault.azure.net/.default" }), "not_a_tenant!", 400, "invalid_request", 900023],
    ["an unknown client", 2, () => ({ grant_type: "client_credentials", client_id: "33333333-3333-3333-3333-333333333333", client_secret: "x", scope: "https://vault.azure.net/.default" }), undefined, 400, "unauthorized_client", 700016],
    ["a wrong secret", 2, () => ({ grant_type: "client_credentials", client_id: env.ADMIN_CLIENT_ID as string, client_secret: "wrong", scope: "https://vault.azure.net/.default" }), undefined, 401, "invalid_client", 7000215],
    ["no credential at all", 2, () => ({ grant_type: "client_credentials", client_id: env.ADMIN_CLIENT_ID as string, scope: "https://vault.azure.net/.default" }), undefined, 401, "invalid_client", 7000218],
    ["no grant_type", 2, () => ({ ...admin(), scope: "https://vault.azure.net/.default" }), undefined, 400, "invalid_request", 900144],
    ["another grant", 2, () => ({ grant_type: "password", ...admin(), scope: "https://vault.azure.net/.default" }), undefined, 400, "unsupported_grant_type", 70003],
    ["resource on v2", 2, () => ({ grant_type: "client_credentials", ...admin(), resource: "https://vault.azure.net" }), undefined, 400, "invalid_request", 901002],
    ["a scope without /.default", 2, () => ({ grant_type: "client_credentials", ...admin(), scope: "https://vault.azure.net/user_impersonation" }), undefined, 400, "invalid_scope", 1002012],
    ["no resource on v1", 1, () => ({ grant_type: "client_credentials", ...admin() }), undefined, 400, "invalid_request", 900144],
    ["an unknown resource", 1, () => ({ grant_type: "client_credentials", ...admin(), resource: "https://example.com" }), undefined, 400, "invalid_resource", 500011],
  ];
  for (const [name, version, form, tenantInPath, status, error, code] of cases) {
    it(`refuses ${name} with ${status} AADSTS${code}`, async () => {
      const r = await token(version, form(), tenantInPath);
      expect(r.status).toBe(status);
      expect(r.body.error).toBe(error);
      expect(r.body.error_codes).toEqual([code]);
      expect(r.body.error_description).toMatch(new RegExp(`^AADSTS${code}: .+\\r\\nTrace ID: [0-9a-f-]{36}\\r\\nCorrelation ID: [0-9a-f-]{36}\\r\\nTimestamp: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$`));
      expect(r.body.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
      expect(r.body.trace_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.body.correlation_id).toMatch(/^[0-9a-f-]{36}$/);
    });
  }
});

describe("client assertions of a managed identity", () => {
  const clientId = crypto.randomUUID();
  const principalId = crypto.randomUUID();
  let credential: Awaited<ReturnType<typeof createSelfSignedCertificate>>;

  beforeAll(async () => {
    credential = await createSelfSignedCertificate(principalId, 30);
    await directory.createManagedIdentityPrincipal({
      tenantId: tenant(),
      objectId: principalId,
      appId: clientId,
      displayName: "assertion-test",
      alternativeNames: ["isExplicit=False", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm"],
      credential: { certificate: credential.certificate, x5t: credential.x5t, x5tS256: credential.x5tS256, notBefore: credential.notBefore, notAfter: credential.notAfter },
    });
  });

  const aud = () => `${LOGIN}/${tenant()}/oauth2/token`;
  const now = () => Math.floor(Date.now() / 1000);
  const form = (assertion: string) => ({ grant_type: "client_credentials", client_id: clientId, client_assertion_type: JWT_BEARER, client_assertion: assertion, resource: "https://vault.azure.net" });

  it("an assertion signed with the registered certificate gets a token naming the identity's resource", async () => {
    const key = await importPKCS8(privateKeyPem(credential.privateKeyPkcs8), "RS256");
    const assertion = await new SignJWT({}).setProtectedHeader({ alg: "RS256", x5t: credential.x5t }).setIssuer(clientId).setSubject(clientId).setAudience(aud()).setIssuedAt().setExpirationTime("10m").sign(key);
    const r = await token(1, form(assertion));
    expect(r.status).toBe(200);
    const claims = JSON.parse(atob(r.body.access_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    expect(claims).toMatchObject({ oid: principalId, appid: clientId, appidacr: "2", xms_mirid: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm" });
  });

  it("refuses a certificate that is not registered on the principal (AADSTS700027)", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const a = await new SignJWT({ iss: clientId, sub: clientId, aud: aud(), exp: now() + 600, nbf: now() }).setProtectedHeader({ alg: "RS256", x5t: "AAAAAAAAAAAAAAAAAAAAAAAAAAA" }).sign(privateKey);
    const r = await token(1, form(a));
    expect([r.status, r.body.error, r.body.error_codes]).toEqual([401, "invalid_client", [700027]]);
  });

  it("refuses unsupported algorithms, a missing assertion type and a malformed assertion", async () => {
    const hs = await new SignJWT({ iss: clientId }).setProtectedHeader({ alg: "HS256" }).sign(new Uint8Array(32));
    expect((await token(1, form(hs))).body.error_codes).toEqual([700027]);
    const { client_assertion_type: _type, ...untyped } = form(hs);
    expect((await token(1, untyped)).body.error_codes).toEqual([900144]);
    const garbage = await token(1, form("garbage"));
    expect([garbage.status, garbage.body.error_codes]).toEqual([400, [50027]]);
  });

  it("a managed identity's principal never accepts a secret", async () => {
    const r = await token(1, { grant_type: "client_credentials", client_id: clientId, client_secret: "anything", resource: "https://vault.azure.net" });
    expect([r.status, r.body.error_codes]).toEqual([401, [7000215]]);
  });
});
