// The Azure AD authority over its public URL: discovery, JWKS, the client-credentials grant's
// answers on both endpoints, and this cloud's Key Vault resource. The grant's refusals and client
// assertions are checked inside workerd (test/workers/token-endpoint.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestEmulator, decodeJwt } from "../support/emulator.ts";

const emulator = TestEmulator.shared();
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

  // Each refusal's status, error and AADSTS code, and client assertions: test/workers/token-endpoint.test.ts (in workerd).
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
