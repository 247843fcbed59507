// The Azure AD authority: discovery, JWKS and the client-credentials grant on both endpoints,
// each refusal with Azure AD's status, error and AADSTS code.
import { SignJWT, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestEmulator, decodeJwt, imds } from "../support/emulator.ts";

const emulator = new TestEmulator();
beforeAll(() => emulator.start());
afterAll(() => emulator.dispose());

async function token(version: 1 | 2, form: Record<string, string>, tenant = emulator.endpoints.tenantId, headers: Record<string, string> = {}) {
  const path = version === 1 ? "oauth2/token" : "oauth2/v2.0/token";
  const response = await fetch(`${emulator.endpoints.login}/${tenant}/${path}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form),
  });
  return { status: response.status, body: (await response.json()) as any };
}

const admin = () => ({ client_id: emulator.endpoints.admin.clientId, client_secret: emulator.endpoints.admin.clientSecret });

describe("discovery and keys", () => {
  it("serves v1 and v2 discovery documents naming this authority's endpoints and Azure's issuers", async () => {
    const e = emulator.endpoints;
    const v1 = await (await fetch(`${e.login}/${e.tenantId}/.well-known/openid-configuration`)).json();
    expect(v1).toMatchObject({
      issuer: `https://sts.windows.net/${e.tenantId}/`,
      token_endpoint: `${e.login}/${e.tenantId}/oauth2/token`,
      jwks_uri: `${e.login}/${e.tenantId}/discovery/keys`,
      id_token_signing_alg_values_supported: ["RS256"],
    });
    const v2 = await (await fetch(`${e.login}/${e.tenantId}/v2.0/.well-known/openid-configuration`)).json();
    expect(v2).toMatchObject({
      issuer: `https://login.microsoftonline.com/${e.tenantId}/v2.0`,
      token_endpoint: `${e.login}/${e.tenantId}/oauth2/v2.0/token`,
      jwks_uri: `${e.login}/${e.tenantId}/discovery/v2.0/keys`,
    });
    const common = await (await fetch(`${e.login}/common/v2.0/.well-known/openid-configuration`)).json();
    expect(common.issuer).toBe("https://login.microsoftonline.com/{tenantid}/v2.0");
  });

  it("publishes public parts only, in Azure's JWKS shape, the same keys on both paths", async () => {
    const e = emulator.endpoints;
    const v1 = await (await fetch(`${e.login}/${e.tenantId}/discovery/keys`)).json();
    const v2 = await (await fetch(`${e.login}/${e.tenantId}/discovery/v2.0/keys`)).json();
    expect(v1).toEqual(v2);
    expect(v1.keys.length).toBeGreaterThan(0);
    for (const key of v1.keys) {
      expect(Object.keys(key).sort()).toEqual(["e", "kid", "kty", "n", "use", "x5c", "x5t"]);
      expect(key).toMatchObject({ kty: "RSA", use: "sig", e: "AQAB" });
      expect(key.x5c[0]).toMatch(/^MII/);
    }
  });

  it("refuses discovery for an unknown tenant", async () => {
    const r = await fetch(`${emulator.endpoints.login}/11111111-1111-1111-1111-111111111111/v2.0/.well-known/openid-configuration`);
    expect(r.status).toBe(400);
    const body = await r.json();
    expect(body.error).toBe("invalid_tenant");
    expect(body.error_codes).toEqual([90002]);
  });
});

describe("client credentials with a secret", () => {
  it("v1 answers string numbers and the resource; v2 answers numbers", async () => {
    const v1 = await token(1, { grant_type: "client_credentials", ...admin(), resource: "https://management.azure.com/" });
    expect(v1.status).toBe(200);
    expect(Object.keys(v1.body).sort()).toEqual(["access_token", "expires_in", "expires_on", "ext_expires_in", "not_before", "resource", "token_type"]);
    expect(typeof v1.body.expires_in).toBe("string");
    expect(v1.body.resource).toBe("https://management.azure.com/");
    const v2 = await token(2, { grant_type: "client_credentials", ...admin(), scope: "https://management.azure.com/.default" });
    expect(v2.status).toBe(200);
    expect(Object.keys(v2.body).sort()).toEqual(["access_token", "expires_in", "ext_expires_in", "token_type"]);
    expect(typeof v2.body.expires_in).toBe("number");
    const { header, payload } = decodeJwt(v2.body.access_token);
    expect(header).toMatchObject({ typ: "JWT", alg: "RS256" });
    expect(header.kid).toBe(header.x5t);
    expect(payload).toMatchObject({ aud: "https://management.azure.com", appid: emulator.endpoints.admin.clientId, appidacr: "1", oid: emulator.endpoints.admin.objectId, ver: "1.0" });
    expect(payload.xms_mirid).toBeUndefined();
  });

  it("accepts client_secret_basic", async () => {
    const basic = Buffer.from(`${emulator.endpoints.admin.clientId}:${emulator.endpoints.admin.clientSecret}`).toString("base64");
    const r = await token(2, { grant_type: "client_credentials", scope: "https://vault.azure.net/.default" }, undefined, { authorization: `Basic ${basic}` });
    expect(r.status).toBe(200);
  });

  const cases: [string, 1 | 2, () => Record<string, string>, string | undefined, number, string, number][] = [
    ["an unknown tenant", 2, () => ({ grant_type: "client_credentials", ...admin(), scope: "https://vault.azure.net/.default" }), "22222222-2222-2222-2222-222222222222", 400, "invalid_request", 90002],
    ["a malformed tenant", 2, () => ({ grant_type: "client_credentials", ...admin(), scope: "https://vault.azure.net/.default" }), "not_a_tenant!", 400, "invalid_request", 900023],
    ["an unknown client", 2, () => ({ grant_type: "client_credentials", client_id: "33333333-3333-3333-3333-333333333333", client_secret: "x", scope: "https://vault.azure.net/.default" }), undefined, 400, "unauthorized_client", 700016],
    ["a wrong secret", 2, () => ({ grant_type: "client_credentials", client_id: emulator.endpoints.admin.clientId, client_secret: "wrong", scope: "https://vault.azure.net/.default" }), undefined, 401, "invalid_client", 7000215],
    ["no credential at all", 2, () => ({ grant_type: "client_credentials", client_id: emulator.endpoints.admin.clientId, scope: "https://vault.azure.net/.default" }), undefined, 401, "invalid_client", 7000218],
    ["no grant_type", 2, () => ({ ...admin(), scope: "https://vault.azure.net/.default" }), undefined, 400, "invalid_request", 900144],
    ["another grant", 2, () => ({ grant_type: "password", ...admin(), scope: "https://vault.azure.net/.default" }), undefined, 400, "unsupported_grant_type", 70003],
    ["resource on v2", 2, () => ({ grant_type: "client_credentials", ...admin(), resource: "https://vault.azure.net" }), undefined, 400, "invalid_request", 901002],
    ["a scope without /.default", 2, () => ({ grant_type: "client_credentials", ...admin(), scope: "https://vault.azure.net/user_impersonation" }), undefined, 400, "invalid_scope", 1002012],
    ["no resource on v1", 1, () => ({ grant_type: "client_credentials", ...admin() }), undefined, 400, "invalid_request", 900144],
    ["an unknown resource", 1, () => ({ grant_type: "client_credentials", ...admin(), resource: "https://example.com" }), undefined, 400, "invalid_resource", 500011],
  ];
  for (const [name, version, form, tenant, status, error, code] of cases) {
    it(`refuses ${name} with ${status} AADSTS${code}`, async () => {
      const r = await token(version, form(), tenant);
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

describe("client assertions", () => {
  let miClientId: string;
  beforeAll(async () => {
    await emulator.createResourceGroup("aad-rg");
    await emulator.createVm("aad-rg", "vm", { type: "SystemAssigned" });
    const endpoint = await emulator.imdsEndpoint("aad-rg", "vm");
    miClientId = (await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net`)).body.client_id;
  });

  async function assertion(claims: Record<string, unknown>, header: Record<string, unknown>, alg = "RS256") {
    const { privateKey } = await generateKeyPair(alg);
    return new SignJWT(claims).setProtectedHeader({ alg, ...header }).sign(privateKey);
  }
  const aud = () => `${emulator.endpoints.login}/${emulator.endpoints.tenantId}/oauth2/token`;
  const now = () => Math.floor(Date.now() / 1000);

  it("refuses a certificate that is not registered on the principal (AADSTS700027)", async () => {
    const a = await assertion({ iss: miClientId, sub: miClientId, aud: aud(), exp: now() + 600, nbf: now() }, { x5t: "AAAAAAAAAAAAAAAAAAAAAAAAAAA" });
    const r = await token(1, { grant_type: "client_credentials", client_id: miClientId, client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: a, resource: "https://vault.azure.net" });
    expect(r.status).toBe(401);
    expect(r.body.error).toBe("invalid_client");
    expect(r.body.error_codes).toEqual([700027]);
  });

  it("refuses unsupported algorithms, a missing assertion type and a malformed assertion", async () => {
    const hs = await new SignJWT({ iss: miClientId }).setProtectedHeader({ alg: "HS256" }).sign(new Uint8Array(32));
    const base = { grant_type: "client_credentials", client_id: miClientId, resource: "https://vault.azure.net" };
    const r1 = await token(1, { ...base, client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: hs });
    expect(r1.body.error_codes).toEqual([700027]);
    const r2 = await token(1, { ...base, client_assertion: hs });
    expect(r2.body.error_codes).toEqual([900144]);
    const r3 = await token(1, { ...base, client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: "garbage" });
    expect(r3.status).toBe(400);
    expect(r3.body.error_codes).toEqual([50027]);
  });

  it("a managed identity's principal never accepts a secret", async () => {
    const r = await token(1, { grant_type: "client_credentials", client_id: miClientId, client_secret: "anything", resource: "https://vault.azure.net" });
    expect(r.status).toBe(401);
    expect(r.body.error_codes).toEqual([7000215]);
  });
});

describe("this cloud's Key Vault resource", () => {
  const vaultPort = () => new URL(emulator.endpoints.keyVault!).port;
  const own = () => `https://vault.localhost:${vaultPort()}`;

  it("issues tokens for https://vault.localhost:{port} and for a vault's own https://{vault}.vault.localhost:{port}, on v1 and v2", async () => {
    for (const resource of [own(), `${own()}/`, `https://kv1.vault.localhost:${vaultPort()}`]) {
      const v1 = await token(1, { grant_type: "client_credentials", ...admin(), resource });
      expect(v1.status, resource).toBe(200);
      expect(v1.body.resource).toBe(resource);
      const v2 = await token(2, { grant_type: "client_credentials", ...admin(), scope: `${resource.replace(/\/$/, "")}/.default` });
      expect(v2.status, resource).toBe(200);
      expect(decodeJwt(v2.body.access_token).payload.aud).toBe(resource.replace(/\/$/, ""));
    }
  });

  it("refuses lookalikes with AADSTS500011: other schemes, ports and hosts", async () => {
    const port = Number(vaultPort());
    const other = port === 20_000 ? 20_001 : 20_000;
    const lookalikes = [
      `${own()}.evil`,
      `https://kv1.vault.localhost:${port}.evil`,
      `http://vault.localhost:${port}`,
      `http://kv1.vault.localhost:${port}`,
      `https://vault.localhost:${other}`,
      `https://kv1.vault.localhost:${other}`,
      `https://vault.localhost`,
      `https://kv1.vault.localhost`,
      `https://vault.localhost:${port}@evil.example`,
      `https://evil.example/kv1.vault.localhost:${port}`,
      `https://kv1vault.localhost:${port}`,
    ];
    for (const resource of lookalikes) {
      const v1 = await token(1, { grant_type: "client_credentials", ...admin(), resource });
      expect(v1.status, resource).toBe(400);
      expect(v1.body.error, resource).toBe("invalid_resource");
      expect(v1.body.error_codes, resource).toEqual([500011]);
      const v2 = await token(2, { grant_type: "client_credentials", ...admin(), scope: `${resource}/.default` });
      expect(v2.body.error_codes, resource).toEqual([500011]);
    }
  });
});
