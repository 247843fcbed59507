// The seed's seven steps for a system-assigned identity, with the unmodified SDKs: Resource
// Manager clients for the admin, ManagedIdentityCredential / DefaultAzureCredential / msal-node
// inside the VM, and jose verifying tokens through the discovery document.
import { ComputeManagementClient } from "@azure/arm-compute";
import { ResourceManagementClient } from "@azure/arm-resources";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt, imds, TestEmulator } from "../support/emulator.ts";
import { tokenFromVm } from "../support/vm-process.ts";

const emulator = TestEmulator.shared();
let compute: ComputeManagementClient;
let resources: ResourceManagementClient;

beforeAll(async () => {
  await emulator.start();
  const credential = emulator.adminCredential();
  // The new-generation Compute client asks for the management scope by default; the classic
  // Resources client derives its scope from the endpoint unless told (credentialScopes).
  compute = new ComputeManagementClient(credential, emulator.endpoints.subscriptionId, { endpoint: emulator.endpoints.arm });
  resources = new ResourceManagementClient(credential, emulator.endpoints.subscriptionId, { endpoint: emulator.endpoints.arm, credentialScopes: ["https://management.azure.com/.default"] });
});
afterAll(() => emulator.dispose());

async function verifyThroughDiscovery(token: string, audience: string) {
  const e = emulator.endpoints;
  const discovery = await (await fetch(`${e.login}/${e.tenantId}/.well-known/openid-configuration`)).json();
  const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
  return jwtVerify(token, jwks, { issuer: discovery.issuer, audience, algorithms: ["RS256"] });
}

const vmBody = (identity?: { type: "SystemAssigned" | "None" }) => ({
  location: "westus",
  identity,
  hardwareProfile: { vmSize: "Standard_B1s" },
  osProfile: { computerName: "vm", adminUsername: "azureuser", adminPassword: "Secret-Passw0rd!" },
  storageProfile: { imageReference: { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" } },
});

describe("system-assigned managed identity, end to end", () => {
  it("enables at creation: ARM creates the principal, IMDS issues tokens that verify through discovery", async () => {
    await resources.resourceGroups.createOrUpdate("flow-rg", { location: "westus" });
    const vm = await compute.virtualMachines.beginCreateOrUpdateAndWait("flow-rg", "vm1", vmBody({ type: "SystemAssigned" }));
    expect(vm.identity?.type).toBe("SystemAssigned");
    expect(vm.identity?.principalId).toMatch(/^[0-9a-f-]{36}$/);
    expect(vm.identity?.tenantId).toBe(emulator.endpoints.tenantId);
    expect(vm.vmId).toMatch(/^[0-9a-f-]{36}$/);
    expect(vm.provisioningState).toBe("Succeeded");
    expect(vm.osProfile?.adminPassword).toBeUndefined();
    expect(vm.timeCreated).toBeInstanceOf(Date);

    // The ordinary GET never reveals the IMDS endpoint.
    const raw = await emulator.arm("GET", emulator.vmPath("flow-rg", "vm1"));
    expect(JSON.stringify(raw.body)).not.toContain("/vms/");

    const endpoint = await emulator.imdsEndpoint("flow-rg", "vm1");
    expect(endpoint).toMatch(new RegExp(`^${emulator.endpoints.imds}/vms/[0-9a-f]{40}$`));
    expect(endpoint).toBe(endpoint.toLowerCase());

    const result = await tokenFromVm(endpoint, "managed-identity-credential", "https://vault.azure.net/.default");
    expect(result.error).toBeUndefined();
    const { payload, protectedHeader } = await verifyThroughDiscovery(result.token!, "https://vault.azure.net");
    expect(protectedHeader.kid).toBeTruthy();
    expect(protectedHeader.x5t).toBe(protectedHeader.kid);
    expect(payload).toMatchObject({
      iss: `https://sts.windows.net/${emulator.endpoints.tenantId}/`,
      oid: vm.identity!.principalId,
      sub: vm.identity!.principalId,
      tid: emulator.endpoints.tenantId,
      appidacr: "2",
      idtyp: "app",
      ver: "1.0",
      xms_mirid: vm.id,
    });
    expect(payload.idp).toBe(payload.iss);
    expect(payload.xms_az_rid).toBeUndefined();
    expect(payload.exp! - payload.iat!).toBe(86400);
  });

  it("serves DefaultAzureCredential and msal-node's ManagedIdentityApplication unmodified", async () => {
    const endpoint = await emulator.imdsEndpoint("flow-rg", "vm1");
    const vm = await compute.virtualMachines.get("flow-rg", "vm1");
    const dac = await tokenFromVm(endpoint, "default-azure-credential", "https://management.azure.com/.default");
    expect(dac.error).toBeUndefined();
    expect(decodeJwt(dac.token!).payload.oid).toBe(vm.identity!.principalId);
    const msal = await tokenFromVm(endpoint, "msal-node", "https://storage.azure.com/.default");
    expect(msal.error).toBeUndefined();
    expect(decodeJwt(msal.token!).payload).toMatchObject({ aud: "https://storage.azure.com", oid: vm.identity!.principalId });
  });

  it("the identity's principal exists in the authority as a managed identity and refuses secrets", async () => {
    const endpoint = await emulator.imdsEndpoint("flow-rg", "vm1");
    const token = await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net`);
    const clientId = token.body.client_id;
    const e = emulator.endpoints;
    const response = await fetch(`${e.login}/${e.tenantId}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: "guess", resource: "https://vault.azure.net" }),
    });
    expect(response.status).toBe(401);
    expect((await response.json()).error_codes).toEqual([7000215]);
  });

  it("setting the type to None deletes the principal; IMDS answers Identity not found; re-enabling makes a new principal", async () => {
    const endpoint = await emulator.imdsEndpoint("flow-rg", "vm1");
    const before = await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net`);
    const oldClientId = before.body.client_id;
    const oldPrincipal = (await compute.virtualMachines.get("flow-rg", "vm1")).identity!.principalId;

    const disabled = await compute.virtualMachines.beginUpdateAndWait("flow-rg", "vm1", { identity: { type: "None" } });
    expect(disabled.identity).toBeUndefined();
    const after = await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net`);
    expect(after.status).toBe(400);
    expect(after.body).toEqual({ error: "invalid_request", error_description: "Identity not found" });

    // The authority no longer knows the old client at all.
    const e = emulator.endpoints;
    const refused = await fetch(`${e.login}/${e.tenantId}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: oldClientId, client_secret: "x", resource: "https://vault.azure.net" }),
    });
    expect(refused.status).toBe(400);
    expect((await refused.json()).error_codes).toEqual([700016]);

    const reenabled = await compute.virtualMachines.beginUpdateAndWait("flow-rg", "vm1", { identity: { type: "SystemAssigned" } });
    expect(reenabled.identity?.principalId).toBeTruthy();
    expect(reenabled.identity?.principalId).not.toBe(oldPrincipal);
    const fresh = await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net`);
    expect(fresh.status).toBe(200);
    expect(decodeJwt(fresh.body.access_token).payload.oid).toBe(reenabled.identity!.principalId);
  });

  it("enabling later with PUT keeps vmId and adds the identity; PATCH of tags keeps the same principal", async () => {
    const created = await compute.virtualMachines.beginCreateOrUpdateAndWait("flow-rg", "vm2", vmBody());
    expect(created.identity).toBeUndefined();
    const endpoint = await emulator.imdsEndpoint("flow-rg", "vm2");
    const none = await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net`);
    expect(none.body.error_description).toBe("Identity not found");

    const enabled = await compute.virtualMachines.beginCreateOrUpdateAndWait("flow-rg", "vm2", vmBody({ type: "SystemAssigned" }));
    expect(enabled.vmId).toBe(created.vmId);
    const tagged = await compute.virtualMachines.beginUpdateAndWait("flow-rg", "vm2", { tags: { env: "test" } });
    expect(tagged.identity?.principalId).toBe(enabled.identity?.principalId);
    expect(tagged.tags).toEqual({ env: "test" });
    const token = await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net`);
    expect(decodeJwt(token.body.access_token).payload.oid).toBe(enabled.identity!.principalId);
  });

  it("lists VMs by resource group and by subscription", async () => {
    const byGroup = [];
    for await (const vm of compute.virtualMachines.list("flow-rg")) byGroup.push(vm.name);
    expect(byGroup.sort()).toEqual(["vm1", "vm2"]);
    const all = [];
    for await (const vm of compute.virtualMachines.listAll()) all.push(vm.name);
    expect(all).toEqual(expect.arrayContaining(["vm1", "vm2"]));
  });

  it("deleting the VM deletes its principal, and its IMDS endpoint stops working", async () => {
    const endpoint = await emulator.imdsEndpoint("flow-rg", "vm1");
    const token = await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net`);
    await compute.virtualMachines.beginDeleteAndWait("flow-rg", "vm1");
    const after = await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net&bypass_cache=true`);
    expect(after.status).toBe(400);
    expect(after.body.error_description).toBe("Identity not found");
    expect((await imds(`${endpoint}/metadata/instance?api-version=2021-02-01`)).status).toBe(404);
    const e = emulator.endpoints;
    const refused = await fetch(`${e.login}/${e.tenantId}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: token.body.client_id, client_secret: "x", resource: "https://vault.azure.net" }),
    });
    expect((await refused.json()).error_codes).toEqual([700016]);
    const gone = await emulator.arm("GET", emulator.vmPath("flow-rg", "vm1"));
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe("ResourceNotFound");
  });

  it("deleting the resource group deletes its VMs and their identities", async () => {
    const endpoint = await emulator.imdsEndpoint("flow-rg", "vm2");
    await resources.resourceGroups.beginDeleteAndWait("flow-rg");
    const after = await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net&bypass_cache=true`);
    expect(after.body.error_description).toBe("Identity not found");
    const gone = await emulator.arm("GET", emulator.vmPath("flow-rg", "vm2"));
    expect(gone.body.error.code).toBe("ResourceGroupNotFound");
    expect(await resources.resourceGroups.checkExistence("flow-rg")).toEqual({ body: false });
  });
});
