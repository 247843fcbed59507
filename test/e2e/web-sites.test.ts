// Microsoft.Web in Resource Manager over REST, as az and the SDKs send it: App Service plans and
// sites (web and function apps) with managed identities exactly as VMs have them — the principal
// in the directory named after the site and gone with it, a user-assigned identity shared with a
// VM under the same PATCH merge rules and linked access — app settings, site config, publish
// profiles, the stack catalogs, listIdentityEndpoint's authorization, global site names, and the
// resource group cascade. (Tokens through the identity endpoint: app-service-identity.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestEmulator, decodeJwt, imds } from "../support/emulator.ts";

const emulator = new TestEmulator();
const WEB_API = "2023-01-01";
const RG = "web-rg";
const ROLES = { reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7", websiteContributor: "de139f84-1756-47ae-9be6-808fbbe84772" };

let sub: string;
let graphToken: string;
let caller: { token: string; oid: string };

const rgPath = (rg = RG) => `${sub}/resourceGroups/${rg}`;
const web = (type: string, name: string, suffix = "", rg = RG) => `${rgPath(rg)}/providers/Microsoft.Web/${type}/${name}${suffix}?api-version=${WEB_API}`;
const planId = (name: string, rg = RG) => `${rgPath(rg)}/providers/Microsoft.Web/serverfarms/${name}`;
const uamiId = (name: string, rg = RG) => `${rgPath(rg)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;

async function principal(id: string) {
  return emulator.graph("GET", `/v1.0/servicePrincipals/${id}`, undefined, graphToken);
}

async function grant(scope: string, role: string) {
  await emulator.grant(scope, role, caller.oid);
}

beforeAll(async () => {
  await emulator.start();
  sub = emulator.subscriptionPath;
  graphToken = (await emulator.adminCredential().getToken(`${emulator.endpoints.graph}/.default`))!.token;
  await emulator.createResourceGroup(RG);
  // The caller under test: a VM's managed identity, with only the roles the tests grant it.
  await emulator.createVm(RG, "caller-vm", { type: "SystemAssigned" });
  const endpoint = await emulator.imdsEndpoint(RG, "caller-vm");
  const t = await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`);
  caller = { token: t.body.access_token, oid: decodeJwt(t.body.access_token).payload.oid };
});
afterAll(() => emulator.dispose());

describe("App Service plans", () => {
  it("az appservice plan create's body: Azure's sku, kind and properties", async () => {
    const r = await emulator.arm("PUT", web("serverfarms", "linux-plan"), { location: "westus", sku: { name: "B1", tier: "BASIC" }, properties: { perSiteScaling: false, reserved: true } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: planId("linux-plan"),
      name: "linux-plan",
      type: "Microsoft.Web/serverfarms",
      kind: "linux",
      location: "westus",
      sku: { name: "B1", tier: "Basic", size: "B1", family: "B", capacity: 1 },
      properties: { status: "Ready", reserved: true, numberOfSites: 0, maximumNumberOfWorkers: 3, provisioningState: "Succeeded", isXenon: false },
    });
    const windows = await emulator.arm("PUT", web("serverfarms", "win-plan"), { location: "westus", sku: { name: "P1v3" } });
    expect(windows.body).toMatchObject({ kind: "app", sku: { name: "P1v3", tier: "PremiumV3", family: "Pv3" }, properties: { reserved: false } });
    const patched = await emulator.arm("PATCH", web("serverfarms", "win-plan"), { tags: { env: "test" } });
    expect([patched.status, patched.body.tags, patched.body.sku.name]).toEqual([200, { env: "test" }, "P1v3"]);
    const list = await emulator.arm("GET", `${rgPath()}/providers/Microsoft.Web/serverfarms?api-version=${WEB_API}`);
    expect(list.body.value.map((p: any) => p.name).sort()).toEqual(["linux-plan", "win-plan"]);
    const bySubscription = await emulator.arm("GET", `${sub}/providers/Microsoft.Web/serverfarms?api-version=${WEB_API}`);
    expect(bySubscription.body.value.map((p: any) => p.name)).toEqual(expect.arrayContaining(["linux-plan", "win-plan"]));
  });
});

describe("sites with a system-assigned identity", () => {
  let site: any;

  it("creates the principal in the directory, named after the site; kind and host names derived as Azure does", async () => {
    const r = await emulator.arm("PUT", web("sites", "web-one"), {
      location: "westus",
      identity: { type: "SystemAssigned" },
      properties: { serverFarmId: planId("linux-plan"), httpsOnly: true, siteConfig: { linuxFxVersion: "NODE|20-lts", appSettings: [{ name: "GREETING", value: "hello" }] } },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    site = r.body;
    expect(site).toMatchObject({
      id: `${rgPath()}/providers/Microsoft.Web/sites/web-one`,
      type: "Microsoft.Web/sites",
      kind: "app,linux",
      identity: { type: "SystemAssigned", tenantId: emulator.endpoints.tenantId },
      properties: {
        state: "Running",
        defaultHostName: "web-one.azurewebsites.net",
        hostNames: ["web-one.azurewebsites.net"],
        enabledHostNames: ["web-one.azurewebsites.net", "web-one.scm.azurewebsites.net"],
        usageState: "Normal",
        availabilityState: "Normal",
        httpsOnly: true,
        reserved: true,
        resourceGroup: RG,
        serverFarmId: planId("linux-plan"),
      },
    });
    expect(site.properties.outboundIpAddresses).toMatch(/^(\d+\.){3}\d+(,(\d+\.){3}\d+)*$/);
    expect(site.properties.siteConfig.linuxFxVersion).toBe("NODE|20-lts");
    expect(site.properties.siteConfig.appSettings).toBeNull();
    const sp = await principal(site.identity.principalId);
    expect(sp.status).toBe(200);
    expect(sp.body).toMatchObject({ displayName: "web-one", servicePrincipalType: "ManagedIdentity" });
    const plan = await emulator.arm("GET", web("serverfarms", "linux-plan"));
    expect(plan.body.properties.numberOfSites).toBe(1);
    const readout = await emulator.arm("GET", `${rgPath()}/providers/Microsoft.Web/sites/web-one/providers/Microsoft.ManagedIdentity/identities/default?api-version=2023-01-31`);
    expect(readout.body.properties.principalId).toBe(site.identity.principalId);
  });

  it("az webapp identity assign's GET-then-PUT keeps the identity, the settings and the config", async () => {
    const got = await emulator.arm("GET", web("sites", "web-one"));
    const put = await emulator.arm("PUT", web("sites", "web-one"), { ...got.body, identity: { ...got.body.identity, type: "SystemAssigned" } });
    expect(put.status).toBe(200);
    expect(put.body.identity.principalId).toBe(site.identity.principalId);
    const settings = await emulator.arm("POST", web("sites", "web-one", "/config/appsettings/list"));
    expect(settings.body.properties).toEqual({ GREETING: "hello" });
    expect((await emulator.arm("GET", web("sites", "web-one", "/config/web"))).body.properties.linuxFxVersion).toBe("NODE|20-lts");
  });

  it("app settings: list, replace the set, never in the site's GET", async () => {
    const list = await emulator.arm("POST", web("sites", "web-one", "/config/appsettings/list"));
    expect(list.body).toEqual({
      id: `${site.id}/config/appsettings`,
      name: "appsettings",
      type: "Microsoft.Web/sites/config",
      location: "westus",
      properties: { GREETING: "hello" },
    });
    const put = await emulator.arm("PUT", web("sites", "web-one", "/config/appsettings"), { properties: { A: "1", B: "2" } });
    expect([put.status, put.body.properties]).toEqual([200, { A: "1", B: "2" }]);
    expect((await emulator.arm("POST", web("sites", "web-one", "/config/appsettings/list"))).body.properties).toEqual({ A: "1", B: "2" });
    const doc = await emulator.arm("GET", web("sites", "web-one"));
    expect(JSON.stringify(doc.body)).not.toContain('"A":"1"');
    const names = await emulator.arm("GET", web("sites", "web-one", "/config/slotConfigNames"));
    expect(names.body.properties).toEqual({ connectionStringNames: null, appSettingNames: null, azureStorageConfigNames: null });
    const config = await emulator.arm("PATCH", web("sites", "web-one", "/config/web"), { properties: { alwaysOn: true } });
    expect(config.body.properties).toMatchObject({ alwaysOn: true, linuxFxVersion: "NODE|20-lts" });
    expect((await emulator.arm("GET", web("sites", "web-one"))).body.properties.siteConfig.alwaysOn).toBe(true);
  });

  it("publishxml answers the XML publish profiles az parses; publishing policies", async () => {
    const r = await fetch(`${emulator.endpoints.arm}${web("sites", "web-one", "/publishxml")}`, {
      method: "POST",
      headers: { authorization: `Bearer ${await emulator.adminToken()}`, "content-type": "application/json" },
      body: JSON.stringify({ format: "WebDeploy" }),
    });
    expect(r.status).toBe(200);
    const xml = await r.text();
    expect(xml.startsWith("<publishData><publishProfile ")).toBe(true);
    expect(xml).toContain('publishMethod="MSDeploy"');
    expect(xml).toMatch(/publishMethod="FTP" publishUrl="ftps:\/\/[^"]+"/);
    expect(xml).toContain('userName="$web-one"');
    const ftp = await emulator.arm("PUT", web("sites", "web-one", "/basicPublishingCredentialsPolicies/ftp"), { properties: { allow: false } });
    expect(ftp.body).toMatchObject({ name: "ftp", type: "Microsoft.Web/sites/basicPublishingCredentialsPolicies", properties: { allow: false } });
    expect((await emulator.arm("GET", web("sites", "web-one", "/basicPublishingCredentialsPolicies/scm"))).body.properties.allow).toBe(true);
  });

  it("listIdentityEndpoint: the App Service environment, stable, never in GET, and only for callers holding the action", async () => {
    const first = await emulator.arm("POST", web("sites", "web-one", "/listIdentityEndpoint"));
    expect(first.status).toBe(200);
    const { IDENTITY_ENDPOINT, IDENTITY_HEADER, MSI_ENDPOINT, MSI_SECRET } = first.body;
    expect(IDENTITY_ENDPOINT).toMatch(new RegExp(`^${emulator.endpoints.imds}/sites/[0-9a-f]{40}/msi/token$`));
    expect([MSI_ENDPOINT, MSI_SECRET]).toEqual([IDENTITY_ENDPOINT, IDENTITY_HEADER]);
    expect(IDENTITY_HEADER.length).toBeGreaterThanOrEqual(32);
    expect((await emulator.arm("POST", web("sites", "web-one", "/listIdentityEndpoint"))).body).toEqual(first.body);
    const key = IDENTITY_ENDPOINT.split("/sites/")[1].split("/")[0];
    for (const path of [web("sites", "web-one"), `${rgPath()}/providers/Microsoft.Web/sites?api-version=${WEB_API}`, web("sites", "web-one", "/config/web")]) {
      const text = JSON.stringify((await emulator.arm("GET", path)).body);
      expect(text).not.toContain(key);
      expect(text).not.toContain(IDENTITY_HEADER);
    }
    await grant(rgPath(), ROLES.reader);
    const denied = await emulator.arm("POST", web("sites", "web-one", "/listIdentityEndpoint"), undefined, caller.token);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe("AuthorizationFailed");
    expect(denied.body.error.message).toContain("'Microsoft.Web/sites/listIdentityEndpoint/action'");
    expect((await emulator.arm("GET", web("sites", "web-one"), undefined, caller.token)).status).toBe(200);
    const appSettings = await emulator.arm("POST", web("sites", "web-one", "/config/appsettings/list"), undefined, caller.token);
    expect(appSettings.status).toBe(403);
  });

  it("type None deletes the principal; a re-enabled identity is a new principal", async () => {
    const none = await emulator.arm("PATCH", web("sites", "web-one"), { identity: { type: "None" } });
    expect([none.status, none.body.identity]).toEqual([200, undefined]);
    expect((await principal(site.identity.principalId)).status).toBe(404);
    const again = await emulator.arm("PATCH", web("sites", "web-one"), { identity: { type: "SystemAssigned" } });
    expect(again.body.identity.principalId).not.toBe(site.identity.principalId);
    expect((await principal(again.body.identity.principalId)).status).toBe(200);
    site = again.body;
  });
});

describe("a user-assigned identity shared by a VM and a site", () => {
  let shared: { id: string; principalId: string; clientId: string };
  let other: { id: string; principalId: string; clientId: string };

  beforeAll(async () => {
    await emulator.createResourceGroup("ids-rg");
    const make = async (name: string) => {
      const r = await emulator.arm("PUT", `${uamiId(name, "ids-rg")}?api-version=2023-01-31`, { location: "westus" });
      expect(r.status).toBe(201);
      return { id: r.body.id as string, ...r.body.properties };
    };
    shared = await make("shared-id");
    other = await make("other-id");
    const vm = await emulator.arm("PATCH", emulator.vmPath(RG, "caller-vm"), { identity: { type: "SystemAssigned, UserAssigned", userAssignedIdentities: { [shared.id]: {} } } });
    expect(vm.status).toBe(200);
  });

  it("PUT attaches; PATCH merges as for VMs: {} adds, null removes, absent stays, the last removed drops UserAssigned", async () => {
    const put = await emulator.arm("PUT", web("sites", "web-ua"), {
      location: "westus",
      identity: { type: "UserAssigned", userAssignedIdentities: { [shared.id]: {} } },
      properties: { serverFarmId: planId("win-plan") },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.kind).toBe("app");
    expect(put.body.identity).toEqual({ type: "UserAssigned", userAssignedIdentities: { [shared.id]: { principalId: shared.principalId, clientId: shared.clientId } } });
    const added = await emulator.arm("PATCH", web("sites", "web-ua"), { identity: { type: "SystemAssigned,UserAssigned", userAssignedIdentities: { [other.id]: {} } } });
    expect(added.body.identity.type).toBe("SystemAssigned, UserAssigned");
    expect(Object.keys(added.body.identity.userAssignedIdentities).sort()).toEqual([other.id, shared.id].sort());
    const tagsOnly = await emulator.arm("PATCH", web("sites", "web-ua"), { tags: { t: "1" } });
    expect(Object.keys(tagsOnly.body.identity.userAssignedIdentities)).toHaveLength(2);
    const removed = await emulator.arm("PATCH", web("sites", "web-ua"), { identity: { type: "SystemAssigned,UserAssigned", userAssignedIdentities: { [other.id]: null } } });
    expect(Object.keys(removed.body.identity.userAssignedIdentities)).toEqual([shared.id]);
    const last = await emulator.arm("PATCH", web("sites", "web-ua"), { identity: { type: "SystemAssigned,UserAssigned", userAssignedIdentities: { [shared.id]: null } } });
    expect(last.body.identity.type).toBe("SystemAssigned");
    expect(last.body.identity.userAssignedIdentities).toBeUndefined();
    const back = await emulator.arm("PATCH", web("sites", "web-ua"), { identity: { type: "UserAssigned", userAssignedIdentities: { [shared.id]: {} } } });
    expect(back.body.identity.type).toBe("UserAssigned");
    // The VM still has it: detaching from the site never touched the VM.
    const vm = await emulator.arm("GET", emulator.vmPath(RG, "caller-vm"));
    expect(Object.keys(vm.body.identity.userAssignedIdentities)).toEqual([shared.id]);
  });

  it("a caller without assign/action on the identity gets LinkedAuthorizationFailed and nothing changes", async () => {
    await grant(rgPath(), ROLES.websiteContributor);
    const r = await emulator.arm("PATCH", web("sites", "web-ua"), { identity: { type: "UserAssigned", userAssignedIdentities: { [other.id]: {} } } }, caller.token);
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe("LinkedAuthorizationFailed");
    expect(r.body.error.message).toContain("'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action'");
    expect(r.body.error.message).toContain(other.id);
    const unchanged = await emulator.arm("GET", web("sites", "web-ua"));
    expect(Object.keys(unchanged.body.identity.userAssignedIdentities)).toEqual([shared.id]);
    // Website Contributor may change the site otherwise, and read its identity endpoint.
    const tags = await emulator.arm("PATCH", web("sites", "web-ua"), { tags: { by: "caller" } }, caller.token);
    expect(tags.status).toBe(200);
    expect((await emulator.arm("POST", web("sites", "web-ua", "/listIdentityEndpoint"), undefined, caller.token)).status).toBe(200);
    const ghost = await emulator.arm("PATCH", web("sites", "web-ua"), { identity: { type: "UserAssigned", userAssignedIdentities: { [uamiId("ghost", "ids-rg")]: {} } } });
    expect(ghost.body.error.code).toBe("LinkedAuthorizationFailed");
  });

  it("deleting the identity notifies the site and the VM: the references stay, the identity's principal is gone", async () => {
    const del = await emulator.arm("DELETE", `${shared.id}?api-version=2023-01-31`);
    expect(del.status).toBe(200);
    expect((await principal(shared.principalId)).status).toBe(404);
    const siteDoc = await emulator.arm("GET", web("sites", "web-ua"));
    expect(Object.keys(siteDoc.body.identity.userAssignedIdentities)).toEqual([shared.id]);
    const vm = await emulator.arm("GET", emulator.vmPath(RG, "caller-vm"));
    expect(Object.keys(vm.body.identity.userAssignedIdentities)).toEqual([shared.id]);
  });
});

describe("rules Azure applies", () => {
  it("site names are global across the emulator; checknameavailability agrees", async () => {
    await emulator.createResourceGroup("web-rg-2");
    const plan = await emulator.arm("PUT", web("serverfarms", "plan2", "", "web-rg-2"), { location: "westus", sku: { name: "S1" } });
    expect(plan.status).toBe(200);
    const taken = await emulator.arm("PUT", web("sites", "WEB-ONE", "", "web-rg-2"), { location: "westus", properties: { serverFarmId: planId("plan2", "web-rg-2") } });
    expect([taken.status, taken.body.error]).toEqual([409, { code: "Conflict", message: "Website with given name WEB-ONE already exists." }]);
    const check = (name: string) => emulator.arm("POST", `${sub}/providers/Microsoft.Web/checknameavailability?api-version=${WEB_API}`, { name, type: "Site" });
    expect((await check("web-one")).body).toMatchObject({ nameAvailable: false, reason: "AlreadyExists" });
    expect((await check("free-name-123")).body).toMatchObject({ nameAvailable: true });
    expect((await check("-bad-")).body).toMatchObject({ nameAvailable: false, reason: "Invalid" });
    const bad = await emulator.arm("PUT", web("sites", "a", "", "web-rg-2"), { location: "westus", properties: { serverFarmId: planId("plan2", "web-rg-2") } });
    expect([bad.status, bad.body.error.code]).toEqual([400, "InvalidResourceName"]);
  });

  it("the plan must exist; a plan with sites cannot be deleted; the last site's delete takes its plan (deleteEmptyServerFarm)", async () => {
    const missing = await emulator.arm("PUT", web("sites", "web-nofarm"), { location: "westus", properties: { serverFarmId: planId("nope") } });
    expect([missing.status, missing.body.error]).toEqual([404, { code: "NotFound", message: "Cannot find ServerFarm with name nope." }]);
    const noPlan = await emulator.arm("PUT", web("sites", "web-noplan"), { location: "westus", properties: {} });
    expect(noPlan.status).toBe(400);
    const del = await emulator.arm("DELETE", web("serverfarms", "win-plan"));
    expect(del.status).toBe(409);
    expect(del.body.error.message).toBe("Server farm 'win-plan' cannot be deleted because it has web app(s) web-ua assigned to it.");
    await emulator.arm("PUT", web("sites", "web-keep", "", "web-rg-2"), { location: "westus", properties: { serverFarmId: planId("plan2", "web-rg-2") } });
    const kept = await emulator.arm("DELETE", `${rgPath("web-rg-2")}/providers/Microsoft.Web/sites/web-keep?api-version=${WEB_API}&deleteEmptyServerFarm=false`);
    expect(kept.status).toBe(200);
    expect((await emulator.arm("GET", web("serverfarms", "plan2", "", "web-rg-2"))).status).toBe(200);
    await emulator.arm("PUT", web("sites", "web-gone", "", "web-rg-2"), { location: "westus", properties: { serverFarmId: planId("plan2", "web-rg-2") } });
    expect((await emulator.arm("DELETE", web("sites", "web-gone", "", "web-rg-2"))).status).toBe(200);
    expect((await emulator.arm("GET", web("serverfarms", "plan2", "", "web-rg-2"))).status).toBe(404);
    // The name is free again once its site is gone.
    expect((await emulator.arm("POST", `${sub}/providers/Microsoft.Web/checknameavailability?api-version=${WEB_API}`, { name: "web-gone", type: "Site" })).body.nameAvailable).toBe(true);
  });

  it("a consumption function app (no serverFarmId) gets the group's Dynamic plan, as az functionapp create relies on", async () => {
    const r = await emulator.arm("PUT", web("sites", "func-one"), {
      location: "westus",
      kind: "functionapp,linux",
      identity: { type: "SystemAssigned" },
      properties: { reserved: true, siteConfig: { linuxFxVersion: "Node|20", appSettings: [{ name: "FUNCTIONS_WORKER_RUNTIME", value: "node" }] } },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.kind).toBe("functionapp,linux");
    expect(r.body.properties.serverFarmId).toBe(planId("WestUSLinuxDynamicPlan"));
    const plan = await emulator.arm("GET", web("serverfarms", "WestUSLinuxDynamicPlan"));
    expect(plan.body).toMatchObject({ kind: "functionapp", sku: { name: "Y1", tier: "Dynamic" }, properties: { reserved: true, numberOfSites: 1 } });
  });
});

describe("catalogs", () => {
  it("webAppStacks and functionAppStacks, filtered by stackOsType as az asks", async () => {
    const linux = await emulator.arm("GET", `/providers/Microsoft.Web/webAppStacks?api-version=${WEB_API}&stackOsType=Linux`);
    expect(linux.status).toBe(200);
    const runtimes = linux.body.value.flatMap((s: any) => s.properties.majorVersions.flatMap((m: any) => m.minorVersions.map((v: any) => v.stackSettings.linuxRuntimeSettings?.runtimeVersion)));
    expect(runtimes).toEqual(expect.arrayContaining(["NODE|20-lts", "NODE|22-lts", "PYTHON|3.12", "PYTHON|3.11", "DOTNETCORE|8.0"]));
    expect(linux.body.value.every((s: any) => s.type === "Microsoft.Web/webAppStacks")).toBe(true);
    const functions = await emulator.arm("GET", `/providers/Microsoft.Web/functionAppStacks?api-version=${WEB_API}`);
    const node = functions.body.value.find((s: any) => s.name === "node");
    const settings = node.properties.majorVersions[0].minorVersions[0].stackSettings.linuxRuntimeSettings;
    expect(settings).toMatchObject({ supportedFunctionsExtensionVersions: ["~4"], appSettingsDictionary: { FUNCTIONS_WORKER_RUNTIME: "node" } });
    const regions = await emulator.arm("GET", `${sub}/providers/Microsoft.Web/geoRegions?api-version=${WEB_API}&sku=Dynamic`);
    expect(regions.body.value.map((r: any) => r.name)).toContain("West US");
  });
});

describe("the resource group cascade", () => {
  it("deleting the group deletes its sites and their principals, then the plans", async () => {
    await emulator.createResourceGroup("doomed-rg");
    await emulator.arm("PUT", web("serverfarms", "doomed-plan", "", "doomed-rg"), { location: "westus", sku: { name: "B1" } });
    const created = await emulator.arm("PUT", web("sites", "doomed-site", "", "doomed-rg"), {
      location: "westus",
      identity: { type: "SystemAssigned" },
      properties: { serverFarmId: planId("doomed-plan", "doomed-rg") },
    });
    expect(created.status).toBe(200);
    const principalId = created.body.identity.principalId;
    const del = await emulator.arm("DELETE", `${rgPath("doomed-rg")}?api-version=2024-11-01`);
    expect([200, 202]).toContain(del.status);
    expect((await principal(principalId)).status).toBe(404);
    expect((await emulator.arm("GET", `${rgPath("doomed-rg")}?api-version=2024-11-01`)).status).toBe(404);
    const name = await emulator.arm("POST", `${sub}/providers/Microsoft.Web/checknameavailability?api-version=${WEB_API}`, { name: "doomed-site", type: "Site" });
    expect(name.body.nameAvailable).toBe(true);
  });
});

describe("templates", () => {
  it("a deployment creates a plan and a site; reference(…, 'Full').identity.principalId is the site's principal", async () => {
    const template = {
      $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
      contentVersion: "1.0.0.0",
      variables: { siteName: "web-templated", planName: "templated-plan" },
      resources: [
        { type: "Microsoft.Web/serverfarms", apiVersion: "2022-09-01", name: "[variables('planName')]", location: "westus", sku: { name: "B1" }, kind: "linux", properties: { reserved: true } },
        {
          type: "Microsoft.Web/sites",
          apiVersion: "2023-01-01",
          name: "[variables('siteName')]",
          location: "westus",
          identity: { type: "SystemAssigned" },
          dependsOn: ["[resourceId('Microsoft.Web/serverfarms', variables('planName'))]"],
          properties: { serverFarmId: "[resourceId('Microsoft.Web/serverfarms', variables('planName'))]", siteConfig: { linuxFxVersion: "PYTHON|3.12" } },
        },
      ],
      outputs: {
        principalId: { type: "string", value: "[reference(resourceId('Microsoft.Web/sites', variables('siteName')), '2023-01-01', 'Full').identity.principalId]" },
        hostName: { type: "string", value: "[reference(resourceId('Microsoft.Web/sites', variables('siteName'))).defaultHostName]" },
      },
    };
    const r = await emulator.arm("PUT", `${rgPath()}/providers/Microsoft.Resources/deployments/web-dep?api-version=2024-11-01`, { properties: { mode: "Incremental", template } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.properties.provisioningState, JSON.stringify(r.body.properties.error)).toBe("Succeeded");
    const site = await emulator.arm("GET", web("sites", "web-templated"));
    expect(r.body.properties.outputs.principalId).toEqual({ type: "String", value: site.body.identity.principalId });
    expect(r.body.properties.outputs.hostName.value).toBe("web-templated.azurewebsites.net");
    expect((await principal(site.body.identity.principalId)).body.displayName).toBe("web-templated");
  });
});

describe("a site's cross-worker steps failing converge like a VM's (failpoints)", () => {
  const faulty = new TestEmulator({ testFailpoints: true });
  let token: string;
  const path = (type: string, name: string, suffix = "") => `${faulty.subscriptionPath}/resourceGroups/fail-rg/providers/Microsoft.Web/${type}/${name}${suffix}?api-version=${WEB_API}`;
  const failNext = async (step: string) => expect((await faulty.arm("PUT", "/emulator/test-failpoints", { [step]: 1 })).status).toBe(204);
  const principals = async (displayName: string) => {
    const r = await faulty.graph("GET", `/v1.0/servicePrincipals?$filter=displayName eq '${displayName}'`, undefined, token);
    return r.body.value.filter((p: any) => p.servicePrincipalType === "ManagedIdentity");
  };
  const eventually = async (check: () => Promise<boolean>, what: string) => {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`never converged: ${what}`);
  };
  const nameFree = async (name: string) =>
    (await faulty.arm("POST", `${faulty.subscriptionPath}/providers/Microsoft.Web/checknameavailability?api-version=${WEB_API}`, { name, type: "Site" })).body.nameAvailable === true;

  beforeAll(async () => {
    await faulty.start();
    token = (await faulty.adminCredential().getToken(`${faulty.endpoints.graph}/.default`))!.token;
    await faulty.createResourceGroup("fail-rg");
    expect((await faulty.arm("PUT", path("serverfarms", "fail-plan"), { location: "westus", sku: { name: "B1" } })).status).toBe(200);
  });
  afterAll(() => faulty.dispose());

  for (const step of ["aad.createPrincipal", "imds.configureSite", "arm.beforeCommit"]) {
    it(`create failing at ${step}: 500, then no site, no principal, the name free again; a retry succeeds`, async () => {
      const name = `site-${step.replace(/\./g, "-").toLowerCase()}`;
      const body = { location: "westus", identity: { type: "SystemAssigned" }, properties: { serverFarmId: `${faulty.subscriptionPath}/resourceGroups/fail-rg/providers/Microsoft.Web/serverfarms/fail-plan` } };
      await failNext(step);
      const r = await faulty.arm("PUT", path("sites", name), body);
      expect(r.status).toBe(500);
      await eventually(async () => (await principals(name)).length === 0 && (await nameFree(name)), `${name} cleaned up`);
      expect((await faulty.arm("GET", path("sites", name))).status).toBe(404);
      const retry = await faulty.arm("PUT", path("sites", name), body);
      expect(retry.status, JSON.stringify(retry.body)).toBe(200);
      expect((await principals(name)).map((p: any) => p.id)).toEqual([retry.body.identity.principalId]);
    });
  }

  it("delete failing at imds.clearSite: marked Deleting, then finished by the alarm without another request", async () => {
    const created = await faulty.arm("PUT", path("sites", "site-delete"), {
      location: "westus",
      identity: { type: "SystemAssigned" },
      properties: { serverFarmId: `${faulty.subscriptionPath}/resourceGroups/fail-rg/providers/Microsoft.Web/serverfarms/fail-plan` },
    });
    expect(created.status).toBe(200);
    await failNext("imds.clearSite");
    const r = await faulty.arm("DELETE", `${path("sites", "site-delete")}&deleteEmptyServerFarm=false`);
    expect(r.status).toBe(500);
    await eventually(async () => (await faulty.arm("GET", path("sites", "site-delete"))).status === 404, "site deleted by the alarm");
    expect(await principals("site-delete")).toEqual([]);
    expect(await nameFree("site-delete")).toBe(true);
  });
});
