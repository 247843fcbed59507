// Pure rules of Microsoft.Storage in Resource Manager: account and container names, what a PUT or
// PATCH body becomes, the keys' answer, the name check, and the storage roles' actions versus
// data actions.
import { describe, expect, it } from "vitest";
import { ArmError } from "../../shared/errors/arm";
import { builtInRoleByName, roleGrants } from "../../workers/arm/src/providers/authorization/role-definitions";
import { validateContainerName, validateContainerProperties } from "../../workers/arm/src/providers/storage/container-rules";
import {
  desiredAccount,
  keysBody,
  nameAvailability,
  newAccountKeyValue,
  presentAccount,
  primaryEndpoints,
  requestedKeyName,
  validateStorageAccountName,
  type AccountKeys,
  type AccountWrite,
  type StoredStorageAccount,
} from "../../workers/arm/src/providers/storage/storage-account-rules";

const ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct1";
const KEYS: AccountKeys = {
  key1: { value: "k1", creationTime: "2026-01-01T00:00:00.0000000Z" },
  key2: { value: "k2", creationTime: "2026-01-01T00:00:00.0000000Z" },
};
const ctx = { now: "2026-01-02T00:00:00.0000000Z", storageUrl: "https://127.0.0.1:8448", newKeys: () => KEYS };

function put(body: Record<string, unknown>, existing: StoredStorageAccount | null = null): StoredStorageAccount {
  const write: AccountWrite = { mode: "put", id: ID, name: "acct1", resourceGroup: "rg", body };
  return desiredAccount(existing, write, ctx);
}

function patch(existing: StoredStorageAccount, body: Record<string, unknown>): StoredStorageAccount {
  return desiredAccount(existing, { mode: "patch", id: ID, name: "acct1", resourceGroup: "rg", body }, ctx);
}

function refusal(fn: () => unknown): ArmError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ArmError) return err;
    throw err;
  }
  throw new Error("expected an ArmError");
}

/** What `az storage account create -g rg -n acct1` sends. */
const AZ_CREATE = {
  sku: { name: "Standard_RAGRS" },
  kind: "StorageV2",
  location: "West US",
  properties: { encryption: { services: { blob: {} }, keySource: "Microsoft.Storage" } },
};

describe("storage account names", () => {
  it("takes 3-24 lower-case letters and digits, and words the refusal as Azure does", () => {
    for (const ok of ["abc", "a1b2c3", "x".repeat(24)]) expect(() => validateStorageAccountName(ok)).not.toThrow();
    for (const bad of ["ab", "x".repeat(25), "Abc", "ab-c", "ab_c", "ab.c", ""]) {
      const err = refusal(() => validateStorageAccountName(bad));
      expect(err.status).toBe(400);
      expect(err.code).toBe("AccountNameInvalid");
      expect(err.message).toBe(
        `${bad} is not a valid storage account name. Storage account name must be between 3 and 24 characters in length and use numbers and lower-case letters only.`,
      );
    }
  });

  it("answers checkNameAvailability's three outcomes", () => {
    expect(nameAvailability("freename", false)).toEqual({ nameAvailable: true });
    expect(nameAvailability("takenname", true)).toEqual({
      nameAvailable: false,
      reason: "AlreadyExists",
      message: "The storage account named takenname is already taken.",
    });
    expect(nameAvailability("Bad-Name", false)).toMatchObject({ nameAvailable: false, reason: "AccountNameInvalid" });
  });
});

describe("account documents", () => {
  it("fills in what az and the SDKs read, path-style endpoints on the Blob data plane, and never shows the keys", () => {
    const stored = put(AZ_CREATE);
    const doc = presentAccount(stored);
    expect(doc).not.toHaveProperty("accountKeys");
    expect(JSON.stringify(doc)).not.toContain('"k1"');
    expect(doc).toMatchObject({
      id: ID,
      name: "acct1",
      type: "Microsoft.Storage/storageAccounts",
      location: "westus",
      kind: "StorageV2",
      sku: { name: "Standard_RAGRS", tier: "Standard" },
      tags: {},
      properties: {
        provisioningState: "Succeeded",
        creationTime: ctx.now,
        primaryLocation: "westus",
        statusOfPrimary: "available",
        accessTier: "Hot",
        minimumTlsVersion: "TLS1_2",
        supportsHttpsTrafficOnly: true,
        allowBlobPublicAccess: false,
        publicNetworkAccess: "Enabled",
        networkAcls: { bypass: "AzureServices", defaultAction: "Allow", virtualNetworkRules: [], ipRules: [] },
        encryption: { keySource: "Microsoft.Storage" },
      },
    });
    expect(doc.properties.primaryEndpoints.blob).toBe("https://127.0.0.1:8448/acct1/");
    for (const service of ["queue", "table", "file", "dfs", "web"] as const) expect(doc.properties.primaryEndpoints[service]).toMatch(/\/$/);
    // Absent means allowed, and is not invented.
    expect(doc.properties).not.toHaveProperty("allowSharedKeyAccess");
    expect(stored.accountKeys).toEqual(KEYS);
  });

  it("falls back to Azure's host names without a Blob data plane URL", () => {
    expect(primaryEndpoints("acct1").blob).toBe("https://acct1.blob.core.windows.net/");
    expect(primaryEndpoints("acct1").table).toBe("https://acct1.table.core.windows.net/");
  });

  it("validates sku, kind, location and flags before anything else", () => {
    expect(refusal(() => put({ ...AZ_CREATE, sku: { name: "Standard_XYZ" } }))).toMatchObject({ status: 400, code: "InvalidValuesForRequestParameters" });
    expect(refusal(() => put({ ...AZ_CREATE, kind: "Nope" })).message).toContain("Values for request parameters are invalid: kind.");
    expect(refusal(() => put({ location: "westus", kind: "StorageV2" })).message).toContain("invalid: sku.");
    expect(refusal(() => put({ ...AZ_CREATE, kind: "FileStorage" })).message).toContain("invalid: kind, sku.");
    expect(refusal(() => put({ sku: { name: "Standard_LRS" }, kind: "StorageV2" }))).toMatchObject({ status: 400, code: "LocationRequired" });
    expect(refusal(() => put({ ...AZ_CREATE, properties: { minimumTlsVersion: "TLS9" } }))).toMatchObject({
      code: "InvalidRequestPropertyValue",
      message: "The value 'TLS9' is not allowed for property minimumTlsVersion.",
    });
    expect(refusal(() => put({ ...AZ_CREATE, properties: { allowSharedKeyAccess: "no" } })).code).toBe("InvalidRequestPropertyValue");
    expect(refusal(() => put({ ...AZ_CREATE, properties: { networkAcls: { defaultAction: "Maybe" } } })).code).toBe("InvalidRequestPropertyValue");
    expect(refusal(() => put({ ...AZ_CREATE, properties: { encryption: { keySource: "Microsoft.Keyvault" } } })).code).toBe("InvalidRequestPropertyValue");
  });

  it("accepts identity None and refuses identities it does not emulate, plainly", () => {
    expect(presentAccount(put({ ...AZ_CREATE, identity: { type: "None" } })).identity).toEqual({ type: "None" });
    const err = refusal(() => put({ ...AZ_CREATE, identity: { type: "SystemAssigned" } }));
    expect(err.status).toBe(400);
    expect(err.message).toContain("not emulated");
    expect(refusal(() => put({ ...AZ_CREATE, identity: { type: "Bogus" } })).code).toBe("InvalidIdentityType");
  });

  it("PATCH changes what it names and keeps the rest, keys included; the location never moves", () => {
    const created = put({ ...AZ_CREATE, tags: { a: "1" }, properties: { allowSharedKeyAccess: false } });
    const updated = patch(created, { tags: { b: "2" }, properties: { minimumTlsVersion: "TLS1_1", allowBlobPublicAccess: true }, sku: { name: "Standard_LRS" } });
    expect(updated.tags).toEqual({ b: "2" });
    expect(updated.sku).toEqual({ name: "Standard_LRS", tier: "Standard" });
    expect(updated.properties).toMatchObject({ minimumTlsVersion: "TLS1_1", allowBlobPublicAccess: true, allowSharedKeyAccess: false, creationTime: ctx.now });
    expect(updated.accountKeys).toBe(created.accountKeys);
    expect(patch(updated, { properties: { allowSharedKeyAccess: true } }).properties.allowSharedKeyAccess).toBe(true);
    expect(refusal(() => put({ ...AZ_CREATE, location: "eastus" }, created))).toMatchObject({ status: 409, code: "InvalidResourceLocation" });
    // Standard and premium never convert into each other; general-purpose v1 upgrades to v2 only.
    expect(refusal(() => patch(created, { sku: { name: "Premium_LRS" } })).code).toBe("InvalidValuesForRequestParameters");
    const v1 = put({ ...AZ_CREATE, kind: "Storage" });
    expect(v1.properties).not.toHaveProperty("accessTier");
    expect(patch(v1, { kind: "StorageV2" }).kind).toBe("StorageV2");
    expect(refusal(() => patch(created, { kind: "Storage" })).code).toBe("InvalidValuesForRequestParameters");
  });

  it("ignores read-only properties a body sends back", () => {
    const created = put(AZ_CREATE);
    const again = put({ ...AZ_CREATE, properties: { provisioningState: "Failed", primaryEndpoints: { blob: "https://evil/" }, creationTime: "1999" } }, created);
    expect(again.properties).toMatchObject({ provisioningState: "Succeeded", creationTime: ctx.now });
    expect(again.properties.primaryEndpoints.blob).toBe("https://127.0.0.1:8448/acct1/");
  });
});

describe("account keys", () => {
  it("are 64 random bytes in base64 (88 characters), different every time", () => {
    const a = newAccountKeyValue();
    expect(a).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    expect(atob(a)).toHaveLength(64);
    expect(newAccountKeyValue()).not.toBe(a);
  });

  it("are answered in listKeys' shape, and regenerateKey takes key1 or key2 only", () => {
    expect(keysBody(put(AZ_CREATE))).toEqual({
      keys: [
        { keyName: "key1", value: "k1", permissions: "FULL", creationTime: KEYS.key1.creationTime },
        { keyName: "key2", value: "k2", permissions: "FULL", creationTime: KEYS.key2.creationTime },
      ],
    });
    expect(requestedKeyName({ keyName: "KEY2" })).toBe("key2");
    expect(refusal(() => requestedKeyName({ keyName: "key3" })).status).toBe(400);
    expect(refusal(() => requestedKeyName({})).status).toBe(400);
  });
});

describe("containers", () => {
  it("take the Blob service's names, refused in the Storage provider's words", () => {
    for (const ok of ["abc", "my-container", "a1-b2", "x".repeat(63)]) expect(() => validateContainerName(ok)).not.toThrow();
    for (const bad of ["Abc", "a--b", "-ab", "ab-", "a_b", "$web"]) {
      const err = refusal(() => validateContainerName(bad));
      expect(err).toMatchObject({ status: 400, code: "ContainerOperationFailure" });
      expect(err.message).toMatch(/^The specifed resource name contains invalid characters\.\nRequestId:[0-9a-f-]{36}\nTime:/);
    }
    for (const bad of ["ab", "x".repeat(64)]) {
      expect(refusal(() => validateContainerName(bad)).message).toMatch(/^The specified resource name length is not within the permissible limits\./);
    }
  });

  it("PUT sets public access and metadata; PATCH only what it names", () => {
    expect(validateContainerProperties(undefined, "put")).toEqual({ publicAccess: "None", metadata: {} });
    expect(validateContainerProperties({ publicAccess: "blob", metadata: { Owner: "me" } }, "put")).toEqual({ publicAccess: "Blob", metadata: { Owner: "me" } });
    expect(validateContainerProperties({ metadata: { a: "1" } }, "patch")).toEqual({ metadata: { a: "1" } });
    expect(refusal(() => validateContainerProperties({ publicAccess: "Everyone" }, "put")).code).toBe("InvalidRequestPropertyValue");
    expect(refusal(() => validateContainerProperties({ metadata: { "not-an-identifier": "x" } }, "put")).code).toBe("ContainerOperationFailure");
    expect(refusal(() => validateContainerProperties({ metadata: { a: 1 } }, "put")).code).toBe("InvalidRequestContent");
    expect(refusal(() => validateContainerProperties({ metadata: { a: "x".repeat(9000) } }, "put")).message).toContain("8 KB");
  });
});

describe("storage roles", () => {
  const BLOB_READ = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read";
  const BLOB_WRITE = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write";

  it("grant blob data only through dataActions: * in actions never reaches a blob", () => {
    for (const role of ["Owner", "Contributor", "Storage Account Contributor", "Reader and Data Access"]) {
      expect(roleGrants(builtInRoleByName(role)!, BLOB_READ, "dataAction")).toBe(false);
    }
    const owner = builtInRoleByName("Storage Blob Data Owner")!;
    expect(roleGrants(owner, BLOB_WRITE, "dataAction")).toBe(true);
    expect(roleGrants(owner, "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags/write", "dataAction")).toBe(true);
    // A data action is never granted by a role's actions alone, nor an action by its dataActions.
    expect(roleGrants(builtInRoleByName("Storage Blob Data Reader")!, BLOB_READ, "action")).toBe(false);
    expect(roleGrants(owner, "Microsoft.Storage/storageAccounts/listKeys/action", "action")).toBe(false);
    expect(roleGrants(builtInRoleByName("Storage Blob Data Reader")!, BLOB_WRITE, "dataAction")).toBe(false);
    expect(roleGrants(builtInRoleByName("Storage Blob Data Contributor")!, "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action", "dataAction")).toBe(true);
  });

  it("grant the account's keys to those that manage it, and not to readers", () => {
    const listKeys = "Microsoft.Storage/storageAccounts/listKeys/action";
    const regenerate = "Microsoft.Storage/storageAccounts/regeneratekey/action";
    expect(roleGrants(builtInRoleByName("Storage Account Contributor")!, listKeys, "action")).toBe(true);
    expect(roleGrants(builtInRoleByName("Storage Account Key Operator Service Role")!, listKeys, "action")).toBe(true);
    expect(roleGrants(builtInRoleByName("Storage Account Key Operator Service Role")!, regenerate, "action")).toBe(true);
    expect(roleGrants(builtInRoleByName("Reader and Data Access")!, listKeys, "action")).toBe(true);
    expect(roleGrants(builtInRoleByName("Reader and Data Access")!, regenerate, "action")).toBe(false);
    expect(roleGrants(builtInRoleByName("Reader")!, listKeys, "action")).toBe(false);
    expect(roleGrants(builtInRoleByName("Storage Blob Data Contributor")!, "Microsoft.Storage/storageAccounts/blobServices/containers/write", "action")).toBe(true);
    expect(roleGrants(builtInRoleByName("Website Contributor")!, "Microsoft.Web/sites/listIdentityEndpoint/action", "action")).toBe(true);
    expect(roleGrants(builtInRoleByName("Website Contributor")!, "Microsoft.Web/serverFarms/write", "action")).toBe(false);
    expect(roleGrants(builtInRoleByName("Web Plan Contributor")!, "Microsoft.Web/serverFarms/write", "action")).toBe(true);
  });
});
