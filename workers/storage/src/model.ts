// The records the account object keeps and the routes answer from. Pure types and helpers.
import type { BlobContainerView } from "../../../shared/rpc";

export interface ContainerRecord {
  name: string;
  /** Unquoted, e.g. 0x8DC2A1B3C4D5E6F. */
  etag: string;
  lastModifiedMs: number;
  publicAccess: "None" | "Blob" | "Container";
  metadata: Record<string, string>;
}

/** The x-ms-blob-content-* properties a client sets (null: not set). */
export interface BlobHttpProperties {
  contentType: string | null;
  contentEncoding: string | null;
  contentLanguage: string | null;
  /** base64 of the 16-byte MD5, as Content-MD5 carries it. */
  contentMd5: string | null;
  cacheControl: string | null;
  contentDisposition: string | null;
}

export interface BlobRecord extends BlobHttpProperties {
  container: string;
  name: string;
  etag: string;
  createdMs: number;
  lastModifiedMs: number;
  size: number;
  metadata: Record<string, string>;
  /** The R2 key holding this version's bytes (a fresh key per committed version). */
  objectKey: string;
}

/** A committed block: where its bytes sit in the blob's object. */
export interface CommittedBlock {
  id: string;
  size: number;
  offset: number;
}

export interface UncommittedBlock {
  id: string;
  size: number;
  objectKey: string;
}

/** One entry of a listing: a blob, or (with a delimiter) the prefix that stands for many. */
export type BlobListEntry = { kind: "blob"; blob: BlobRecord } | { kind: "prefix"; name: string };

export interface ListResult<T> {
  items: T[];
  /** Opaque continuation (NextMarker), or "" on the last page. */
  nextMarker: string;
}

export function containerView(record: ContainerRecord): BlobContainerView {
  return {
    name: record.name,
    etag: record.etag,
    lastModified: new Date(record.lastModifiedMs).toISOString(),
    publicAccess: record.publicAccess,
    metadata: record.metadata,
  };
}

/** Azure's header date form (RFC 1123), e.g. "Mon, 01 Jan 2024 00:00:00 GMT". */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** x-ms-blob-public-access ↔ the contract's publicAccess. */
export function publicAccessFromHeader(value: string | null): ContainerRecord["publicAccess"] | null {
  if (value === null || value === "") return "None";
  if (value === "container") return "Container";
  if (value === "blob") return "Blob";
  return null;
}

export function publicAccessHeader(access: ContainerRecord["publicAccess"]): string | null {
  return access === "Container" ? "container" : access === "Blob" ? "blob" : null;
}
