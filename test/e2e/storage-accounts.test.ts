// Microsoft.Storage in Resource Manager, driven by the unmodified @azure/arm-storage
// StorageManagementClient with the admin's ClientSecretCredential: accounts (create, read, lists,
// update, delete), the name check, keys, containers through ARM (the same containers as the Blob
// data plane's), and RBAC with a VM's managed identity as the caller under test.
import { StorageManagementClient } from "@azure/arm-storage";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestEmulator, decodeJwt, imds } from "../support/emulator.ts";

const STORAGE_API = "2024-01-01";
const AUTHZ_API = "2022-04-01";
const ROLES = {
  reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
  storageAccountContributor: "17d1049b-9a84-46fb-8f53-869881c3d3ab",
  keyOperator: "81a9662b-bebf-436f-a333-f67b29880f12",
};

const emulator = TestEmulator.shared();
const RG = "storage-rg";
const OTHER_RG = "storage-other-rg";
let client: StorageManagementClient;
let caller: { token: string; oid: string; appid: string };

/** A fresh account name (3-24 of [a-z0-9]). */
const accountName = (prefix: string) => `${prefix}${randomUUID().replace(/-/g, "").slice(0, 10)}`;

function accountPath(name: string, rg = RG, suffix = "", api = STORAGE_API) {
  return `${emulator.subscriptionPath}/resourceGroups/${rg}/providers/Microsoft.Storage/storageAccounts/${name}${suffix}?api-version=${api}`;
}

/** What `az storage account create -g rg -n name` sends. */
const AZ_CREATE = {
  sku: { name: "Standard_RAGRS" },
  kind: "StorageV2",
  location: "westus",
  properties: { encryption: { services: { blob: {} }, keySource: "Microsoft.Storage" } },
};

const grant = (scope: string, role: string, principalId: string) => emulator.grant(scope, role, principalId);

async function revoke(scope: string, name: string): Promise<void> {
  const r = await emulator.arm("DELETE", `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=${AUTHZ_API}`);
  expect(r.status).toBe(200);
}

async function restError(promise: Promise<unknown>): Promise<{ statusCode: number; code: string; message: string }> {
  try {
    await promise;
  } catch (err: any) {
    return { statusCode: err.statusCode, code: err.code, message: err.message };
  }
  throw new Error("expected the call to fail");
}

beforeAll(async () => {
  await emulator.start();
  await emulator.createResourceGroup(RG);
  await emulator.createResourceGroup(OTHER_RG);
  client = new StorageManagementClient(emulator.adminCredential(), emulator.endpoints.subscriptionId, { endpoint: emulator.endpoints.arm });
  // The caller under test: a VM's managed identity, with no role until a test grants one.
  await emulator.createVm(RG, "caller-vm", { type: "SystemAssigned" });
  const endpoint = await emulator.imdsEndpoint(RG, "caller-vm");
  const t = await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`);
  const payload = decodeJwt(t.body.access_token).payload;
  caller = { token: t.body.access_token, oid: payload.oid, appid: payload.appid };
});
afterAll(() => emulator.dispose());

describe("storage accounts", () => {
  it("create, get, list, update and delete through StorageManagementClient", async () => {
    const name = accountName("sa");
    const created = await client.storageAccounts.create(RG, name, {
      location: "westus",
      sku: { name: "Standard_LRS" },
      kind: "StorageV2",
      tags: { env: "test" },
      minimumTlsVersion: "TLS1_2",
      allowBlobPublicAccess: false,
    });
    expect(created).toMatchObject({
      name,
      type: "Microsoft.Storage/storageAccounts",
      location: "westus",
      kind: "StorageV2",
      sku: { name: "Standard_LRS", tier: "Standard" },
      tags: { env: "test" },
    });
    expect(created.id).toBe(`${emulator.subscriptionPath}/resourceGroups/${RG}/providers/Microsoft.Storage/storageAccounts/${name}`);
    expect(created.provisioningState).toBe("Succeeded");
    expect(created.primaryEndpoints?.blob).toBe(`${emulator.endpoints.storage}/${name}/`);
    expect(created.primaryEndpoints?.queue).toBeTruthy();
    expect(created.primaryEndpoints?.table).toBeTruthy();
    expect(created.networkRuleSet?.defaultAction).toBe("Allow");
    expect(created.creationTime).toBeInstanceOf(Date);

    const got = await client.storageAccounts.getProperties(RG, name);
    expect(got.id).toBe(created.id);
    expect(JSON.stringify(got)).not.toMatch(/accountKeys|"value"/);

    const inGroup = [];
    for await (const a of client.storageAccounts.listByResourceGroup(RG)) inGroup.push(a.name);
    expect(inGroup).toContain(name);
    const inSubscription = [];
    for await (const a of client.storageAccounts.list()) inSubscription.push(a.name);
    expect(inSubscription).toContain(name);

    const updated = await client.storageAccounts.update(RG, name, {
      tags: { env: "prod" },
      allowSharedKeyAccess: false,
      minimumTlsVersion: "TLS1_2",
      networkRuleSet: { defaultAction: "Deny", bypass: "AzureServices" },
    });
    expect(updated.tags).toEqual({ env: "prod" });
    expect(updated.allowSharedKeyAccess).toBe(false);
    expect(updated.networkRuleSet?.defaultAction).toBe("Deny");
    expect((await client.storageAccounts.getProperties(RG, name)).allowSharedKeyAccess).toBe(false);

    await client.storageAccounts.delete(RG, name);
    const gone = await restError(client.storageAccounts.getProperties(RG, name));
    expect(gone).toMatchObject({ statusCode: 404, code: "ResourceNotFound" });
    // Deleting again is 204, which the SDK also takes.
    await client.storageAccounts.delete(RG, name);
    // The name is free again.
    expect((await client.storageAccounts.checkNameAvailability({ name, type: "Microsoft.Storage/storageAccounts" })).nameAvailable).toBe(true);
  });

  it("answers az's create body with 200 and the account, and a re-PUT updates it", async () => {
    const name = accountName("az");
    const first = await emulator.arm("PUT", accountPath(name), AZ_CREATE);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.properties).toMatchObject({ provisioningState: "Succeeded", accessTier: "Hot", statusOfPrimary: "available" });
    expect(first.body.properties.networkAcls).toEqual({ bypass: "AzureServices", virtualNetworkRules: [], ipRules: [], defaultAction: "Allow" });
    const again = await emulator.arm("PUT", accountPath(name), { ...AZ_CREATE, properties: { allowSharedKeyAccess: false } });
    expect(again.status).toBe(200);
    expect(again.body.properties.allowSharedKeyAccess).toBe(false);
    expect(again.body.properties.creationTime).toBe(first.body.properties.creationTime);
    // Other api-versions az and templates use answer the same.
    for (const api of ["2019-06-01", "2023-01-01", "2025-01-01"]) {
      expect((await emulator.arm("GET", accountPath(name, RG, "", api))).status).toBe(200);
    }
  });

  it("checks names: invalid, taken, available", async () => {
    const name = accountName("chk");
    expect(await client.storageAccounts.checkNameAvailability({ name, type: "Microsoft.Storage/storageAccounts" })).toEqual({ nameAvailable: true });
    await client.storageAccounts.create(RG, name, { location: "westus", sku: { name: "Standard_LRS" }, kind: "StorageV2" });
    expect(await client.storageAccounts.checkNameAvailability({ name, type: "Microsoft.Storage/storageAccounts" })).toEqual({
      nameAvailable: false,
      reason: "AlreadyExists",
      message: `The storage account named ${name} is already taken.`,
    });
    const invalid = await emulator.arm("POST", `${emulator.subscriptionPath}/providers/Microsoft.Storage/checkNameAvailability?api-version=${STORAGE_API}`, {
      name: "Not_Valid",
      type: "Microsoft.Storage/storageAccounts",
    });
    expect(invalid.status).toBe(200);
    expect(invalid.body).toEqual({
      nameAvailable: false,
      reason: "AccountNameInvalid",
      message: "Not_Valid is not a valid storage account name. Storage account name must be between 3 and 24 characters in length and use numbers and lower-case letters only.",
    });
  });

  it("refuses an invalid name, sku or kind with the Storage provider's errors, and creates nothing", async () => {
    const bad = await emulator.arm("PUT", accountPath("Bad-Name"), AZ_CREATE);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toEqual({
      code: "AccountNameInvalid",
      message: "Bad-Name is not a valid storage account name. Storage account name must be between 3 and 24 characters in length and use numbers and lower-case letters only.",
    });
    const sdk = await restError(client.storageAccounts.create(RG, "x", { location: "westus", sku: { name: "Standard_LRS" }, kind: "StorageV2" }));
    expect(sdk).toMatchObject({ statusCode: 400, code: "AccountNameInvalid" });

    const name = accountName("inv");
    const sku = await emulator.arm("PUT", accountPath(name), { ...AZ_CREATE, sku: { name: "Standard_XYZ" } });
    expect(sku.status).toBe(400);
    expect(sku.body.error.code).toBe("InvalidValuesForRequestParameters");
    const kind = await emulator.arm("PUT", accountPath(name), { ...AZ_CREATE, kind: "Disk" });
    expect(kind.body.error.code).toBe("InvalidValuesForRequestParameters");
    const location = await emulator.arm("PUT", accountPath(name), { sku: { name: "Standard_LRS" }, kind: "StorageV2" });
    expect(location.body.error.code).toBe("LocationRequired");
    const identity = await emulator.arm("PUT", accountPath(name), { ...AZ_CREATE, identity: { type: "SystemAssigned" } });
    expect(identity.status).toBe(400);
    expect(identity.body.error.message).toContain("not emulated");
    expect((await emulator.arm("GET", accountPath(name))).status).toBe(404);
    expect((await client.storageAccounts.checkNameAvailability({ name, type: "Microsoft.Storage/storageAccounts" })).nameAvailable).toBe(true);
  });

  it("keeps names unique across resource groups", async () => {
    const name = accountName("dup");
    await client.storageAccounts.create(RG, name, { location: "westus", sku: { name: "Standard_LRS" }, kind: "StorageV2" });
    const taken = await emulator.arm("PUT", accountPath(name, OTHER_RG), AZ_CREATE);
    expect(taken.status).toBe(409);
    expect(taken.body.error).toEqual({
      code: "StorageAccountInAnotherResourceGroup",
      message: `The account ${name} is already in another resource group in this subscription.`,
    });
    expect((await emulator.arm("GET", accountPath(name, OTHER_RG))).status).toBe(404);
    // The first account is untouched.
    expect((await client.storageAccounts.getProperties(RG, name)).provisioningState).toBe("Succeeded");
  });

  it("lists and regenerates keys: 88-character keys, the data plane told first", async () => {
    const name = accountName("key");
    await client.storageAccounts.create(RG, name, { location: "westus", sku: { name: "Standard_LRS" }, kind: "StorageV2" });
    const listed = await client.storageAccounts.listKeys(RG, name, { expand: "kerb" });
    expect(listed.keys?.map((k) => k.keyName)).toEqual(["key1", "key2"]);
    for (const k of listed.keys!) {
      expect(k.value).toMatch(/^[A-Za-z0-9+/]{86}==$/);
      expect(k.permissions).toBe("FULL");
    }
    expect(listed.keys![0]!.value).not.toBe(listed.keys![1]!.value);

    const regenerated = await client.storageAccounts.regenerateKey(RG, name, { keyName: "key2" });
    expect(regenerated.keys![0]!.value).toBe(listed.keys![0]!.value);
    expect(regenerated.keys![1]!.value).not.toBe(listed.keys![1]!.value);
    expect((await client.storageAccounts.listKeys(RG, name)).keys![1]!.value).toBe(regenerated.keys![1]!.value);

    const badKey = await emulator.arm("POST", accountPath(name, RG, "/regenerateKey"), { keyName: "key3" });
    expect(badKey.status).toBe(400);
    const missing = await emulator.arm("POST", accountPath(accountName("none"), RG, "/listKeys"));
    expect(missing.status).toBe(404);
  });
});

describe("containers through Resource Manager", () => {
  it("create (201), get, update (200), list and delete", async () => {
    const name = accountName("ctr");
    await client.storageAccounts.create(RG, name, { location: "westus", sku: { name: "Standard_LRS" }, kind: "StorageV2" });

    const put = await emulator.arm("PUT", accountPath(name, RG, "/blobServices/default/containers/data"), { properties: { publicAccess: "None", metadata: { owner: "tests" } } });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    expect(put.body).toMatchObject({
      id: `${emulator.subscriptionPath}/resourceGroups/${RG}/providers/Microsoft.Storage/storageAccounts/${name}/blobServices/default/containers/data`,
      name: "data",
      type: "Microsoft.Storage/storageAccounts/blobServices/containers",
      properties: {
        publicAccess: "None",
        metadata: { owner: "tests" },
        leaseStatus: "Unlocked",
        leaseState: "Available",
        hasImmutabilityPolicy: false,
        hasLegalHold: false,
        deleted: false,
        remainingRetentionDays: 0,
      },
    });
    expect(put.body.etag).toMatch(/^"0x[0-9A-F]+"$/);
    expect(put.body.properties.lastModifiedTime).toBeTruthy();
    const again = await emulator.arm("PUT", accountPath(name, RG, "/blobServices/default/containers/data"), { properties: { metadata: { owner: "again" } } });
    expect(again.status).toBe(200);

    const created = await client.blobContainers.create(RG, name, "logs", { publicAccess: "None" });
    expect(created.name).toBe("logs");
    const got = await client.blobContainers.get(RG, name, "data");
    expect(got.metadata).toEqual({ owner: "again" });
    const patched = await client.blobContainers.update(RG, name, "data", { metadata: { owner: "patched" } });
    expect(patched.metadata).toEqual({ owner: "patched" });

    const names = [];
    for await (const c of client.blobContainers.list(RG, name)) names.push(c.name);
    expect(names.sort()).toEqual(["data", "logs"]);

    await client.blobContainers.delete(RG, name, "logs");
    expect(await restError(client.blobContainers.get(RG, name, "logs"))).toMatchObject({ statusCode: 404, code: "ContainerNotFound" });
    expect((await emulator.arm("DELETE", accountPath(name, RG, "/blobServices/default/containers/logs"))).status).toBe(204);

    // Azure's refusals: a bad name, public access the account does not allow, a missing account.
    const badName = await emulator.arm("PUT", accountPath(name, RG, "/blobServices/default/containers/Bad_Name"), {});
    expect(badName.status).toBe(400);
    expect(badName.body.error.code).toBe("ContainerOperationFailure");
    expect(badName.body.error.message).toMatch(/^The specifed resource name contains invalid characters\./);
    const publicAccess = await emulator.arm("PUT", accountPath(name, RG, "/blobServices/default/containers/public"), { properties: { publicAccess: "Blob" } });
    expect(publicAccess.status).toBe(409);
    expect(publicAccess.body.error.code).toBe("PublicAccessNotPermitted");
    const noAccount = await emulator.arm("PUT", accountPath(accountName("none"), RG, "/blobServices/default/containers/data"), {});
    expect(noAccount.status).toBe(404);

    // The blob service is there with its account, and keeps what a PUT sets.
    const service = await client.blobServices.getServiceProperties(RG, name);
    expect(service.name).toBe("default");
    const set = await client.blobServices.setServiceProperties(RG, name, { deleteRetentionPolicy: { enabled: true, days: 7 } });
    expect(set.deleteRetentionPolicy).toMatchObject({ enabled: true, days: 7 });
    expect((await client.blobServices.getServiceProperties(RG, name)).deleteRetentionPolicy).toMatchObject({ enabled: true, days: 7 });

    // Deleting the account takes its containers with it: a new account of the name starts empty.
    await client.storageAccounts.delete(RG, name);
    await client.storageAccounts.create(RG, name, { location: "westus", sku: { name: "Standard_LRS" }, kind: "StorageV2" });
    const after = [];
    for await (const c of client.blobContainers.list(RG, name)) after.push(c.name);
    expect(after).toEqual([]);
  });

  it("the resource group's delete takes its accounts", async () => {
    const rg = `storage-cascade-${randomUUID().slice(0, 6)}`;
    await emulator.createResourceGroup(rg);
    const name = accountName("cas");
    await client.storageAccounts.create(rg, name, { location: "westus", sku: { name: "Standard_LRS" }, kind: "StorageV2" });
    await client.blobContainers.create(rg, name, "data", {});
    const del = await emulator.arm("DELETE", emulator.rgPath(rg));
    expect([200, 202]).toContain(del.status);
    expect((await client.storageAccounts.checkNameAvailability({ name, type: "Microsoft.Storage/storageAccounts" })).nameAvailable).toBe(true);
    // The name is free on the data plane too: another group can take it.
    await client.storageAccounts.create(OTHER_RG, name, { location: "westus", sku: { name: "Standard_LRS" }, kind: "StorageV2" });
  });
});

describe("RBAC", () => {
  it("a principal without a role gets 403 AuthorizationFailed; Reader reads but cannot list keys", async () => {
    const name = accountName("rbac");
    await client.storageAccounts.create(RG, name, { location: "westus", sku: { name: "Standard_LRS" }, kind: "StorageV2" });
    const id = `${emulator.subscriptionPath}/resourceGroups/${RG}/providers/Microsoft.Storage/storageAccounts/${name}`;

    const denied = await emulator.arm("GET", accountPath(name), undefined, caller.token);
    expect(denied.status).toBe(403);
    expect(denied.body.error).toEqual({
      code: "AuthorizationFailed",
      message: `The client '${caller.appid}' with object id '${caller.oid}' does not have authorization to perform action 'Microsoft.Storage/storageAccounts/read' over scope '${id}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    });
    expect((await emulator.arm("PUT", accountPath(accountName("rb"), RG), AZ_CREATE, caller.token)).status).toBe(403);

    const reader = await grant(id, ROLES.reader, caller.oid);
    expect((await emulator.arm("GET", accountPath(name), undefined, caller.token)).status).toBe(200);
    const keys = await emulator.arm("POST", accountPath(name, RG, "/listKeys"), undefined, caller.token);
    expect(keys.status).toBe(403);
    expect(keys.body.error.message).toContain("'Microsoft.Storage/storageAccounts/listKeys/action'");
    expect((await emulator.arm("PATCH", accountPath(name), { tags: { a: "b" } }, caller.token)).status).toBe(403);
    expect((await emulator.arm("PUT", accountPath(name, RG, "/blobServices/default/containers/cont1"), {}, caller.token)).status).toBe(403);
    await revoke(id, reader);

    const operator = await grant(id, ROLES.keyOperator, caller.oid);
    expect((await emulator.arm("POST", accountPath(name, RG, "/listKeys"), undefined, caller.token)).status).toBe(200);
    expect((await emulator.arm("POST", accountPath(name, RG, "/regenerateKey"), { keyName: "key1" }, caller.token)).status).toBe(200);
    expect((await emulator.arm("GET", accountPath(name), undefined, caller.token)).status).toBe(403);
    await revoke(id, operator);

    const contributor = await grant(id, ROLES.storageAccountContributor, caller.oid);
    expect((await emulator.arm("PATCH", accountPath(name), { tags: { a: "b" } }, caller.token)).status).toBe(200);
    expect((await emulator.arm("PUT", accountPath(name, RG, "/blobServices/default/containers/cont1"), {}, caller.token)).status).toBe(201);
    await revoke(id, contributor);
  });
});
