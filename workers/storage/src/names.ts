// Names and metadata, as the Blob service checks them (service version ≥ 2019-12-12):
// containers 3-63 of [a-z0-9-], starting and ending with a letter or digit, no "--" ($root,
// $web and $logs are the special names); blob names 1-1024 characters; metadata names C#
// identifiers, compared case-insensitively, with all names and values ≤ 8 KB together.
// Pure: no runtime imports, so the unit tests load it in Node.
import { StorageErrors } from "../../../shared/errors/storage";

export const SPECIAL_CONTAINERS = ["$root", "$web", "$logs"];

export function isValidContainerName(name: string): boolean {
  if (SPECIAL_CONTAINERS.includes(name)) return true;
  return name.length >= 3 && name.length <= 63 && /^[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$/.test(name);
}

/** Throws 400 InvalidResourceName (Azure's answer for a malformed container name). */
export function requireContainerName(name: string): void {
  if (!isValidContainerName(name)) throw StorageErrors.invalidResourceName();
}

export const MAX_BLOB_NAME_LENGTH = 1024;

export function isValidBlobName(name: string): boolean {
  // Length counts UTF-16 code units, as the .NET service does.
  return name.length >= 1 && name.length <= MAX_BLOB_NAME_LENGTH;
}

/** Blob names: 1-1024 characters; a longer one is 400 OutOfRangeInput (an input past its documented limit). */
export function requireBlobName(name: string): void {
  if (!isValidBlobName(name)) throw StorageErrors.outOfRangeInput();
}

/** A C# identifier (ASCII subset): a letter or underscore, then letters, digits, underscores. */
export function isValidMetadataName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

export const MAX_METADATA_BYTES = 8 * 1024;
const META_PREFIX = "x-ms-meta-";

/**
 * The x-ms-meta-* headers of a request as metadata (names lower-cased, as HTTP headers arrive).
 * Throws 400 InvalidMetadata for a name that is not a C# identifier or a duplicate, 400
 * MetadataTooLarge past 8 KB.
 */
export function readMetadata(headers: Headers): Record<string, string> {
  const metadata: Record<string, string> = {};
  let bytes = 0;
  const encoder = new TextEncoder();
  for (const [header, value] of headers) {
    const lower = header.toLowerCase();
    if (!lower.startsWith(META_PREFIX)) continue;
    const name = lower.slice(META_PREFIX.length);
    if (!isValidMetadataName(name)) throw StorageErrors.invalidMetadata();
    metadata[name] = value;
    bytes += encoder.encode(name).length + encoder.encode(value).length;
  }
  if (bytes > MAX_METADATA_BYTES) throw StorageErrors.metadataTooLarge();
  return metadata;
}

/** Metadata validated the same way, for Resource Manager's container PUT (returns a reason, never throws). */
export function metadataProblem(metadata: Record<string, string>): string | null {
  let bytes = 0;
  const encoder = new TextEncoder();
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(metadata)) {
    if (!isValidMetadataName(name)) return `The metadata name '${name}' is not a valid C# identifier.`;
    if (seen.has(name.toLowerCase())) return `The metadata name '${name}' is given twice.`;
    seen.add(name.toLowerCase());
    if (typeof value !== "string") return `The metadata value of '${name}' is not a string.`;
    bytes += encoder.encode(name).length + encoder.encode(value).length;
  }
  return bytes > MAX_METADATA_BYTES ? "The metadata exceeds 8 KB." : null;
}

/** Metadata as response headers. */
export function metadataHeaders(metadata: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).map(([name, value]) => [`${META_PREFIX}${name}`, value]));
}

export const MAX_BLOCK_ID_BYTES = 64;

/**
 * A block id as sent (base64 of at most 64 bytes). Returns the decoded length; throws 400
 * InvalidQueryParameterValue for anything else (Azure's answer to a bad blockid parameter).
 */
export function blockIdLength(blockId: string): number {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(blockId) || blockId.length === 0 || blockId.length % 4 !== 0) {
    throw StorageErrors.invalidQueryParameterValue("blockid", blockId);
  }
  const padding = blockId.endsWith("==") ? 2 : blockId.endsWith("=") ? 1 : 0;
  const bytes = (blockId.length / 4) * 3 - padding;
  if (bytes > MAX_BLOCK_ID_BYTES) throw StorageErrors.invalidQueryParameterValue("blockid", blockId);
  return bytes;
}
