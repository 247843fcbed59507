// Byte ranges of Get Blob: x-ms-range wins over Range; both take "bytes=start-end" or
// "bytes=start-" (the service does not take suffix ranges "bytes=-n"). A range starting at or
// past the end of the blob is 416 InvalidRange; an end past it is clipped. A malformed Range is
// ignored (the whole blob, as HTTP says); a malformed x-ms-range is 400 InvalidHeaderValue. Pure.
import { StorageErrors } from "../../../shared/errors/storage";

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

function parse(value: string): { start: number; end: number | null } | null {
  const match = /^\s*bytes\s*=\s*(\d+)\s*-\s*(\d*)\s*$/i.exec(value);
  if (!match) return null;
  const start = Number(match[1]);
  const end = match[2] ? Number(match[2]) : null;
  if (!Number.isSafeInteger(start) || (end !== null && (!Number.isSafeInteger(end) || end < start))) return null;
  return { start, end };
}

/** The range to serve of a blob of `size` bytes, or null for the whole blob. */
export function requestedRange(headers: { xMsRange: string | null; range: string | null }, size: number): ByteRange | null {
  let parsed: { start: number; end: number | null } | null = null;
  if (headers.xMsRange !== null) {
    parsed = parse(headers.xMsRange);
    if (!parsed) throw StorageErrors.invalidHeaderValue("x-ms-range", headers.xMsRange);
  } else if (headers.range !== null) {
    parsed = parse(headers.range);
    if (!parsed) return null;
  }
  if (!parsed) return null;
  if (parsed.start >= size) throw StorageErrors.invalidRange();
  return { start: parsed.start, end: Math.min(parsed.end ?? size - 1, size - 1) };
}

export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`;
}
