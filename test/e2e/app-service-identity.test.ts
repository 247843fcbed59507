// The App Service identity endpoint: a site's code gets tokens for the site's identities with the
// environment listIdentityEndpoint returns, through the unmodified @azure/identity and
// @azure/msal-node (each in its own process); the endpoint's wire (both protocols, its errors);
// a user-assigned identity shared by a VM and a site; the endpoint and the principal gone with the site.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestEmulator, decodeJwt } from "../support/emulator.ts";
import { runInSite, tokenFromVm, type SiteEnvironment } from "../support/vm-process.ts";

const emulator = TestEmulator.shared();
const WEB_API = "2023-01-01";
const RG = "appsvc-rg";

const webPath = (type: "serverfarms" | "sites", name: string, suffix = "") =>
  `${emulator.subscriptionPath}/resourceGroups/${RG}/providers/Microsoft.Web/${type}/${name}${suffix}?api-version=${WEB_API}`;
const uamiId = (name: string) => `${emulator.subscriptionPath}/resourceGroups/${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;

async function createSite(name: string, identity?: unknown, kind?: string): Promise<any> {
  const r = await emulator.arm("PUT", webPath("sites", name), {
    location: "westus",
    ...(kind ? { kind } : {}),
    ...(identity ? { identity } : {}),
    properties: { serverFarmId: `${emulator.subscriptionPath}/resourceGroups/${RG}/providers/Microsoft.Web/serverfarms/plan1` },
  });
  if (r.status !== 200 && r.status !== 201) throw new Error(`create site: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function siteEnvironment(name: string): Promise<SiteEnvironment> {
  const r = await emulator.arm("POST", webPath("sites", name, "/listIdentityEndpoint"));
  if (r.status !== 200) throw new Error(`listIdentityEndpoint: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** A raw GET at a site's identity endpoint. */
async function endpoint(env: SiteEnvironment, query: string, headers: Record<string, string> = { "X-IDENTITY-HEADER": env.IDENTITY_HEADER }) {
  const response = await fetch(`${env.IDENTITY_ENDPOINT}?${query}`, { headers });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

let site: any;
let env: SiteEnvironment;

beforeAll(async () => {
  await emulator.start();
  await emulator.createResourceGroup(RG);
  const plan = await emulator.arm("PUT", webPath("serverfarms", "plan1"), { location: "westus", sku: { name: "B1", tier: "Basic" } });
  if (plan.status !== 200 && plan.status !== 201) throw new Error(`plan: ${plan.status} ${JSON.stringify(plan.body)}`);
  site = await createSite("web1", { type: "SystemAssigned" });
  env = await siteEnvironment("web1");
});
afterAll(() => emulator.dispose());

describe("listIdentityEndpoint", () => {
  it("hands out the four variables App Service injects; the endpoint is under imds with 128+ bits of randomness", () => {
    expect(Object.keys(env).sort()).toEqual(["IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET"]);
    expect(env.IDENTITY_ENDPOINT.startsWith(`${emulator.endpoints.imds}/sites/`)).toBe(true);
    expect(env.IDENTITY_ENDPOINT).toMatch(/\/sites\/[0-9a-f]{40}\/msi\/token$/);
    expect(env.MSI_ENDPOINT).toBe(env.IDENTITY_ENDPOINT);
    expect(env.MSI_SECRET).toBe(env.IDENTITY_HEADER);
    expect(env.IDENTITY_HEADER.length).toBeGreaterThanOrEqual(32);
  });

  it("is stable for the site's life and never part of its GET", async () => {
    expect(await siteEnvironment("web1")).toEqual(env);
    const doc = await emulator.arm("GET", webPath("sites", "web1"));
    expect(JSON.stringify(doc.body)).not.toContain(env.IDENTITY_HEADER);
    expect(JSON.stringify(doc.body)).not.toContain(env.IDENTITY_ENDPOINT.split("/sites/")[1]!.slice(0, 40));
  });
});

describe("the site's code gets tokens with the unmodified SDKs", () => {
  for (const client of ["managed-identity-credential", "default-azure-credential", "msal-node"] as const) {
    it(`${client}: a token for the system-assigned identity, xms_mirid the site`, async () => {
      const result = await runInSite(env, client, "https://storage.azure.com/.default");
      expect(result.error).toBeUndefined();
      const { header, payload } = decodeJwt(result.token!);
      expect(header).toMatchObject({ alg: "RS256", typ: "JWT" });
      expect(payload).toMatchObject({
        aud: "https://storage.azure.com",
        iss: `https://sts.windows.net/${emulator.endpoints.tenantId}/`,
        oid: site.identity.principalId,
        sub: site.identity.principalId,
        xms_mirid: site.id,
        idtyp: "app",
      });
      expect(payload.xms_az_rid).toBeUndefined();
    });
  }
});

describe("the endpoint's wire", () => {
  it("2019-08-01: epoch expires_on and client_id as strings; resource echoed", async () => {
    const r = await endpoint(env, "api-version=2019-08-01&resource=https%3A%2F%2Fvault.azure.net");
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ resource: "https://vault.azure.net", token_type: "Bearer" });
    expect(r.body.expires_on).toMatch(/^\d+$/);
    expect(Number(r.body.expires_on)).toBe(decodeJwt(r.body.access_token).payload.exp);
    expect(r.body.client_id).toBe(decodeJwt(r.body.access_token).payload.appid);
  });

  it("2017-09-01: the secret header, clientid, and a date-string expires_on", async () => {
    const first = await endpoint(env, "api-version=2019-08-01&resource=https://vault.azure.net");
    const clientId = first.body.client_id;
    const r = await endpoint(env, `api-version=2017-09-01&resource=https://vault.azure.net&clientid=${clientId}`, { secret: env.MSI_SECRET });
    expect(r.status).toBe(200);
    expect(r.body.expires_on).toMatch(/^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2} \+00:00$/);
    const wrongHeader = await endpoint(env, "api-version=2017-09-01&resource=https://vault.azure.net", { "X-IDENTITY-HEADER": env.IDENTITY_HEADER });
    expect(wrongHeader.status).toBe(401);
  });

  it("refuses what App Service refuses, in its shape, never with 404 or 410", async () => {
    const shape = { statusCode: expect.any(Number), message: expect.any(String), correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/) };
    const noHeader = await endpoint(env, "api-version=2019-08-01&resource=https://vault.azure.net", {});
    expect([noHeader.status, noHeader.body]).toEqual([401, { ...shape, statusCode: 401 }]);
    expect(noHeader.body.message).toContain("X-IDENTITY-HEADER");
    const wrong = await endpoint(env, "api-version=2019-08-01&resource=https://vault.azure.net", { "X-IDENTITY-HEADER": "not-the-secret" });
    expect(wrong.status).toBe(401);
    const noResource = await endpoint(env, "api-version=2019-08-01");
    expect([noResource.status, noResource.body.message]).toEqual([400, "The resource query parameter is required."]);
    const noVersion = await endpoint(env, "resource=https://vault.azure.net");
    expect(noVersion.status).toBe(400);
    const unknown = await endpoint(env, `api-version=2019-08-01&resource=https://vault.azure.net&client_id=${crypto.randomUUID()}`);
    expect([unknown.status, unknown.body.message]).toEqual([400, "Unable to load the proper Managed Identity."]);
    const both = await endpoint(env, `api-version=2019-08-01&resource=https://vault.azure.net&client_id=${crypto.randomUUID()}&principal_id=${crypto.randomUUID()}`);
    expect(both.status).toBe(400);
    const badResource = await endpoint(env, "api-version=2019-08-01&resource=https://not-a-resource.example");
    expect(badResource.status).toBe(400);
    const otherKey = env.IDENTITY_ENDPOINT.replace(/\/sites\/[0-9a-f]{40}\//, `/sites/${"0".repeat(40)}/`);
    const stranger = await fetch(`${otherKey}?api-version=2019-08-01&resource=https://vault.azure.net`, { headers: { "X-IDENTITY-HEADER": env.IDENTITY_HEADER } });
    expect(stranger.status).toBe(401);
  });
});

describe("a user-assigned identity shared by a VM and a site", () => {
  it("both get tokens for it; at the site xms_az_rid names the site, xms_mirid the identity", async () => {
    const created = await emulator.arm("PUT", `${uamiId("shared")}?api-version=2023-01-31`, { location: "westus" });
    expect(created.status).toBe(201);
    const { clientId, principalId } = created.body.properties;
    const app = await createSite("web2", { type: "UserAssigned", userAssignedIdentities: { [uamiId("shared")]: {} } });
    expect(app.identity.userAssignedIdentities[uamiId("shared")]).toEqual({ principalId, clientId });
    await emulator.createVm(RG, "vm1");
    const vm = await emulator.arm("PATCH", emulator.vmPath(RG, "vm1"), { identity: { type: "UserAssigned", userAssignedIdentities: { [uamiId("shared")]: {} } } });
    expect(vm.status).toBe(200);

    const siteEnv = await siteEnvironment("web2");
    for (const selector of [{}, { clientId }]) {
      const result = await runInSite(siteEnv, "managed-identity-credential", "https://vault.azure.net/.default", selector);
      expect(result.error).toBeUndefined();
      // The identity's id as Managed Identity spells it (…/resourcegroups/…).
      expect(decodeJwt(result.token!).payload).toMatchObject({ oid: principalId, appid: clientId, xms_mirid: created.body.id, xms_az_rid: app.id });
    }
    const byResourceId = await endpoint(siteEnv, `api-version=2019-08-01&resource=https://vault.azure.net&mi_res_id=${encodeURIComponent(uamiId("shared"))}`);
    expect(byResourceId.status).toBe(200);
    const byObjectId = await endpoint(siteEnv, `api-version=2019-08-01&resource=https://vault.azure.net&object_id=${principalId}`);
    expect(byObjectId.status).toBe(200);

    const fromVm = await tokenFromVm(await emulator.imdsEndpoint(RG, "vm1"), "managed-identity-credential", "https://vault.azure.net/.default");
    expect(decodeJwt(fromVm.token!).payload).toMatchObject({ oid: principalId, xms_mirid: created.body.id });
    expect(decodeJwt(fromVm.token!).payload.xms_az_rid).toMatch(/virtualMachines\/vm1$/);
  });
});

describe("the site's end", () => {
  it("deleting the site ends its endpoint and removes its principal", async () => {
    const gone = await createSite("web3", { type: "SystemAssigned" });
    const goneEnv = await siteEnvironment("web3");
    expect((await endpoint(goneEnv, "api-version=2019-08-01&resource=https://vault.azure.net")).status).toBe(200);
    const deleted = await emulator.arm("DELETE", webPath("sites", "web3"));
    expect([200, 204]).toContain(deleted.status);
    expect((await endpoint(goneEnv, "api-version=2019-08-01&resource=https://vault.azure.net")).status).toBe(401);
    const e = emulator.endpoints;
    const graphToken = await emulator.adminCredential().getToken(`${e.graph}/.default`);
    const principal = await emulator.graph("GET", `/v1.0/servicePrincipals/${gone.identity.principalId}`, undefined, graphToken!.token);
    expect(principal.status).toBe(404);
  });

  it("taking the system-assigned identity away stops its tokens at once", async () => {
    await createSite("web4", { type: "SystemAssigned" });
    const sEnv = await siteEnvironment("web4");
    expect((await endpoint(sEnv, "api-version=2019-08-01&resource=https://vault.azure.net")).status).toBe(200);
    const patched = await emulator.arm("PATCH", webPath("sites", "web4"), { identity: { type: "None" } });
    expect(patched.status).toBe(200);
    expect(patched.body.identity?.principalId).toBeUndefined();
    const after = await endpoint(sEnv, "api-version=2019-08-01&resource=https://vault.azure.net");
    expect([after.status, after.body.message]).toEqual([400, "Unable to load the proper Managed Identity."]);
  });
});
