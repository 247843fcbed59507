// Get Blob's byte ranges and the conditional headers, as the Blob service evaluates them.
import { describe, expect, it } from "vitest";
import { StorageError } from "../../shared/errors/storage";
import { evaluateConditions, type ConditionHeaders } from "../../workers/storage/src/conditions";
import { contentRange, requestedRange } from "../../workers/storage/src/ranges";

function status(f: () => unknown): string | null {
  try {
    f();
    return null;
  } catch (err) {
    return err instanceof StorageError ? `${err.status} ${err.code}` : String(err);
  }
}

describe("ranges", () => {
  const range = (xMsRange: string | null, r: string | null, size: number) => requestedRange({ xMsRange, range: r }, size);

  it("serves bytes=s-e and bytes=s-, clipping the end to the blob", () => {
    expect(range(null, null, 10)).toBeNull();
    expect(range(null, "bytes=0-4", 10)).toEqual({ start: 0, end: 4 });
    expect(range(null, "bytes=5-", 10)).toEqual({ start: 5, end: 9 });
    expect(range(null, "bytes=8-100", 10)).toEqual({ start: 8, end: 9 });
    expect(contentRange({ start: 8, end: 9 }, 10)).toBe("bytes 8-9/10");
  });

  it("prefers x-ms-range over Range", () => {
    expect(range("bytes=1-2", "bytes=0-9", 10)).toEqual({ start: 1, end: 2 });
  });

  it("answers 416 InvalidRange for a start at or past the end", () => {
    expect(status(() => range(null, "bytes=10-", 10))).toBe("416 InvalidRange");
    expect(status(() => range("bytes=0-0", null, 0))).toBe("416 InvalidRange");
  });

  it("ignores a malformed Range but refuses a malformed x-ms-range", () => {
    expect(range(null, "bytes=-5", 10)).toBeNull();
    expect(range(null, "bytes=5-2", 10)).toBeNull();
    expect(range(null, "items=0-1", 10)).toBeNull();
    expect(status(() => range("bytes=-5", null, 10))).toBe("400 InvalidHeaderValue");
  });
});

describe("conditional headers", () => {
  const blob = { etag: "0x8DC0000000000001", lastModifiedMs: Date.parse("Mon, 01 Jan 2024 00:00:00 GMT") + 500 };
  const none: ConditionHeaders = { ifMatch: null, ifNoneMatch: null, ifModifiedSince: null, ifUnmodifiedSince: null };
  const check = (c: Partial<ConditionHeaders>, target: typeof blob | null, kind: "read" | "write") => evaluateConditions({ ...none, ...c }, target, kind);

  it("If-Match: exact etag (quoted or not) or '*'; otherwise 412", () => {
    expect(check({ ifMatch: '"0x8DC0000000000001"' }, blob, "read")).toEqual({ ok: true });
    expect(check({ ifMatch: "*" }, blob, "write")).toEqual({ ok: true });
    expect(check({ ifMatch: '"0x8DC0000000000002"' }, blob, "read")).toEqual({ ok: false, status: 412 });
    expect(check({ ifMatch: "*" }, null, "write")).toEqual({ ok: false, status: 412 });
  });

  it("If-None-Match: 304 on reads that match, 412 on writes, 409 for '*' on an existing blob write", () => {
    expect(check({ ifNoneMatch: '"0x8DC0000000000001"' }, blob, "read")).toEqual({ ok: false, status: 304 });
    expect(check({ ifNoneMatch: '"0x8DC0000000000001"' }, blob, "write")).toEqual({ ok: false, status: 412 });
    expect(check({ ifNoneMatch: "*" }, blob, "write")).toEqual({ ok: false, status: 409 });
    expect(check({ ifNoneMatch: "*" }, null, "write")).toEqual({ ok: true });
    expect(check({ ifNoneMatch: '"other"' }, blob, "read")).toEqual({ ok: true });
  });

  it("If-Modified-Since / If-Unmodified-Since compare at one-second precision", () => {
    expect(check({ ifModifiedSince: "Mon, 01 Jan 2024 00:00:00 GMT" }, blob, "read")).toEqual({ ok: false, status: 304 });
    expect(check({ ifModifiedSince: "Sun, 31 Dec 2023 23:59:59 GMT" }, blob, "read")).toEqual({ ok: true });
    expect(check({ ifModifiedSince: "Mon, 01 Jan 2024 00:00:00 GMT" }, blob, "write")).toEqual({ ok: false, status: 412 });
    expect(check({ ifUnmodifiedSince: "Mon, 01 Jan 2024 00:00:00 GMT" }, blob, "write")).toEqual({ ok: true });
    expect(check({ ifUnmodifiedSince: "Sun, 31 Dec 2023 23:59:59 GMT" }, blob, "write")).toEqual({ ok: false, status: 412 });
    expect(check({ ifModifiedSince: "not a date" }, blob, "read")).toEqual({ ok: true });
  });

  it("checks the 412 conditions before the 304 ones", () => {
    expect(check({ ifMatch: '"nope"', ifNoneMatch: '"0x8DC0000000000001"' }, blob, "read")).toEqual({ ok: false, status: 412 });
  });
});
