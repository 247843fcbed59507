// Listing helpers shared by the account object and the tests: the opaque continuation marker
// (NextMarker; the SDKs send it back verbatim as marker=) and the upper bound of a prefix range,
// so that "names starting with p" is the index range [p, upper) in SQLite's binary (UTF-8, code
// point) order. Pure.

const MARKER_VERSION = "1!";

function utf8ToBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The marker that resumes a listing at `name` (inclusive). */
export function encodeMarker(name: string): string {
  return MARKER_VERSION + utf8ToBase64Url(name);
}

/** The name a marker resumes at, or null when it is not one of ours. */
export function decodeMarker(marker: string): string | null {
  if (marker === "") return "";
  if (!marker.startsWith(MARKER_VERSION)) return null;
  const body = marker.slice(MARKER_VERSION.length);
  if (!/^[A-Za-z0-9_-]*$/.test(body)) return null;
  try {
    const binary = atob(body.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (body.length % 4)) % 4));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
}

/**
 * The smallest string greater than every string starting with `prefix` (code point order), or
 * null when there is none ("" or a prefix of only U+10FFFF: the range is unbounded above).
 */
export function prefixUpperBound(prefix: string): string | null {
  const points = Array.from(prefix, (c) => c.codePointAt(0)!);
  while (points.length && points[points.length - 1] === 0x10ffff) points.pop();
  if (!points.length) return null;
  let last = points.pop()! + 1;
  if (last === 0xd800) last = 0xe000; // skip the surrogate block: not characters
  points.push(last);
  return String.fromCodePoint(...points);
}

export type ListingEntry<T> = { kind: "item"; row: T } | { kind: "prefix"; name: string };

/**
 * One page of a listing over rows in name order. `fetch(cursor, limit)` answers up to `limit`
 * rows with names ≥ cursor that start with `prefix` (an indexed range query in the account
 * object). With a delimiter, names holding it past the prefix collapse into one prefix entry
 * each (counted as one result), and the rows under that prefix are skipped by jumping past its
 * range. `next` is the marker of the first entry not returned, or "" when none is left.
 */
export function collectListing<T extends { name: string }>(
  fetch: (cursor: string, limit: number) => T[],
  prefix: string,
  delimiter: string | null,
  start: string,
  maxResults: number,
): { items: ListingEntry<T>[]; next: string } {
  const items: ListingEntry<T>[] = [];
  let cursor = start > prefix ? start : prefix;
  for (;;) {
    const rows = fetch(cursor, maxResults - items.length + 1);
    let jumped = false;
    for (const row of rows) {
      if (items.length === maxResults) return { items, next: encodeMarker(row.name) };
      const cut = delimiter ? row.name.indexOf(delimiter, prefix.length) : -1;
      if (cut < 0) {
        items.push({ kind: "item", row });
        continue;
      }
      const collapsed = row.name.slice(0, cut + delimiter!.length);
      items.push({ kind: "prefix", name: collapsed });
      const after = prefixUpperBound(collapsed);
      if (after === null) return { items, next: "" };
      cursor = after;
      jumped = true;
      break;
    }
    // Every row fetched became an entry and none was left over: the range is exhausted.
    if (!jumped) return { items, next: "" };
  }
}
