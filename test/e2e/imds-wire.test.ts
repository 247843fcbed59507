// IMDS on the wire: what real IMDS accepts, refuses and answers, byte for byte where known.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt, imds, TestEmulator } from "../support/emulator.ts";

const emulator = TestEmulator.shared();
let endpoint: string;
let bare: string;
const token = (query: string) => `${endpoint}/metadata/identity/oauth2/token?${query}`;

beforeAll(async () => {
  await emulator.start();
  await emulator.createResourceGroup("imds-rg");
  await emulator.createVm("imds-rg", "vm-mi", { type: "SystemAssigned" });
  await emulator.createVm("imds-rg", "vm-bare");
  endpoint = await emulator.imdsEndpoint("imds-rg", "vm-mi");
  bare = await emulator.imdsEndpoint("imds-rg", "vm-bare");
});
afterAll(() => emulator.dispose());

describe("IMDS token endpoint", () => {
  it("answers every field as a string, with the requested resource echoed", async () => {
    const r = await imds(token("api-version=2018-02-01&resource=https://vault.azure.net"));
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(Object.keys(r.body).sort()).toEqual(
      ["access_token", "client_id", "expires_in", "expires_on", "ext_expires_in", "not_before", "resource", "token_type"].sort(),
    );
    for (const value of Object.values(r.body)) expect(typeof value).toBe("string");
    expect(r.body.resource).toBe("https://vault.azure.net");
    expect(r.body.token_type).toBe("Bearer");
    const { payload } = decodeJwt(r.body.access_token);
    expect(String(payload.exp)).toBe(r.body.expires_on);
    expect(String(payload.nbf)).toBe(r.body.not_before);
    expect(payload.appid).toBe(r.body.client_id);
  });

  it("caches per resource and bypass_cache=true gets a fresh token", async () => {
    const a = await imds(token("api-version=2018-02-01&resource=https://storage.azure.com"));
    const b = await imds(token("api-version=2018-02-01&resource=https://storage.azure.com"));
    expect(b.body.access_token).toBe(a.body.access_token);
    const c = await imds(token("api-version=2018-02-01&resource=https://storage.azure.com&bypass_cache=true"));
    expect(c.status).toBe(200);
    expect(c.body.access_token).not.toBe(a.body.access_token);
    const other = await imds(token("api-version=2018-02-01&resource=https://management.azure.com/"));
    expect(decodeJwt(other.body.access_token).payload.aud).toBe("https://management.azure.com/");
  });

  it("accepts the resource encoded or not, msal-node's trailing slash and any path case", async () => {
    const encoded = await imds(token(`api-version=2018-02-01&resource=${encodeURIComponent("https://vault.azure.net")}`));
    expect(encoded.status).toBe(200);
    const slash = await imds(`${endpoint}/metadata/identity/oauth2/token/?api-version=2018-02-01&resource=https://vault.azure.net`);
    expect(slash.status).toBe(200);
    const upper = await imds(`${endpoint}/Metadata/Identity/OAuth2/Token?api-version=2018-02-01&resource=https://vault.azure.net`);
    expect(upper.status).toBe(200);
  });

  const refusals: [string, string, Record<string, string>, number, unknown][] = [
    ["no Metadata header (the DAC probe)", "", {}, 400, { error: "invalid_request", error_description: "Required metadata header not specified" }],
    ["Metadata: True (not lower-case)", "api-version=2018-02-01&resource=https://vault.azure.net", { Metadata: "True" }, 400, { error: "invalid_request", error_description: "Required metadata header not specified" }],
    ["a request through a proxy (X-Forwarded-For)", "api-version=2018-02-01&resource=https://vault.azure.net", { Metadata: "true", "X-Forwarded-For": "10.0.0.1" }, 400, { error: "invalid_request", error_description: "Request contains X-Forwarded-For header. Requests through a proxy are not supported" }],
    ["no resource", "api-version=2018-02-01", { Metadata: "true" }, 400, { error: "invalid_request", error_description: "Required query variable 'resource' is missing" }],
    ["no api-version", "resource=https://vault.azure.net", { Metadata: "true" }, 400, { error: "invalid_request", error_description: "Required query variable 'api-version' is missing" }],
    ["an api-version before the identity category", "api-version=2017-12-01&resource=https://vault.azure.net", { Metadata: "true" }, 400, { error: "invalid_request", error_description: "Invalid api-version '2017-12-01'. Use 2018-02-01 or greater for the identity endpoint" }],
    ["duplicate query names", "api-version=2018-02-01&resource=https://vault.azure.net&resource=https://storage.azure.com", { Metadata: "true" }, 400, { error: "invalid_request", error_description: "Duplicate query parameter 'resource' is not allowed" }],
    ["an unknown client_id", "api-version=2018-02-01&resource=https://vault.azure.net&client_id=00000000-0000-0000-0000-000000000001", { Metadata: "true" }, 400, { error: "invalid_request", error_description: "Identity not found" }],
    ["an unknown msi_res_id", "api-version=2018-02-01&resource=https://vault.azure.net&msi_res_id=/subscriptions/x/resourcegroups/y/providers/Microsoft.ManagedIdentity/userAssignedIdentities/z", { Metadata: "true" }, 400, { error: "invalid_request", error_description: "Identity not found" }],
  ];
  for (const [name, query, headers, status, body] of refusals) {
    it(`refuses ${name}`, async () => {
      const r = await imds(`${endpoint}/metadata/identity/oauth2/token${query ? `?${query}` : ""}`, headers);
      expect(r.status).toBe(status);
      expect(r.body).toEqual(body);
    });
  }

  it("refuses a resource the tenant has no principal for, with the authority's reason", async () => {
    const r = await imds(token("api-version=2018-02-01&resource=https://not-a-resource.example.com"));
    expect(r.status).toBe(400);
    expect(r.body.error).toBe("invalid_resource");
    expect(r.body.error_description).toMatch(/^AADSTS500011: The resource principal named https:\/\/not-a-resource.example.com was not found/);
  });

  it("refuses other verbs with 405", async () => {
    const r = await imds(token("api-version=2018-02-01&resource=https://vault.azure.net"), { Metadata: "true" }, "POST");
    expect(r.status).toBe(405);
    expect(r.body.error).toBe("method_not_allowed");
  });

  it("answers Identity not found on a VM without identity, selectors included", async () => {
    const r = await imds(`${bare}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net`);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: "invalid_request", error_description: "Identity not found" });
  });

  it("selects the system-assigned identity by its client_id or object_id", async () => {
    const first = await imds(token("api-version=2018-02-01&resource=https://vault.azure.net"));
    const oid = decodeJwt(first.body.access_token).payload.oid;
    const byClient = await imds(token(`api-version=2018-02-01&resource=https://vault.azure.net&client_id=${first.body.client_id}`));
    expect(byClient.status).toBe(200);
    const byObject = await imds(token(`api-version=2018-02-01&resource=https://vault.azure.net&object_id=${oid}`));
    expect(decodeJwt(byObject.body.access_token).payload.oid).toBe(oid);
  });

  it("an unknown endpoint key is not a VM", async () => {
    const r = await imds(`${emulator.endpoints.imds}/vms/${"0".repeat(40)}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net`);
    expect(r.status).toBe(400);
    expect(r.body.error_description).toBe("Identity not found");
  });
});

describe("IMDS instance metadata", () => {
  it("serves the compute section with string leaves", async () => {
    const r = await imds(`${endpoint}/metadata/instance?api-version=2021-02-01`);
    expect(r.status).toBe(200);
    const vm = (await emulator.arm("GET", emulator.vmPath("imds-rg", "vm-mi"))).body;
    expect(r.body.compute).toMatchObject({
      name: "vm-mi",
      resourceGroupName: "imds-rg",
      subscriptionId: emulator.endpoints.subscriptionId,
      location: "westus",
      resourceId: vm.id,
      vmId: vm.properties.vmId,
      vmSize: "Standard_B1s",
      osType: "Linux",
      publisher: "Canonical",
    });
    expect(r.body.network.interface[0].ipv4.ipAddress[0].privateIpAddress).toMatch(/^10\.0\.0\.\d+$/);
  });

  it("navigates by path and serves leaves with format=text", async () => {
    const vm = (await emulator.arm("GET", emulator.vmPath("imds-rg", "vm-mi"))).body;
    const leaf = await imds(`${endpoint}/metadata/instance/compute/vmId?api-version=2021-02-01&format=text`);
    expect(leaf.status).toBe(200);
    expect(leaf.body).toBe(vm.properties.vmId);
    const section = await imds(`${endpoint}/metadata/instance/compute?api-version=2021-02-01`);
    expect(section.body.name).toBe("vm-mi");
    const missing = await imds(`${endpoint}/metadata/instance/compute/nope?api-version=2021-02-01`);
    expect(missing.status).toBe(404);
  });

  it("refuses a missing or unknown api-version with the newest versions", async () => {
    for (const q of ["", "?api-version=2099-01-01"]) {
      const r = await imds(`${endpoint}/metadata/instance${q}`);
      expect(r.status).toBe(400);
      expect(r.body).toEqual({
        error: "Bad request. api-version is invalid or was not specified in the request. For more information refer to aka.ms/azureimds",
        "newest-versions": ["2025-04-07", "2024-07-17", "2024-03-15"],
      });
    }
  });

  it("requires the Metadata header", async () => {
    const r = await imds(`${endpoint}/metadata/instance?api-version=2021-02-01`, {});
    expect(r.status).toBe(400);
    expect(r.body.error_description).toBe("Required metadata header not specified");
  });

  it("reflects tag changes made through Resource Manager", async () => {
    await emulator.arm("PATCH", emulator.vmPath("imds-rg", "vm-mi"), { tags: { team: "blue", env: "dev" } });
    const r = await imds(`${endpoint}/metadata/instance/compute/tags?api-version=2021-02-01&format=text`);
    expect(r.body).toBe("team:blue;env:dev");
  });
});
