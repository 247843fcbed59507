// Conditional headers (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since) as the
// Blob service evaluates them: ETags compare as exact strings ('*' = any existing resource),
// dates at the one-second precision of Last-Modified. Reads answer 304 where a GET would be
// "not modified"; writes answer 412 ConditionNotMet, and If-None-Match: * on an existing blob
// 409 BlobAlreadyExists (what createIfNotExists-style helpers expect). Pure.

export interface ConditionTarget {
  /** Unquoted, as stored. */
  etag: string;
  lastModifiedMs: number;
}

export interface ConditionHeaders {
  ifMatch: string | null;
  ifNoneMatch: string | null;
  ifModifiedSince: string | null;
  ifUnmodifiedSince: string | null;
}

export type ConditionOutcome = { ok: true } | { ok: false; status: 304 | 409 | 412 };

export function conditionHeaders(headers: Headers): ConditionHeaders {
  return {
    ifMatch: headers.get("if-match"),
    ifNoneMatch: headers.get("if-none-match"),
    ifModifiedSince: headers.get("if-modified-since"),
    ifUnmodifiedSince: headers.get("if-unmodified-since"),
  };
}

export function hasConditions(c: ConditionHeaders): boolean {
  return c.ifMatch !== null || c.ifNoneMatch !== null || c.ifModifiedSince !== null || c.ifUnmodifiedSince !== null;
}

function etagList(header: string): string[] {
  return header
    .split(",")
    .map((t) => t.trim().replace(/^W\//, "").replace(/^"(.*)"$/, "$1"))
    .filter((t) => t.length > 0);
}

function matches(header: string, etag: string): boolean {
  return etagList(header).some((t) => t === "*" || t === etag);
}

/** Seconds since the epoch of an HTTP date, or null when it is not one (then the header is ignored, as HTTP says). */
function parseHttpDate(value: string): number | null {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

/**
 * `target` null: the resource does not exist (reads check existence before calling this).
 * `kind` "read" for GET/HEAD, "write" for everything that changes the resource.
 */
export function evaluateConditions(c: ConditionHeaders, target: ConditionTarget | null, kind: "read" | "write"): ConditionOutcome {
  const modified = target ? Math.floor(target.lastModifiedMs / 1000) : null;
  if (c.ifMatch !== null) {
    if (!target || !matches(c.ifMatch, target.etag)) return { ok: false, status: 412 };
  } else if (c.ifUnmodifiedSince !== null && target) {
    const since = parseHttpDate(c.ifUnmodifiedSince);
    if (since !== null && modified! > since) return { ok: false, status: 412 };
  }
  if (c.ifNoneMatch !== null && target) {
    const list = etagList(c.ifNoneMatch);
    if (list.includes("*")) return { ok: false, status: kind === "read" ? 304 : 409 };
    if (list.includes(target.etag)) return { ok: false, status: kind === "read" ? 304 : 412 };
  } else if (c.ifNoneMatch === null && c.ifModifiedSince !== null && target) {
    const since = parseHttpDate(c.ifModifiedSince);
    if (since !== null && modified! <= since) return { ok: false, status: kind === "read" ? 304 : 412 };
  }
  return { ok: true };
}
