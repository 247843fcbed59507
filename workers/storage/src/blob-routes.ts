// Blob operations (/{account}/{container}/{blob}, no restype):
//   PUT                     Put Blob (BlockBlob)     blobs/add/action or blobs/write (new), blobs/write (overwrite)
//   PUT  ?comp=block        Put Block                blobs/write
//   PUT  ?comp=blocklist    Put Block List           as Put Blob
//   GET  ?comp=blocklist    Get Block List           blobs/read
//   GET                     Get Blob (ranges: 206)   blobs/read; anonymous: Blob or Container access
//   HEAD                    Get Blob Properties      blobs/read; anonymous likewise
//   DELETE                  Delete Blob (202)        blobs/delete
//   PUT|GET|HEAD ?comp=metadata  Set/Get Blob Metadata   blobs/write / blobs/read
//   PUT  ?comp=properties   Set Blob Properties      blobs/write
// Every input is validated before anything is written; bytes stream (blob-bytes.ts).
// Page and append blobs, snapshots, versions, leases, tiers, tags, copies and blobs from URLs
// answer 501 NotImplemented naming what is not emulated.
import { StorageError, StorageErrors } from "../../../shared/errors/storage";
import { STORAGE_MAX_BODY_BYTES, readBodyText, BodyRefused } from "../../../shared/request-limits";
import type { BlobWrite } from "./account-object";
import { composeBlocks, newObjectKey, objectMd5, storeBody } from "./blob-bytes";
import { conditionHeaders, evaluateConditions, hasConditions, type ConditionHeaders } from "./conditions";
import { blobHeaders, blobHttpProperties, header, md5Header, refuseLeaseId, respond, unwrap, type StorageRequest } from "./context";
import { httpDate, type BlobRecord, type ContainerRecord } from "./model";
import { blockIdLength, metadataHeaders, readMetadata, requireBlobName, requireContainerName } from "./names";
import { DataActions, authorize, containerScope, type Permission } from "./permissions";
import { contentRange, requestedRange } from "./ranges";
import { blockListXml, parseBlockList } from "./xml";

/** Put Blob takes up to 5000 MiB, Put Block 4000 MiB (service versions ≥ 2019-12-12). */
export const MAX_PUT_BLOB_BYTES = STORAGE_MAX_BODY_BYTES;
export const MAX_PUT_BLOCK_BYTES = 4000 * 1024 * 1024;
/** A Put Block List body: 50,000 entries of ~110 bytes each fit well within this. */
const MAX_BLOCK_LIST_BYTES = 8 * 1024 * 1024;
/** x-ms-range-get-content-md5 is allowed for ranges up to 4 MiB. */
const MAX_RANGE_MD5_BYTES = 4 * 1024 * 1024;

const blobScope = (req: StorageRequest, container: string) => containerScope(req.account, container);

function names(req: StorageRequest): { container: string; blob: string } {
  const container = req.container!;
  const blob = req.blob!;
  requireContainerName(container);
  requireBlobName(blob);
  return { container, blob };
}

/** What this emulator does not do, refused before anything else looks at the request. */
function refuseUnemulated(req: StorageRequest): void {
  if (req.query.has("snapshot")) throw StorageErrors.notImplemented("blob snapshots");
  if (req.query.has("versionid")) throw StorageErrors.notImplemented("blob versions");
  if (header(req, "x-ms-encryption-key") !== null) throw StorageErrors.notImplemented("customer-provided encryption keys");
  if (header(req, "x-ms-encryption-scope") !== null) throw StorageErrors.notImplemented("encryption scopes");
}

export async function handleBlob(req: StorageRequest): Promise<Response> {
  refuseUnemulated(req);
  const comp = req.query.get("comp");
  const { container, blob } = names(req);
  switch (comp) {
    case null:
      if (req.method === "PUT") return putBlob(req, container, blob);
      if (req.method === "GET" || req.method === "HEAD") return getBlob(req, container, blob);
      if (req.method === "DELETE") return deleteBlob(req, container, blob);
      break;
    case "block":
      if (req.method === "PUT") return putBlock(req, container, blob);
      break;
    case "blocklist":
      if (req.method === "PUT") return putBlockList(req, container, blob);
      if (req.method === "GET") return getBlockList(req, container, blob);
      break;
    case "metadata":
      if (req.method === "PUT") return setBlobMetadata(req, container, blob);
      if (req.method === "GET" || req.method === "HEAD") return getBlobMetadata(req, container, blob);
      break;
    case "properties":
      if (req.method === "PUT") return setBlobProperties(req, container, blob);
      break;
    case "lease":
      throw StorageErrors.notImplemented("blob leases (comp=lease)");
    case "snapshot":
      throw StorageErrors.notImplemented("blob snapshots (comp=snapshot)");
    case "tier":
      throw StorageErrors.notImplemented("access tiers (comp=tier)");
    case "tags":
      throw StorageErrors.notImplemented("blob index tags (comp=tags)");
    case "copy":
      throw StorageErrors.notImplemented("copy operations (comp=copy)");
    case "appendblock":
    case "seal":
      throw StorageErrors.notImplemented("append blobs");
    case "page":
    case "pagelist":
      throw StorageErrors.notImplemented("page blobs");
    case "immutabilityPolicies":
    case "legalhold":
      throw StorageErrors.notImplemented("immutability policies and legal holds");
    default:
      throw StorageErrors.invalidQueryParameterValue("comp", comp);
  }
  throw StorageErrors.unsupportedHttpVerb(req.method);
}

/** The declared body length of an upload, within `limit`: 411 without one, 413 above. */
function uploadLength(req: StorageRequest, limit: number): number {
  const value = header(req, "content-length");
  if (value === null) throw StorageErrors.missingContentLength();
  if (!/^\d+$/.test(value)) throw StorageErrors.invalidHeaderValue("Content-Length", value);
  const length = Number(value);
  if (length > limit) throw StorageErrors.requestBodyTooLarge(limit);
  return length;
}

/**
 * Creating a blob needs blobs/add/action or blobs/write, replacing one blobs/write (Azure's rule:
 * the add action cannot overwrite). Anonymous writes are never allowed.
 */
function writePermission(req: StorageRequest, container: string, exists: boolean): Permission {
  return {
    kind: "dataAction",
    names: exists ? [DataActions.blobWrite] : [DataActions.blobWrite, DataActions.blobAdd],
    scope: blobScope(req, container),
  };
}

/** The container must exist and the write's conditions hold against the blob as it is now (a cheap refusal before any bytes move; the commit checks again). */
async function precheckWrite(req: StorageRequest, container: string, blob: string, conditions: ConditionHeaders): Promise<{ exists: boolean }> {
  const found = await req.object.lookup(container, blob);
  if (!found.container) throw StorageErrors.containerNotFound();
  await authorize(req, writePermission(req, container, found.blob !== null));
  if (hasConditions(conditions)) {
    const outcome = evaluateConditions(conditions, found.blob, "write");
    if (!outcome.ok) throw outcome.status === 409 ? StorageErrors.blobAlreadyExists() : StorageErrors.conditionNotMet();
  }
  return { exists: found.blob !== null };
}

function writeResponse(record: BlobRecord, extra: Record<string, string | null> = {}): Response {
  return respond(201, {
    etag: `"${record.etag}"`,
    "last-modified": httpDate(record.lastModifiedMs),
    "x-ms-request-server-encrypted": "true",
    ...extra,
  });
}

async function putBlob(req: StorageRequest, container: string, blob: string): Promise<Response> {
  if (header(req, "x-ms-copy-source") !== null) throw StorageErrors.notImplemented("Put Blob From URL (x-ms-copy-source)");
  const blobType = header(req, "x-ms-blob-type");
  if (blobType === null) throw StorageErrors.missingRequiredHeader("x-ms-blob-type");
  if (blobType === "PageBlob") throw StorageErrors.notImplemented("page blobs");
  if (blobType === "AppendBlob") throw StorageErrors.notImplemented("append blobs");
  if (blobType !== "BlockBlob") throw StorageErrors.invalidHeaderValue("x-ms-blob-type", blobType);
  if (header(req, "x-ms-tags") !== null) throw StorageErrors.notImplemented("blob index tags (x-ms-tags)");
  refuseLeaseId(req, "blob");
  const length = uploadLength(req, MAX_PUT_BLOB_BYTES);
  const transactionalMd5 = md5Header(req, "content-md5");
  const write: BlobWrite = { properties: blobHttpProperties(req, true), metadata: readMetadata(req.raw.headers) };
  const conditions = conditionHeaders(req.raw.headers);
  await precheckWrite(req, container, blob, conditions);

  const { key, md5 } = await storeRequestBody(req, "blob", length, transactionalMd5);
  // Put Blob stores the MD5 the client named, else the one computed over the body.
  write.properties.contentMd5 ??= md5;
  const record = unwrap(await req.object.commitBlob(container, blob, key, length, write, conditions));
  return writeResponse(record, { "content-md5": md5 });
}

/**
 * Streams the request body to a fresh object (a blob version or a staged block) and checks the
 * transactional MD5 the client sent against the one computed; a mismatch abandons the object.
 */
async function storeRequestBody(req: StorageRequest, kind: "blob" | "block", length: number, transactionalMd5: string | null) {
  const key = newObjectKey(req.accountName, kind);
  const stored = await storeBody(req.env, req.object, key, req.raw.body, length);
  const md5 = objectMd5(stored);
  if (transactionalMd5 && md5 && transactionalMd5 !== md5) {
    await req.object.abandonUpload(key);
    throw StorageErrors.md5Mismatch(transactionalMd5, md5);
  }
  return { key, md5 };
}

async function putBlock(req: StorageRequest, container: string, blob: string): Promise<Response> {
  const blockId = req.query.get("blockid");
  if (blockId === null) throw StorageErrors.missingRequiredQueryParameter("blockid");
  blockIdLength(blockId);
  refuseLeaseId(req, "blob");
  const length = uploadLength(req, MAX_PUT_BLOCK_BYTES);
  const transactionalMd5 = md5Header(req, "content-md5");
  const found = await req.object.lookup(container, blob);
  if (!found.container) throw StorageErrors.containerNotFound();
  await authorize(req, writePermission(req, container, true));

  const { key, md5 } = await storeRequestBody(req, "block", length, transactionalMd5);
  unwrap(await req.object.stageBlock(container, blob, blockId, key, length));
  return respond(201, { "content-md5": md5, "x-ms-request-server-encrypted": "true" });
}

async function putBlockList(req: StorageRequest, container: string, blob: string): Promise<Response> {
  if (header(req, "x-ms-tags") !== null) throw StorageErrors.notImplemented("blob index tags (x-ms-tags)");
  refuseLeaseId(req, "blob");
  let body: string;
  try {
    body = await readBodyText(req.raw, MAX_BLOCK_LIST_BYTES);
  } catch (err) {
    if (err instanceof BodyRefused) throw err.refusal.kind === "tooLarge" ? StorageErrors.requestBodyTooLarge(MAX_BLOCK_LIST_BYTES) : StorageErrors.invalidXml();
    throw err;
  }
  const entries = parseBlockList(body);
  if (entries.length > 50_000) throw StorageErrors.blockListTooLong();
  const properties = blobHttpProperties(req, false);
  const write: BlobWrite = { properties, metadata: readMetadata(req.raw.headers) };
  const conditions = conditionHeaders(req.raw.headers);
  await precheckWrite(req, container, blob, conditions);

  const plan = unwrap(await req.object.planBlockList(container, blob, entries, conditions));
  const key = newObjectKey(req.accountName, "blob");
  await composeBlocks(req.env, req.object, key, plan);
  const record = unwrap(await req.object.commitBlockList(container, blob, key, plan, write, conditions));
  return writeResponse(record);
}

async function getBlockList(req: StorageRequest, container: string, blob: string): Promise<Response> {
  const type = (req.query.get("blocklisttype") ?? "committed").toLowerCase();
  if (!["committed", "uncommitted", "all"].includes(type)) throw StorageErrors.invalidQueryParameterValue("blocklisttype", type);
  await authorize(req, { kind: "dataAction", names: [DataActions.blobRead], scope: blobScope(req, container) });
  const result = unwrap(
    await req.object.getBlockList(container, blob, { committed: type !== "uncommitted", uncommitted: type !== "committed" }),
  );
  const headers: Record<string, string | null> = { "content-type": "application/xml" };
  if (result.blob) {
    headers.etag = `"${result.blob.etag}"`;
    headers["last-modified"] = httpDate(result.blob.lastModifiedMs);
    headers["x-ms-blob-content-length"] = String(result.blob.size);
  }
  return respond(200, headers, blockListXml(result.committed, result.uncommitted));
}

/** Reads: the blob (or 404), then authorization, then conditions (304 / 412). */
async function readableBlob(req: StorageRequest, container: string, blob: string): Promise<BlobRecord> {
  const found = await req.object.lookup(container, blob);
  await authorize(req, { kind: "dataAction", names: [DataActions.blobRead], scope: blobScope(req, container) }, "blob", found.container as ContainerRecord | null);
  if (!found.container) throw StorageErrors.containerNotFound();
  if (!found.blob) throw StorageErrors.blobNotFound();
  const outcome = evaluateConditions(conditionHeaders(req.raw.headers), found.blob, "read");
  if (!outcome.ok) {
    if (outcome.status === 304) {
      throw new StorageError(304, "ConditionNotMet", "The condition specified using HTTP conditional header(s) is not met.", {}, {
        etag: `"${found.blob.etag}"`,
        "last-modified": httpDate(found.blob.lastModifiedMs),
      });
    }
    throw StorageErrors.conditionNotMet();
  }
  return found.blob;
}

async function getBlob(req: StorageRequest, container: string, blob: string): Promise<Response> {
  const xMsRange = header(req, "x-ms-range");
  const rangeMd5 = header(req, "x-ms-range-get-content-md5") === "true";
  let record = await readableBlob(req, container, blob);
  if (req.method === "HEAD") return respond(200, { ...blobHeaders(record), "content-length": String(record.size), "content-md5": record.contentMd5 });
  const range = requestedRange({ xMsRange, range: header(req, "range") }, record.size);
  if (rangeMd5 && (!range || range.end - range.start + 1 > MAX_RANGE_MD5_BYTES)) throw StorageErrors.outOfRangeInput();
  const headers = blobHeaders(record);
  const length = range ? range.end - range.start + 1 : record.size;
  headers["content-length"] = String(length);
  if (range) {
    headers["content-range"] = contentRange(range, record.size);
    headers["x-ms-blob-content-md5"] = record.contentMd5;
  } else {
    headers["content-md5"] = record.contentMd5;
  }
  const status = range ? 206 : 200;
  if (length === 0) return respond(status, headers, null);

  const options: R2GetOptions = range ? { range: { offset: range.start, length } } : {};
  let body = await req.env.BLOBS.get(record.objectKey, options);
  if (!body) {
    // A write replaced the blob between the lookup and the read (its old object is gone): read again.
    record = await readableBlob(req, container, blob);
    body = await req.env.BLOBS.get(record.objectKey, options);
    if (!body) throw StorageErrors.operationConflict();
    Object.assign(headers, blobHeaders(record));
  }
  if (rangeMd5) {
    const bytes = await body.arrayBuffer();
    const digest = await crypto.subtle.digest("MD5", bytes);
    headers["content-md5"] = btoa(String.fromCharCode(...new Uint8Array(digest)));
    return respond(status, headers, bytes);
  }
  return respond(status, headers, body.body);
}

async function deleteBlob(req: StorageRequest, container: string, blob: string): Promise<Response> {
  refuseLeaseId(req, "blob");
  const snapshots = header(req, "x-ms-delete-snapshots");
  if (snapshots !== null && snapshots !== "include" && snapshots !== "only") throw StorageErrors.invalidHeaderValue("x-ms-delete-snapshots", snapshots);
  const conditions = conditionHeaders(req.raw.headers);
  await authorize(req, { kind: "dataAction", names: [DataActions.blobDelete], scope: blobScope(req, container) });
  unwrap(await req.object.deleteBlob(container, blob, conditions));
  return respond(202, { "x-ms-delete-type-permanent": "true" });
}

async function setBlobMetadata(req: StorageRequest, container: string, blob: string): Promise<Response> {
  refuseLeaseId(req, "blob");
  const metadata = readMetadata(req.raw.headers);
  const conditions = conditionHeaders(req.raw.headers);
  await authorize(req, { kind: "dataAction", names: [DataActions.blobWrite], scope: blobScope(req, container) });
  const record = unwrap(await req.object.setBlobMetadata(container, blob, metadata, conditions));
  return respond(200, { etag: `"${record.etag}"`, "last-modified": httpDate(record.lastModifiedMs), "x-ms-request-server-encrypted": "true" });
}

async function getBlobMetadata(req: StorageRequest, container: string, blob: string): Promise<Response> {
  const record = await readableBlob(req, container, blob);
  return respond(200, { etag: `"${record.etag}"`, "last-modified": httpDate(record.lastModifiedMs), ...metadataHeaders(record.metadata) });
}

async function setBlobProperties(req: StorageRequest, container: string, blob: string): Promise<Response> {
  refuseLeaseId(req, "blob");
  if (header(req, "x-ms-blob-content-length") !== null) throw StorageErrors.notImplemented("resizing page blobs (x-ms-blob-content-length)");
  // Set Blob Properties replaces all x-ms-blob-content-* properties: the ones not sent are cleared.
  const properties = blobHttpProperties(req, false);
  const conditions = conditionHeaders(req.raw.headers);
  await authorize(req, { kind: "dataAction", names: [DataActions.blobWrite], scope: blobScope(req, container) });
  const record = unwrap(await req.object.setBlobProperties(container, blob, properties, conditions));
  return respond(200, { etag: `"${record.etag}"`, "last-modified": httpDate(record.lastModifiedMs) });
}
