// The Blob data plane with the unmodified @azure/storage-blob: Azure AD bearer tokens authorized as
// Storage's RBAC (Owner manages containers but reads no blobs; the Blob Data roles at account or
// container scope), the 401 challenge the SDK answers, Shared Key with the account's keys and the
// switch that turns it off, large uploads in blocks, and the account by host name.
import { ClientSecretCredential } from "@azure/identity";
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { request } from "node:https";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestEmulator } from "../support/emulator.ts";

const emulator = TestEmulator.shared();
const RG = "blob-rg";
const ACCOUNT = `blob${randomUUID().replace(/-/g, "").slice(0, 10)}`;
const STORAGE_API = "2024-01-01";
const ROLES = {
  reader: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
  contributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
};

let accountId: string;
let blobUrl: string;
let admin: BlobServiceClient;

const grant = (scope: string, role: string, principalId: string) => emulator.grant(scope, role, principalId);

/** A second principal with no roles at all: an application registered through Graph with a secret. */
async function newApplicationCredential(): Promise<{ credential: ClientSecretCredential; objectId: string }> {
  const e = emulator.endpoints;
  const graphToken = (await emulator.adminCredential().getToken(`${e.graph}/.default`))!.token;
  const app = await emulator.graph("POST", "/v1.0/applications", { displayName: `blob-app-${randomUUID().slice(0, 6)}` }, graphToken);
  const sp = await emulator.graph("POST", "/v1.0/servicePrincipals", { appId: app.body.appId }, graphToken);
  const secret = await emulator.graph("POST", `/v1.0/applications/${app.body.id}/addPassword`, { passwordCredential: {} }, graphToken);
  const credential = new ClientSecretCredential(e.tenantId, app.body.appId, secret.body.secretText, { authorityHost: e.login, disableInstanceDiscovery: true });
  return { credential, objectId: sp.body.id };
}

/** A raw request at the data plane (no SDK), for the wire checks. */
function raw(url: string, headers: Record<string, string> = {}, method = "GET", servername?: string) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = request(url, { method, headers, ca: readFileSync(emulator.endpoints.caCertificate), ...(servername ? { servername } : {}) }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

beforeAll(async () => {
  await emulator.start();
  await emulator.createResourceGroup(RG);
  accountId = `${emulator.subscriptionPath}/resourceGroups/${RG}/providers/Microsoft.Storage/storageAccounts/${ACCOUNT}`;
  const created = await emulator.arm("PUT", `${accountId}?api-version=${STORAGE_API}`, { location: "westus", kind: "StorageV2", sku: { name: "Standard_LRS" } });
  if (created.status !== 200 && created.status !== 201) throw new Error(`account: ${created.status} ${JSON.stringify(created.body)}`);
  blobUrl = created.body.properties.primaryEndpoints.blob;
  admin = new BlobServiceClient(blobUrl, emulator.adminCredential());
});
afterAll(() => emulator.dispose());

describe("Azure AD and Storage's RBAC", () => {
  it("Owner creates and lists containers (actions) but is refused blob data until it holds a data role", async () => {
    expect(blobUrl).toBe(`${emulator.endpoints.storage}/${ACCOUNT}/`);
    const container = admin.getContainerClient("docs");
    expect((await container.createIfNotExists()).succeeded).toBe(true);
    expect((await container.createIfNotExists()).succeeded).toBe(false);
    const names: string[] = [];
    for await (const c of admin.listContainers()) names.push(c.name);
    expect(names).toEqual(["docs"]);
    const refused = await container.getBlockBlobClient("a.txt").upload("x", 1).catch((e) => e);
    expect(refused.statusCode).toBe(403);
    expect(refused.code).toBe("AuthorizationPermissionMismatch");

    await grant(accountId, ROLES.contributor, emulator.endpoints.admin.objectId);
    await container.getBlockBlobClient("dir/a.txt").upload("hello", 5, { blobHTTPHeaders: { blobContentType: "text/plain" }, metadata: { owner: "admin" } });
    const blob = container.getBlobClient("dir/a.txt");
    expect((await blob.downloadToBuffer()).toString()).toBe("hello");
    const properties = await blob.getProperties();
    expect(properties).toMatchObject({ contentType: "text/plain", contentLength: 5, blobType: "BlockBlob", metadata: { owner: "admin" } });
    expect(properties.etag).toMatch(/^"0x[0-9A-F]+"$/);
  });

  it("Storage Blob Data Reader on one container: reads there, nothing else", async () => {
    await admin.getContainerClient("other").create();
    await admin.getContainerClient("other").getBlockBlobClient("b.txt").upload("b", 1);
    const { credential, objectId } = await newApplicationCredential();
    const reader = new BlobServiceClient(blobUrl, credential);
    const denied = await reader.getContainerClient("docs").getBlobClient("dir/a.txt").downloadToBuffer().catch((e) => e);
    // downloadToBuffer starts with a HEAD: no body, so the SDK has the code from x-ms-error-code only.
    expect([denied.statusCode, denied.details?.errorCode]).toEqual([403, "AuthorizationPermissionMismatch"]);

    await grant(`${accountId}/blobServices/default/containers/docs`, ROLES.reader, objectId);
    expect((await reader.getContainerClient("docs").getBlobClient("dir/a.txt").downloadToBuffer()).toString()).toBe("hello");
    const listed: string[] = [];
    for await (const item of reader.getContainerClient("docs").listBlobsByHierarchy("/", { prefix: "" })) listed.push(item.kind === "prefix" ? `prefix:${item.name}` : item.name);
    expect(listed).toEqual(["prefix:dir/"]);
    const write = await reader.getContainerClient("docs").getBlockBlobClient("w.txt").upload("w", 1).catch((e) => e);
    expect([write.statusCode, write.code]).toEqual([403, "AuthorizationPermissionMismatch"]);
    const elsewhere = await reader.getContainerClient("other").getBlobClient("b.txt").downloadToBuffer().catch((e) => e);
    expect([elsewhere.statusCode, elsewhere.details?.errorCode]).toEqual([403, "AuthorizationPermissionMismatch"]);
  });

  it("no token: 401 with the challenge the SDK parses (unquoted values, a GUID tenant); a token for another audience: 401", async () => {
    const e = emulator.endpoints;
    const anonymous = await raw(`${blobUrl}docs?restype=container`, { "x-ms-version": "2025-01-05" });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers["x-ms-error-code"]).toBe("NoAuthenticationInformation");
    expect(anonymous.headers["www-authenticate"]).toBe(`Bearer authorization_uri=${e.login}/${e.tenantId}/oauth2/authorize resource_id=https://storage.azure.com`);
    expect(anonymous.body).toContain("<Code>NoAuthenticationInformation</Code>");
    const vaultToken = (await emulator.adminCredential().getToken("https://vault.azure.net/.default"))!.token;
    const wrongAudience = await raw(`${blobUrl}docs?restype=container`, { "x-ms-version": "2025-01-05", authorization: `Bearer ${vaultToken}` });
    expect([wrongAudience.status, wrongAudience.headers["x-ms-error-code"]]).toEqual([401, "InvalidAuthenticationInfo"]);
    const forged = vaultToken.split(".").slice(0, 2).join(".") + "." + Buffer.from("not a signature").toString("base64url");
    const bad = await raw(`${blobUrl}docs?restype=container`, { "x-ms-version": "2025-01-05", authorization: `Bearer ${forged}` });
    expect(bad.status).toBe(401);
  });

  it("errors name their code in x-ms-error-code, which the SDK's helpers branch on", async () => {
    const container = admin.getContainerClient("docs");
    expect(await container.getBlobClient("missing.txt").exists()).toBe(false);
    expect((await container.getBlobClient("missing.txt").deleteIfExists()).succeeded).toBe(false);
    const missing = await container.getBlobClient("missing.txt").download().catch((e) => e);
    expect([missing.statusCode, missing.code]).toEqual([404, "BlobNotFound"]);
    const noContainer = await admin.getContainerClient("nope").getProperties().catch((e) => e);
    expect([noContainer.statusCode, noContainer.code]).toEqual([404, "ContainerNotFound"]);
    const badName = await admin.getContainerClient("Bad_Name").create().catch((e) => e);
    expect(badName.statusCode).toBe(400);
  });
});

describe("Shared Key", () => {
  it("the account's keys sign requests (what az uses by default); allowSharedKeyAccess false refuses them", async () => {
    const keys = await emulator.arm("POST", `${accountId}/listKeys?api-version=${STORAGE_API}`);
    const key: string = keys.body.keys[1].value;
    const keyed = new BlobServiceClient(blobUrl, new StorageSharedKeyCredential(ACCOUNT, key));
    await keyed.getContainerClient("docs").getBlockBlobClient("dir/key b+c.txt").upload("by key", 6);
    expect((await keyed.getContainerClient("docs").getBlobClient("dir/key b+c.txt").downloadToBuffer()).toString()).toBe("by key");
    const wrong = new BlobServiceClient(blobUrl, new StorageSharedKeyCredential(ACCOUNT, randomBytes(64).toString("base64")));
    const forged = await wrong.getContainerClient("docs").getProperties().catch((e) => e);
    expect([forged.statusCode, forged.code]).toEqual([403, "AuthenticationFailed"]);

    const off = await emulator.arm("PATCH", `${accountId}?api-version=${STORAGE_API}`, { properties: { allowSharedKeyAccess: false } });
    expect(off.status).toBe(200);
    const refused = await keyed.getContainerClient("docs").getProperties().catch((e) => e);
    expect([refused.statusCode, refused.code]).toEqual([403, "KeyBasedAuthenticationNotPermitted"]);
    await emulator.arm("PATCH", `${accountId}?api-version=${STORAGE_API}`, { properties: { allowSharedKeyAccess: true } });
    // A regenerated key stops the old one.
    await emulator.arm("POST", `${accountId}/regenerateKey?api-version=${STORAGE_API}`, { keyName: "key2" });
    const stale = await keyed.getContainerClient("docs").getProperties().catch((e) => e);
    expect([stale.statusCode, stale.code]).toEqual([403, "AuthenticationFailed"]);
  });
});

describe("blobs", () => {
  it("a 9 MiB upload in 2 MiB blocks reads back byte for byte, also by range", async () => {
    const data = randomBytes(9 * 1024 * 1024);
    const client = admin.getContainerClient("docs").getBlockBlobClient("big.bin");
    await client.uploadData(data, { blockSize: 2 * 1024 * 1024, maxSingleShotSize: 1024 * 1024, concurrency: 2 });
    const blocks = await client.getBlockList("committed");
    expect(blocks.committedBlocks?.length).toBe(5);
    const back = await client.downloadToBuffer();
    expect(createHash("sha256").update(back).digest("hex")).toBe(createHash("sha256").update(data).digest("hex"));
    const slice = await client.download(1000, 24);
    expect(slice.contentRange).toBe(`bytes 1000-1023/${data.length}`);
    expect(Buffer.from(await new Response(slice.readableStreamBody as any).arrayBuffer()).equals(data.subarray(1000, 1024))).toBe(true);
  });

  it("conditional writes and reads: If-None-Match * on an existing blob is 409 BlobAlreadyExists, a stale If-Match is 412", async () => {
    const blob = admin.getContainerClient("docs").getBlockBlobClient("dir/a.txt");
    const exists = await blob.upload("again", 5, { conditions: { ifNoneMatch: "*" } }).catch((e) => e);
    expect([exists.statusCode, exists.code]).toEqual([409, "BlobAlreadyExists"]);
    const { etag } = await blob.getProperties();
    await blob.upload("newer", 5, { conditions: { ifMatch: etag } });
    const stale = await blob.upload("stale", 5, { conditions: { ifMatch: etag } }).catch((e) => e);
    expect([stale.statusCode, stale.code]).toEqual([412, "ConditionNotMet"]);
  });

  it("the account also answers by host name ({account}.blob.{suffix}), the certificate naming it", async () => {
    const port = new URL(emulator.endpoints.storage!).port;
    const token = (await emulator.adminCredential().getToken("https://storage.azure.com/.default"))!.token;
    const byName = await raw(`https://127.0.0.1:${port}/docs/dir/a.txt`, { host: `${ACCOUNT}.blob.localhost:${port}`, "x-ms-version": "2025-01-05", authorization: `Bearer ${token}` }, "GET", `${ACCOUNT}.blob.localhost`);
    expect([byName.status, byName.body]).toEqual([200, "newer"]);
  });
});

describe("the account's end", () => {
  it("deleting the account deletes its containers and blobs", async () => {
    const deleted = await emulator.arm("DELETE", `${accountId}?api-version=${STORAGE_API}`);
    expect([200, 204]).toContain(deleted.status);
    const gone = await raw(`${blobUrl}docs?restype=container`, { "x-ms-version": "2025-01-05" });
    expect(gone.status).toBe(404);
    const again = await emulator.arm("PUT", `${accountId}?api-version=${STORAGE_API}`, { location: "westus", kind: "StorageV2", sku: { name: "Standard_LRS" } });
    expect([200, 201]).toContain(again.status);
    const names: string[] = [];
    for await (const c of admin.listContainers()) names.push(c.name);
    expect(names).toEqual([]);
  });
});
