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
