// State survives a restart (same VM, same identity, old tokens still verify), and tokens expire
// when their lifetime says so (the lifetime is configurable for exactly this kind of test).
import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { TestEmulator, decodeJwt, imds } from "../support/emulator.ts";

describe("restart", () => {
  const emulator = new TestEmulator();
  afterAll(() => emulator.dispose());

  it("keeps resources, identities, keys and endpoints across a restart", async () => {
    await emulator.start();
    await emulator.createResourceGroup("keep-rg");
    await emulator.createVm("keep-rg", "keep-vm", { type: "SystemAssigned" });
    const endpoint = await emulator.imdsEndpoint("keep-rg", "keep-vm");
    const before = await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`);
    expect(before.status).toBe(200);
    const adminToken = await emulator.adminToken();
    const vmBefore = (await emulator.arm("GET", emulator.vmPath("keep-rg", "keep-vm"))).body;

    await emulator.stop();
    await emulator.start();

    const vmAfter = await emulator.arm("GET", emulator.vmPath("keep-rg", "keep-vm"), undefined, adminToken);
    expect(vmAfter.status).toBe(200);
    expect(vmAfter.body).toEqual(vmBefore);
    expect(await emulator.imdsEndpoint("keep-rg", "keep-vm")).toBe(endpoint);

    const after = await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/&bypass_cache=true`);
    expect(after.status).toBe(200);
    expect(decodeJwt(after.body.access_token).payload.oid).toBe(vmBefore.identity.principalId);

    const e = emulator.endpoints;
    const discovery = await (await fetch(`${e.login}/${e.tenantId}/.well-known/openid-configuration`)).json();
    const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
    await expect(jwtVerify(before.body.access_token, jwks, { issuer: discovery.issuer })).resolves.toBeTruthy();
  });
});

describe("expiry", () => {
  const emulator = new TestEmulator({ tokenLifetimeSeconds: "3" });
  afterAll(() => emulator.dispose());

  it("Resource Manager refuses an expired token with ExpiredAuthenticationToken; IMDS renews an expired cached token", async () => {
    await emulator.start();
    await emulator.createResourceGroup("exp-rg");
    await emulator.createVm("exp-rg", "exp-vm", { type: "SystemAssigned" });
    const endpoint = await emulator.imdsEndpoint("exp-rg", "exp-vm");
    const url = `${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net`;
    const first = await imds(url);
    expect(Number(first.body.expires_on) - Number(first.body.not_before)).toBe(3);
    const stale = (await emulator.adminCredential().getToken("https://management.azure.com/.default")).token;

    await new Promise((r) => setTimeout(r, 4200));
    const r = await emulator.arm("GET", emulator.rgPath("exp-rg"), undefined, stale);
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe("ExpiredAuthenticationToken");
    expect(r.body.error.message).toMatch(
      /^The access token expiry UTC time '\d{1,2}\/\d{1,2}\/\d{4} \d{1,2}:\d\d:\d\d (AM|PM)' is earlier than current UTC time '\d{1,2}\/\d{1,2}\/\d{4} \d{1,2}:\d\d:\d\d (AM|PM)'\.$/,
    );
    const renewed = await imds(url);
    expect(renewed.status).toBe(200);
    expect(renewed.body.access_token).not.toBe(first.body.access_token);
  });
});
