// What every operation handler receives, and the small helpers they share for reading headers
// and answering in the Blob service's forms.
import type { StubOf } from "../../../shared/durable";
import { StorageError, StorageErrors } from "../../../shared/errors/storage";
import type { Outcome } from "../../../shared/outcome";
import type { StorageAccountConfiguration } from "../../../shared/rpc";
import type { StorageAccountObject } from "./account-object";
import type { StorageCaller } from "./authentication";
import type { StorageEnv } from "./env";
import { httpDate, type BlobHttpProperties, type BlobRecord, type ContainerRecord } from "./model";
import { metadataHeaders } from "./names";

export interface StorageRequest {
  raw: Request;
  env: StorageEnv;
  method: string;
  url: URL;
  query: URLSearchParams;
  account: StorageAccountConfiguration;
  /** Lower-case. */
  accountName: string;
  /** The account's base URL as addressed (no trailing slash). */
  accountBase: string;
  container: string | null;
  blob: string | null;
  caller: StorageCaller;
  object: StubOf<StorageAccountObject>;
}

export function unwrap<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw StorageError.fromRefusal(outcome.refusal);
  return outcome.value;
}

export function header(req: StorageRequest, name: string): string | null {
  return req.raw.headers.get(name);
}

export function respond(status: number, headers: Record<string, string | null | undefined> = {}, body: BodyInit | null = null): Response {
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) if (value !== null && value !== undefined) out.set(name, value);
  return new Response(body, { status, headers: out });
}

export function xmlResponse(xml: string, headers: Record<string, string | null> = {}): Response {
  return respond(200, { "content-type": "application/xml", ...headers }, xml);
}

/** A base64 MD5 (16 bytes) from a header, or 400 InvalidHeaderValue. */
export function md5Header(req: StorageRequest, name: string): string | null {
  const value = header(req, name);
  if (value === null || value === "") return null;
  if (!/^[A-Za-z0-9+/]{22}==$/.test(value)) throw StorageErrors.invalidHeaderValue(name, value);
  return value;
}

/** x-ms-blob-content-* (falling back to the standard headers for Put Blob, as the service does). */
export function blobHttpProperties(req: StorageRequest, fallbackToStandard: boolean): BlobHttpProperties {
  const pick = (blobHeader: string, standard: string | null) => header(req, blobHeader) ?? (fallbackToStandard && standard ? header(req, standard) : null);
  return {
    contentType: pick("x-ms-blob-content-type", "content-type"),
    contentEncoding: pick("x-ms-blob-content-encoding", "content-encoding"),
    contentLanguage: pick("x-ms-blob-content-language", "content-language"),
    contentMd5: md5Header(req, "x-ms-blob-content-md5"),
    cacheControl: pick("x-ms-blob-cache-control", "cache-control"),
    contentDisposition: pick("x-ms-blob-content-disposition", null),
  };
}

export function containerHeaders(c: ContainerRecord): Record<string, string> {
  return { etag: `"${c.etag}"`, "last-modified": httpDate(c.lastModifiedMs) };
}

/** The headers of Get Blob / Get Blob Properties. */
export function blobHeaders(b: BlobRecord): Record<string, string | null> {
  return {
    etag: `"${b.etag}"`,
    "last-modified": httpDate(b.lastModifiedMs),
    "x-ms-creation-time": httpDate(b.createdMs),
    "x-ms-blob-type": "BlockBlob",
    "x-ms-lease-state": "available",
    "x-ms-lease-status": "unlocked",
    "x-ms-server-encrypted": "true",
    "x-ms-access-tier": "Hot",
    "x-ms-access-tier-inferred": "true",
    "accept-ranges": "bytes",
    "content-type": b.contentType ?? "application/octet-stream",
    "content-encoding": b.contentEncoding,
    "content-language": b.contentLanguage,
    "cache-control": b.cacheControl,
    "content-disposition": b.contentDisposition,
    ...metadataHeaders(b.metadata),
  };
}

/** Writes naming a lease: no lease is ever held here, so Azure's 412 for "no lease present". */
export function refuseLeaseId(req: StorageRequest, what: "blob" | "container"): void {
  if (header(req, "x-ms-lease-id") === null) return;
  throw what === "blob"
    ? new StorageError(412, "LeaseNotPresentWithBlobOperation", "There is currently no lease on the blob.")
    : new StorageError(412, "LeaseNotPresentWithContainerOperation", "There is currently no lease on the container.");
}

/** List parameters: maxresults 1..; above 5000 the service answers 5000. */
export function maxResults(req: StorageRequest): { requested: number | null; effective: number } {
  const raw = req.query.get("maxresults");
  if (raw === null) return { requested: null, effective: 5000 };
  if (!/^\d+$/.test(raw)) throw StorageErrors.invalidQueryParameterValue("maxresults", raw);
  const n = Number(raw);
  if (n < 1 || n > 2147483647) throw StorageErrors.outOfRangeQueryParameterValue("maxresults", raw, 1, 2147483647);
  return { requested: n, effective: Math.min(n, 5000) };
}

/** include=a,b,c: only the values the service knows; those the emulator has nothing for list nothing extra. */
export function includeSet(req: StorageRequest, known: readonly string[]): Set<string> {
  const raw = req.query.get("include");
  const out = new Set<string>();
  if (raw === null || raw === "") return out;
  for (const part of raw.split(",")) {
    const value = part.trim().toLowerCase();
    if (!known.includes(value)) throw StorageErrors.invalidQueryParameterValue("include", raw);
    out.add(value);
  }
  return out;
}
