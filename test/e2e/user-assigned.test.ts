// User-assigned identities: their own lifecycle, shared across VMs, chosen at IMDS; the PATCH
// merge rules of the VM's identity map; cascades; races; federated credentials and the exchange.
import { ManagedServiceIdentityClient } from "@azure/arm-msi";
import { ClientAssertionCredential } from "@azure/identity";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestEmulator, decodeJwt, imds } from "../support/emulator.ts";
import { tokenFromVm } from "../support/vm-process.ts";

const emulator = TestEmulator.shared();
let msi: ManagedServiceIdentityClient;
const MSI_API = "2024-11-30";

beforeAll(async () => {
  await emulator.start();
  msi = new ManagedServiceIdentityClient(emulator.adminCredential(), emulator.endpoints.subscriptionId, {
    endpoint: emulator.endpoints.arm,
    credentialScopes: ["https://management.azure.com/.default"],
  });
  await emulator.createResourceGroup("ua-rg");
});
afterAll(() => emulator.dispose());

const uamiPath = (name: string, rg = "ua-rg") =>
  `${emulator.subscriptionPath}/resourceGroups/${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
const tokenUrl = (endpoint: string, query = "") =>
  `${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net${query}`;

async function patchVm(vm: string, identity: unknown, rg = "ua-rg") {
  return emulator.arm("PATCH", emulator.vmPath(rg, vm), { identity });
}

async function directoryKnows(clientId: string): Promise<boolean> {
  const e = emulator.endpoints;
  const r = await fetch(`${e.login}/${e.tenantId}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: "x", resource: "https://vault.azure.net" }),
  });
  const codes = (await r.json()).error_codes;
  return !codes.includes(700016);
}

describe("user-assigned identity resource", () => {
  it("creates with Azure's shape through @azure/arm-msi; ids stay stable across updates; the principal exists", async () => {
    const created = await msi.userAssignedIdentities.createOrUpdate("ua-rg", "shared-id", { location: "westus", tags: { a: "1" } });
    expect(created.id).toBe(`/subscriptions/${emulator.endpoints.subscriptionId}/resourcegroups/ua-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/shared-id`);
    expect(created).toMatchObject({ name: "shared-id", type: "Microsoft.ManagedIdentity/userAssignedIdentities", location: "westus", tags: { a: "1" }, tenantId: emulator.endpoints.tenantId });
    expect(created.principalId).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.clientId).toMatch(/^[0-9a-f-]{36}$/);
    const again = await msi.userAssignedIdentities.createOrUpdate("ua-rg", "shared-id", { location: "westus", tags: { b: "2" } });
    expect([again.principalId, again.clientId]).toEqual([created.principalId, created.clientId]);
    const patched = await msi.userAssignedIdentities.update("ua-rg", "shared-id", { tags: { c: "3" } });
    expect(patched.tags).toEqual({ c: "3" });
    expect(patched.principalId).toBe(created.principalId);
    expect(await directoryKnows(created.clientId!)).toBe(true);
    const raw = await emulator.arm("PUT", `${uamiPath("second-id")}?api-version=${MSI_API}`, { location: "westus" });
    expect(raw.status).toBe(201);
    expect(raw.body.properties).toMatchObject({ isolationScope: "None", tenantId: emulator.endpoints.tenantId });
    const byGroup = [];
    for await (const i of msi.userAssignedIdentities.listByResourceGroup("ua-rg")) byGroup.push(i.name);
    expect(byGroup.sort()).toEqual(["second-id", "shared-id"]);
    const bySub = [];
    for await (const i of msi.userAssignedIdentities.listBySubscription()) bySub.push(i.name);
    expect(bySub).toEqual(expect.arrayContaining(["second-id", "shared-id"]));
  });

  it("refuses bad names and unknown api-versions", async () => {
    const bad = await emulator.arm("PUT", `${uamiPath("x")}?api-version=${MSI_API}`, { location: "westus" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("InvalidResourceName");
    const version = await emulator.arm("GET", `${uamiPath("shared-id")}?api-version=2099-01-01`);
    expect(version.body.error.code).toBe("NoRegisteredProviderFound");
    const missing = await emulator.arm("GET", `${uamiPath("nope")}?api-version=${MSI_API}`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("ResourceNotFound");
  });
});

describe("attached to VMs", () => {
  let shared: { id: string; clientId: string; principalId: string };
  let second: { id: string; clientId: string; principalId: string };
  let endpointA: string;
  let endpointB: string;

  beforeAll(async () => {
    const get = async (n: string) => (await emulator.arm("GET", `${uamiPath(n)}?api-version=${MSI_API}`)).body;
    const s = await get("shared-id");
    const t = await get("second-id");
    shared = { id: s.id, ...s.properties };
    second = { id: t.id, ...t.properties };
    const body = (extra: unknown) => ({ location: "westus", identity: extra });
    const a = await emulator.arm("PUT", emulator.vmPath("ua-rg", "vm-a"), body({ type: "UserAssigned", userAssignedIdentities: { [shared.id]: {} } }));
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    expect(a.body.identity).toEqual({ type: "UserAssigned", userAssignedIdentities: { [shared.id]: { principalId: shared.principalId, clientId: shared.clientId } } });
    // The CLI's spelling, without the space, and an id in other casing.
    const b = await emulator.arm("PUT", emulator.vmPath("ua-rg", "vm-b"), body({ type: "SystemAssigned,UserAssigned", userAssignedIdentities: { [shared.id.toUpperCase().replace("/SUBSCRIPTIONS", "/subscriptions")]: {} } }));
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    expect(b.body.identity.type).toBe("SystemAssigned, UserAssigned");
    endpointA = await emulator.imdsEndpoint("ua-rg", "vm-a");
    endpointB = await emulator.imdsEndpoint("ua-rg", "vm-b");
  });

  it("one identity serves two VMs: same principal, xms_mirid = identity, xms_az_rid = the VM asking", async () => {
    const a = await imds(tokenUrl(endpointA));
    expect(a.status).toBe(200);
    const pa = decodeJwt(a.body.access_token).payload;
    expect(pa).toMatchObject({ oid: shared.principalId, appid: shared.clientId, xms_mirid: shared.id });
    expect(pa.xms_az_rid).toMatch(/virtualMachines\/vm-a$/);
    const b = await imds(tokenUrl(endpointB, `&client_id=${shared.clientId}`));
    const pb = decodeJwt(b.body.access_token).payload;
    expect(pb.oid).toBe(shared.principalId);
    expect(pb.xms_az_rid).toMatch(/virtualMachines\/vm-b$/);
  });

  it("selects by client_id, object_id, msi_res_id and mi_res_id; system-assigned when no selector", async () => {
    const vmB = (await emulator.arm("GET", emulator.vmPath("ua-rg", "vm-b"))).body;
    const none = decodeJwt((await imds(tokenUrl(endpointB))).body.access_token).payload;
    expect(none.oid).toBe(vmB.identity.principalId);
    expect(none.xms_mirid).toBe(vmB.id);
    for (const query of [`&client_id=${shared.clientId}`, `&object_id=${shared.principalId}`, `&msi_res_id=${encodeURIComponent(shared.id)}`, `&mi_res_id=${shared.id}`]) {
      const r = await imds(tokenUrl(endpointB, query));
      expect(r.status, query).toBe(200);
      expect(decodeJwt(r.body.access_token).payload.oid).toBe(shared.principalId);
    }
    const unknown = await imds(tokenUrl(endpointB, `&client_id=${second.clientId}`));
    expect(unknown.body).toEqual({ error: "invalid_request", error_description: "Identity not found" });
  });

  it("several user-assigned identities and no selector: 400 Multiple user assigned identities exist", async () => {
    const r = await patchVm("vm-a", { type: "UserAssigned", userAssignedIdentities: { [second.id]: {} } });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body.identity.userAssignedIdentities).sort()).toEqual([second.id, shared.id].sort());
    const t = await imds(tokenUrl(endpointA));
    expect(t.status).toBe(400);
    expect(t.body).toEqual({
      error: "invalid_request",
      error_description: "Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request",
    });
    expect(JSON.stringify(t.body).length).toBe(168);
  });

  it("DefaultAzureCredential with AZURE_CLIENT_ID gets that identity's token; ManagedIdentityCredential(clientId) too", async () => {
    const dac = await tokenFromVm(endpointA, "default-azure-credential", "https://vault.azure.net/.default", { env: { AZURE_CLIENT_ID: second.clientId } });
    expect(dac.error).toBeUndefined();
    expect(decodeJwt(dac.token!).payload.oid).toBe(second.principalId);
    const mi = await tokenFromVm(endpointA, "managed-identity-credential", "https://vault.azure.net/.default", { clientId: shared.clientId });
    expect(decodeJwt(mi.token!).payload.oid).toBe(shared.principalId);
    const msal = await tokenFromVm(endpointA, "msal-node", "https://vault.azure.net/.default", { clientId: second.clientId });
    expect(decodeJwt(msal.token!).payload.oid).toBe(second.principalId);
  });

  it("PATCH merges: null removes, absent stays, removing the last changes the type; a type without UserAssigned drops all", async () => {
    const removed = await patchVm("vm-a", { type: "UserAssigned", userAssignedIdentities: { [second.id]: null } });
    expect(Object.keys(removed.body.identity.userAssignedIdentities)).toEqual([shared.id]);
    expect((await imds(tokenUrl(endpointA, `&client_id=${second.clientId}`))).body.error_description).toBe("Identity not found");
    const tagsOnly = await emulator.arm("PATCH", emulator.vmPath("ua-rg", "vm-a"), { tags: { t: "1" } });
    expect(Object.keys(tagsOnly.body.identity.userAssignedIdentities)).toEqual([shared.id]);
    const last = await patchVm("vm-a", { type: "UserAssigned", userAssignedIdentities: { [shared.id]: null } });
    expect(last.body.identity).toBeUndefined();
    expect((await imds(tokenUrl(endpointA))).body.error_description).toBe("Identity not found");
    await patchVm("vm-a", { type: "UserAssigned", userAssignedIdentities: { [shared.id]: {}, [second.id]: {} } });
    const systemOnly = await patchVm("vm-a", { type: "SystemAssigned" });
    expect(systemOnly.body.identity.type).toBe("SystemAssigned");
    expect(systemOnly.body.identity.userAssignedIdentities).toBeUndefined();
    const none = await patchVm("vm-a", { type: "None", userAssignedIdentities: null });
    expect(none.body.identity).toBeUndefined();
    // Detaching from vm-a never touched vm-b.
    expect((await imds(tokenUrl(endpointB, `&client_id=${shared.clientId}`))).status).toBe(200);
  });

  it("attaching an identity that does not exist is refused with LinkedAuthorizationFailed and changes nothing", async () => {
    const ghost = uamiPath("ghost-id").replace("/resourceGroups/", "/resourcegroups/");
    const r = await patchVm("vm-b", { type: "SystemAssigned, UserAssigned", userAssignedIdentities: { [ghost]: {} } });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe("LinkedAuthorizationFailed");
    expect(r.body.error.message).toBe(
      `The client '${emulator.endpoints.admin.clientId}' with object id '${emulator.endpoints.admin.objectId}' has permission to perform action 'Microsoft.Compute/virtualMachines/write' on scope '${emulator.subscriptionPath}/resourceGroups/ua-rg/providers/Microsoft.Compute/virtualMachines/vm-b'; however, it does not have permission to perform action 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action' on the linked scope(s) '${ghost}' or the linked scope(s) are invalid.`,
    );
    const vm = (await emulator.arm("GET", emulator.vmPath("ua-rg", "vm-b"))).body;
    expect(Object.keys(vm.identity.userAssignedIdentities)).toHaveLength(1);
  });

  it("refuses a userAssignedIdentities map with a type that has no UserAssigned, and malformed ids", async () => {
    const r = await patchVm("vm-b", { type: "SystemAssigned", userAssignedIdentities: { [shared.id]: {} } });
    expect(r.status).toBe(400);
    const bad = await patchVm("vm-b", { type: "UserAssigned", userAssignedIdentities: { "/not/an/identity": {} } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("InvalidUserAssignedIdentityId");
  });

  it("deleting a VM never deletes the identity; deleting the identity keeps the reference but ends its tokens", async () => {
    await emulator.arm("PUT", emulator.vmPath("ua-rg", "vm-c"), { location: "westus", identity: { type: "UserAssigned", userAssignedIdentities: { [second.id]: {} } } });
    await emulator.arm("DELETE", emulator.vmPath("ua-rg", "vm-c"));
    expect((await emulator.arm("GET", `${uamiPath("second-id")}?api-version=${MSI_API}`)).status).toBe(200);

    await patchVm("vm-b", { type: "SystemAssigned, UserAssigned", userAssignedIdentities: { [second.id]: {} } });
    expect((await imds(tokenUrl(endpointB, `&client_id=${second.clientId}`))).status).toBe(200);
    await msi.userAssignedIdentities.delete("ua-rg", "second-id");
    expect(await directoryKnows(second.clientId)).toBe(false);
    const vm = (await emulator.arm("GET", emulator.vmPath("ua-rg", "vm-b"))).body;
    expect(Object.keys(vm.identity.userAssignedIdentities).map((k) => k.toLowerCase())).toContain(second.id.toLowerCase());
    const t = await imds(tokenUrl(endpointB, `&client_id=${second.clientId}&bypass_cache=true`));
    expect(t.body).toEqual({ error: "invalid_request", error_description: "Identity not found" });
    // Re-sending the stale reference is refused, as Azure does.
    const stale = await patchVm("vm-b", { type: "SystemAssigned, UserAssigned", userAssignedIdentities: { [second.id]: {} } });
    expect(stale.body.error.code).toBe("LinkedAuthorizationFailed");
  });
});

describe("concurrency", () => {
  it("two concurrent attaches to one VM both land, and IMDS serves both", async () => {
    for (const n of ["race-1", "race-2"]) await emulator.arm("PUT", `${uamiPath(n)}?api-version=${MSI_API}`, { location: "westus" });
    await emulator.createVm("ua-rg", "race-vm");
    const ids = await Promise.all(["race-1", "race-2"].map(async (n) => (await emulator.arm("GET", `${uamiPath(n)}?api-version=${MSI_API}`)).body));
    const results = await Promise.all(ids.map((i) => patchVm("race-vm", { type: "UserAssigned", userAssignedIdentities: { [i.id]: {} } })));
    for (const r of results) expect(r.status).toBe(200);
    const vm = (await emulator.arm("GET", emulator.vmPath("ua-rg", "race-vm"))).body;
    expect(Object.keys(vm.identity.userAssignedIdentities)).toHaveLength(2);
    const endpoint = await emulator.imdsEndpoint("ua-rg", "race-vm");
    for (const i of ids) expect((await imds(tokenUrl(endpoint, `&client_id=${i.properties.clientId}`))).status).toBe(200);
  });

  it("an identity deleted while being attached leaves no credential behind in IMDS", async () => {
    await emulator.arm("PUT", `${uamiPath("doomed")}?api-version=${MSI_API}`, { location: "westus" });
    const doomed = (await emulator.arm("GET", `${uamiPath("doomed")}?api-version=${MSI_API}`)).body;
    await emulator.createVm("ua-rg", "doomed-vm");
    const [attach] = await Promise.all([
      patchVm("doomed-vm", { type: "UserAssigned", userAssignedIdentities: { [doomed.id]: {} } }),
      emulator.arm("DELETE", `${uamiPath("doomed")}?api-version=${MSI_API}`),
    ]);
    expect([200, 400, 403]).toContain(attach.status);
    const endpoint = await emulator.imdsEndpoint("ua-rg", "doomed-vm");
    const t = await imds(tokenUrl(endpoint, `&client_id=${doomed.properties.clientId}&bypass_cache=true`));
    expect(t.status).toBe(400);
    expect(t.body.error_description).toBe("Identity not found");
  });
});

describe("system-assigned identity read-out", () => {
  it("GET {vm}/providers/Microsoft.ManagedIdentity/identities/default", async () => {
    const vm = (await emulator.arm("GET", emulator.vmPath("ua-rg", "vm-b"))).body;
    const r = await emulator.arm("GET", `${vm.id}/providers/Microsoft.ManagedIdentity/identities/default?api-version=${MSI_API}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: "default", properties: { principalId: vm.identity.principalId, tenantId: emulator.endpoints.tenantId } });
    expect(r.body.properties.clientId).toMatch(/^[0-9a-f-]{36}$/);
    const none = await emulator.arm("GET", `${emulator.subscriptionPath}/resourceGroups/ua-rg/providers/Microsoft.Compute/virtualMachines/race-vm/providers/Microsoft.ManagedIdentity/identities/default?api-version=${MSI_API}`);
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe("ResourceNotFound");
  });
});

describe("federated identity credentials", () => {
  let issuer: Server;
  let issuerUrl: string;
  let sign: (claims: Record<string, unknown>) => Promise<string>;
  let identity: { id: string; properties: { clientId: string; principalId: string } };
  const ficPath = (name: string) => `${uamiPath("workload-id")}/federatedIdentityCredentials/${name}?api-version=${MSI_API}`;

  beforeAll(async () => {
    // A small OIDC issuer of our own on loopback, as a Kubernetes cluster or CI system would be.
    const { publicKey, privateKey } = await generateKeyPair("RS256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "issuer-key-1", use: "sig", alg: "RS256" };
    issuer = createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.url === "/.well-known/openid-configuration") res.end(JSON.stringify({ issuer: issuerUrl, jwks_uri: `${issuerUrl}/keys` }));
      else if (req.url === "/keys") res.end(JSON.stringify({ keys: [jwk] }));
      else res.writeHead(404).end("{}");
    });
    await new Promise<void>((r) => issuer.listen(0, "127.0.0.1", r));
    issuerUrl = `http://127.0.0.1:${(issuer.address() as { port: number }).port}`;
    sign = (claims) =>
      new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: "issuer-key-1" }).setIssuedAt().setExpirationTime("10m").sign(privateKey);
    await emulator.arm("PUT", `${uamiPath("workload-id")}?api-version=${MSI_API}`, { location: "westus" });
    identity = (await emulator.arm("GET", `${uamiPath("workload-id")}?api-version=${MSI_API}`)).body;
  });
  afterAll(() => new Promise<void>((r) => issuer.close(() => r())));

  it("PUT/GET/list/DELETE with Azure's shape and validation", async () => {
    const body = { properties: { issuer: issuerUrl, subject: "system:serviceaccount:ns:app", audiences: ["api://AzureADTokenExchange"] } };
    const created = await emulator.arm("PUT", ficPath("k8s-app"), body);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: `${identity.id}/federatedIdentityCredentials/k8s-app`,
      name: "k8s-app",
      type: "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
      properties: body.properties,
    });
    expect((await emulator.arm("PUT", ficPath("k8s-app"), body)).status).toBe(200);
    expect((await emulator.arm("GET", ficPath("k8s-app"))).body.name).toBe("k8s-app");
    const list = await emulator.arm("GET", `${uamiPath("workload-id")}/federatedIdentityCredentials?api-version=${MSI_API}`);
    expect(list.body.value.map((f: { name: string }) => f.name)).toEqual(["k8s-app"]);

    const invalid = [
      { properties: { issuer: "http://example.com", subject: "s", audiences: ["a"] } },
      { properties: { issuer: issuerUrl, subject: "", audiences: ["a"] } },
      { properties: { issuer: issuerUrl, subject: "s", audiences: [] } },
      { properties: { issuer: issuerUrl, subject: "s", audiences: ["a", "b"] } },
      { properties: { issuer: ` ${issuerUrl}`, subject: "s", audiences: ["a"] } },
    ];
    for (const b of invalid) expect((await emulator.arm("PUT", ficPath("bad"), b)).status, JSON.stringify(b)).toBe(400);
    expect((await emulator.arm("PUT", ficPath("x"), body)).body.error.code).toBe("InvalidResourceName");
    const clash = await emulator.arm("PUT", ficPath("same-subject"), body);
    expect(clash.status).toBe(409);
  });

  it("allows at most 20 per identity", async () => {
    for (let i = 1; i < 20; i++) {
      const r = await emulator.arm("PUT", ficPath(`fic-${i}`), { properties: { issuer: issuerUrl, subject: `subject-${i}`, audiences: ["api://AzureADTokenExchange"] } });
      expect(r.status).toBe(201);
    }
    const over = await emulator.arm("PUT", ficPath("fic-20"), { properties: { issuer: issuerUrl, subject: "subject-20", audiences: ["api://AzureADTokenExchange"] } });
    expect(over.status).toBe(400);
    for (let i = 1; i < 20; i++) expect((await emulator.arm("DELETE", ficPath(`fic-${i}`))).status).toBe(200);
    expect((await emulator.arm("DELETE", ficPath("fic-1"))).status).toBe(204);
  });

  it("exchanges a token of the trusted issuer for the identity's token (ClientAssertionCredential), and refuses others", async () => {
    const e = emulator.endpoints;
    const credential = (assertion: () => Promise<string>) =>
      new ClientAssertionCredential(e.tenantId, identity.properties.clientId, assertion, { authorityHost: e.login, disableInstanceDiscovery: true });
    const good = await credential(() => sign({ iss: issuerUrl, sub: "system:serviceaccount:ns:app", aud: "api://AzureADTokenExchange" })).getToken("https://vault.azure.net/.default");
    expect(decodeJwt(good.token).payload).toMatchObject({ oid: identity.properties.principalId, xms_mirid: identity.id, appidacr: "2" });

    const wrongSubject = credential(() => sign({ iss: issuerUrl, sub: "system:serviceaccount:ns:other", aud: "api://AzureADTokenExchange" }));
    await expect(wrongSubject.getToken("https://vault.azure.net/.default")).rejects.toThrow(/AADSTS70021/);

    const { privateKey: foreign } = await generateKeyPair("RS256");
    const forged = credential(() =>
      new SignJWT({ iss: issuerUrl, sub: "system:serviceaccount:ns:app", aud: "api://AzureADTokenExchange" })
        .setProtectedHeader({ alg: "RS256", kid: "issuer-key-1" })
        .setIssuedAt()
        .setExpirationTime("10m")
        .sign(foreign),
    );
    await expect(forged.getToken("https://vault.azure.net/.default")).rejects.toThrow(/AADSTS700027/);

    const untrusted = credential(() => sign({ iss: "https://other-issuer.example.com", sub: "system:serviceaccount:ns:app", aud: "api://AzureADTokenExchange" }));
    await expect(untrusted.getToken("https://vault.azure.net/.default")).rejects.toThrow(/AADSTS700211/);
  });
});

describe("cascade", () => {
  it("deleting the resource group deletes its identities and their principals", async () => {
    await emulator.createResourceGroup("cascade-rg");
    const r = await emulator.arm("PUT", `${uamiPath("cascade-id", "cascade-rg")}?api-version=${MSI_API}`, { location: "westus" });
    await emulator.arm("PUT", emulator.vmPath("cascade-rg", "cascade-vm"), { location: "westus", identity: { type: "UserAssigned", userAssignedIdentities: { [r.body.id]: {} } } });
    await emulator.arm("DELETE", emulator.rgPath("cascade-rg"));
    expect(await directoryKnows(r.body.properties.clientId)).toBe(false);
    expect((await emulator.arm("GET", `${uamiPath("cascade-id", "cascade-rg")}?api-version=${MSI_API}`)).body.error.code).toBe("ResourceGroupNotFound");
  });
});
