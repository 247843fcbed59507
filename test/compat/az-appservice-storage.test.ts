// The real Azure CLI (Debian 13's unmodified azure-cli 2.74) with App Service and Storage, set up
// as the README's walkthrough says (cloud register, login, one hosts-file line per storage
// account). Every check looks at results: the identity az assigned is the one the site's identity
// endpoint issues tokens for; a blob az uploaded with --auth-mode login reads back with
// --auth-mode key and with the SDK; a function app's storage connection string names the account.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { decodeJwt, TestEmulator } from "../support/emulator.ts";
import { ChrootSession } from "./az-root.ts";

const RG = "azweb-rg";
const ACCOUNT = "azstore1";
const FUNC_ACCOUNT = "azfuncstore1";

let emulator: TestEmulator;
let az: ChrootSession;
let subscriptionId: string;

beforeAll(async () => {
  emulator = await new TestEmulator().start();
  subscriptionId = emulator.endpoints.subscriptionId;
  az = new ChrootSession("azweb", emulator.endpoints.caCertificate);
  // The README's hosts-file line for each account az reaches by name ({account}.blob.{suffix}).
  az.addHosts([`${ACCOUNT}.blob.localhost`, `${FUNC_ACCOUNT}.blob.localhost`]);
  const e = emulator.endpoints;
  await az.az(["cloud", "register", "-n", "Emulator", "--endpoint-resource-manager", `${e.arm}/`]);
  await az.az(["cloud", "set", "-n", "Emulator"]);
  await az.az(["login", "--service-principal", "-u", e.admin.clientId, "-p", e.admin.clientSecret, "--tenant", e.tenantId]);
  await az.az(["group", "create", "-n", RG, "-l", "westus"]);
});

afterAll(async () => {
  az?.dispose();
  await emulator?.dispose();
});

describe("storage accounts and blobs", () => {
  test("the cloud names the storage suffix; az storage account create | show | keys list", async () => {
    const cloud = await az.az(["cloud", "show", "-n", "Emulator"]);
    expect(cloud.suffixes.storageEndpoint).toBe(`localhost:${new URL(emulator.endpoints.storage!).port}`);
    const account = await az.az(["storage", "account", "create", "-g", RG, "-n", ACCOUNT, "-l", "westus"]);
    expect(account).toMatchObject({ name: ACCOUNT, kind: "StorageV2", sku: { name: "Standard_RAGRS" }, provisioningState: "Succeeded" });
    expect(account.primaryEndpoints.blob).toBe(`${emulator.endpoints.storage}/${ACCOUNT}/`);
    const keys = await az.az(["storage", "account", "keys", "list", "-g", RG, "-n", ACCOUNT]);
    expect(keys.map((k: any) => k.keyName)).toEqual(["key1", "key2"]);
    const taken = await az.azRaw(["storage", "account", "check-name", "-n", ACCOUNT]);
    expect(JSON.parse(taken.stdout)).toMatchObject({ nameAvailable: false, reason: "AlreadyExists" });
  });

  test("--auth-mode login: refused without a data role, then container create, blob upload | list | download", async () => {
    const scope = `/subscriptions/${subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Storage/storageAccounts/${ACCOUNT}`;
    // Owner of the subscription can create containers (an action) but not write blobs (a data action).
    await az.az(["storage", "container", "create", "-n", "docs", "--account-name", ACCOUNT, "--auth-mode", "login"]);
    const file = az.writeFile("hello.txt", "hello from az\n");
    const denied = await az.azRaw(["storage", "blob", "upload", "--account-name", ACCOUNT, "-c", "docs", "-n", "hello.txt", "-f", file, "--auth-mode", "login"]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/AuthorizationPermissionMismatch|required permissions/);

    await az.az(["role", "assignment", "create", "--assignee", emulator.endpoints.admin.clientId, "--role", "Storage Blob Data Contributor", "--scope", scope]);
    await az.az(["storage", "blob", "upload", "--account-name", ACCOUNT, "-c", "docs", "-n", "dir/hello.txt", "-f", file, "--auth-mode", "login"]);
    const listed = await az.az(["storage", "blob", "list", "--account-name", ACCOUNT, "-c", "docs", "--auth-mode", "login"]);
    expect(listed.map((b: any) => b.name)).toEqual(["dir/hello.txt"]);
    expect(listed[0].properties.contentLength).toBe(14);
    const out = `${az.inside}/downloaded.txt`;
    await az.az(["storage", "blob", "download", "--account-name", ACCOUNT, "-c", "docs", "-n", "dir/hello.txt", "-f", out, "--auth-mode", "login"]);
    const read = await az.run(["cat", out]);
    expect(read.stdout).toBe("hello from az\n");
  });

  test("--auth-mode key: az fetches the key through Resource Manager and signs with Shared Key", async () => {
    const listed = await az.az(["storage", "blob", "list", "--account-name", ACCOUNT, "-c", "docs", "--auth-mode", "key"]);
    expect(listed.map((b: any) => b.name)).toEqual(["dir/hello.txt"]);
    const file = az.writeFile("second.txt", "second");
    await az.az(["storage", "blob", "upload", "--account-name", ACCOUNT, "-c", "docs", "-n", "second.txt", "-f", file, "--auth-mode", "key"]);
    const shown = await az.az(["storage", "blob", "show", "--account-name", ACCOUNT, "-c", "docs", "-n", "second.txt", "--auth-mode", "key"]);
    expect(shown.properties.contentLength).toBe(6);
    // Shared Key switched off: az's key requests are refused with Storage's own code.
    await az.az(["storage", "account", "update", "-g", RG, "-n", ACCOUNT, "--allow-shared-key-access", "false"]);
    const refused = await az.azRaw(["storage", "blob", "list", "--account-name", ACCOUNT, "-c", "docs", "--auth-mode", "key"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("KeyBasedAuthenticationNotPermitted");
    await az.az(["storage", "account", "update", "-g", RG, "-n", ACCOUNT, "--allow-shared-key-access", "true"]);
  });

  test("az storage container-rm create | list goes through Resource Manager; the data plane sees the container", async () => {
    await az.az(["storage", "container-rm", "create", "--storage-account", ACCOUNT, "-g", RG, "-n", "armc"]);
    const viaArm = await az.az(["storage", "container-rm", "list", "--storage-account", ACCOUNT, "-g", RG]);
    expect(viaArm.map((c: any) => c.name).sort()).toEqual(["armc", "docs"]);
    const viaData = await az.az(["storage", "container", "list", "--account-name", ACCOUNT, "--auth-mode", "login"]);
    expect(viaData.map((c: any) => c.name).sort()).toEqual(["armc", "docs"]);
  });
});

describe("App Service", () => {
  let principalId: string;

  test("az appservice plan create and az webapp create", async () => {
    const plan = await az.az(["appservice", "plan", "create", "-g", RG, "-n", "plan1", "--sku", "B1"]);
    expect(plan).toMatchObject({ name: "plan1", sku: { name: "B1" } });
    const app = await az.az(["webapp", "create", "-g", RG, "-n", "azweb1", "-p", "plan1"]);
    expect(app).toMatchObject({ name: "azweb1", defaultHostName: "azweb1.azurewebsites.net", state: "Running" });
  });

  test("az webapp identity assign | show: the identity the site's endpoint issues tokens for", async () => {
    const assigned = await az.az(["webapp", "identity", "assign", "-g", RG, "-n", "azweb1"]);
    expect(assigned.type).toBe("SystemAssigned");
    principalId = assigned.principalId;
    const shown = await az.az(["webapp", "identity", "show", "-g", RG, "-n", "azweb1"]);
    expect(shown.principalId).toBe(principalId);
    const siteId = `/subscriptions/${subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Web/sites/azweb1`;
    const env = (await emulator.arm("POST", `${siteId}/listIdentityEndpoint?api-version=2023-01-01`)).body;
    const r = await fetch(`${env.IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=https://storage.azure.com`, { headers: { "X-IDENTITY-HEADER": env.IDENTITY_HEADER } });
    expect(r.status).toBe(200);
    expect(decodeJwt((await r.json()).access_token).payload).toMatchObject({ oid: principalId, xms_mirid: siteId });
  });

  test("az webapp identity assign --identities <uami>, then remove", async () => {
    const uami = await az.az(["identity", "create", "-g", RG, "-n", "webid"]);
    const both = await az.az(["webapp", "identity", "assign", "-g", RG, "-n", "azweb1", "--identities", uami.id]);
    expect(both.type).toBe("SystemAssigned, UserAssigned");
    expect(both.principalId).toBe(principalId);
    expect(Object.keys(both.userAssignedIdentities).map((k) => k.toLowerCase())).toEqual([uami.id.toLowerCase()]);
    await az.az(["webapp", "identity", "remove", "-g", RG, "-n", "azweb1"]);
    const after = await az.azRaw(["webapp", "identity", "show", "-g", RG, "-n", "azweb1"]);
    const shown = after.stdout.trim() ? JSON.parse(after.stdout) : null;
    expect(shown?.principalId ?? null).toBeNull();
  });

  test("az functionapp create with a storage account, then az functionapp identity assign", async () => {
    await az.az(["storage", "account", "create", "-g", RG, "-n", FUNC_ACCOUNT, "-l", "westus", "--sku", "Standard_LRS"]);
    const func = await az.az([
      "functionapp", "create", "-g", RG, "-n", "azfunc1", "-s", FUNC_ACCOUNT,
      "--consumption-plan-location", "westus", "--functions-version", "4", "--runtime", "node", "--os-type", "Linux", "--disable-app-insights",
    ]);
    expect(func).toMatchObject({ name: "azfunc1", kind: expect.stringContaining("functionapp") });
    const settings = await az.az(["functionapp", "config", "appsettings", "list", "-g", RG, "-n", "azfunc1"]);
    const storage = settings.find((s: any) => s.name === "AzureWebJobsStorage");
    expect(storage.value).toContain(`AccountName=${FUNC_ACCOUNT}`);
    const assigned = await az.az(["functionapp", "identity", "assign", "-g", RG, "-n", "azfunc1"]);
    expect(assigned.principalId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
