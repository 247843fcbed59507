// Shared Key authentication (Authorization: SharedKey {account}:{base64 HMAC-SHA256}): the
// string-to-sign is rebuilt from the request and signed with each account key (key1, key2,
// base64-decoded). Clients disagree on details the service tolerates, so every variant a known
// client produces is tried (at most a handful of HMACs):
// - the JS SDK signs Content-Language before Content-Encoding (the docs and Python: Encoding first);
// - the service and the JS SDK sort x-ms-* headers in .NET's en-US culture order, Python sorts
//   them ordinally (they differ only when names hold '-' vs '_' or digits at the same place);
// - Python keeps query parameters with empty values, the JS SDK drops them.
// Pure (Web Crypto only), so the unit tests run it in Node against the reference's worked example.
import { StorageErrors } from "../../../shared/errors/storage";

export interface SignedRequest {
  method: string;
  /** Header lookup (case-insensitive), e.g. Headers.get. */
  header: (name: string) => string | null;
  /** All headers, names in any case. */
  headers: Iterable<[string, string]>;
  /** The path as sent, still percent-encoded (e.g. /acct1/c1/dir/a%20b.txt). */
  path: string;
  /** The raw query string without '?', or "". */
  search: string;
}

export interface StringToSignOptions {
  /** Content-Language before Content-Encoding (the JS SDK's order). */
  languageFirst?: boolean;
  /** Sort x-ms-* headers ordinally instead of in .NET culture order. */
  ordinalHeaderSort?: boolean;
  /** Drop query parameters whose value is empty (the JS SDK's behaviour). */
  dropEmptyQueryValues?: boolean;
}

function standardHeader(request: SignedRequest, name: string): string {
  const value = request.header(name) ?? "";
  // Versions ≥ 2015-02-21 sign a zero Content-Length as empty.
  if (name === "content-length" && value === "0") return "";
  return value;
}

export function canonicalizedHeaders(request: SignedRequest, ordinal = false): string {
  const byName = new Map<string, string>();
  for (const [name, value] of request.headers) {
    const lower = name.toLowerCase().trimEnd();
    if (!lower.startsWith("x-ms-")) continue;
    if (!byName.has(lower)) byName.set(lower, value.trimStart());
  }
  const names = [...byName.keys()].sort(ordinal ? (a, b) => (a < b ? -1 : a > b ? 1 : 0) : compareCulture);
  return names.map((name) => `${name}:${byName.get(name)}\n`).join("");
}

function decodeQueryComponent(text: string): string {
  const plain = text.replace(/\+/g, " ");
  try {
    return decodeURIComponent(plain);
  } catch {
    return plain;
  }
}

export function canonicalizedResource(account: string, request: SignedRequest, dropEmpty = false): string {
  let resource = `/${account}${request.path || "/"}`;
  const values = new Map<string, string[]>();
  for (const part of request.search.replace(/^\?/, "").split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const name = decodeQueryComponent(eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? "" : decodeQueryComponent(part.slice(eq + 1));
    if (dropEmpty && value === "") continue;
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  for (const name of [...values.keys()].sort()) {
    resource += `\n${name}:${values.get(name)!.sort().join(",")}`;
  }
  return resource;
}

export function stringToSign(account: string, request: SignedRequest, options: StringToSignOptions = {}): string {
  const encoding = standardHeader(request, "content-encoding");
  const language = standardHeader(request, "content-language");
  const fields = [
    request.method.toUpperCase(),
    options.languageFirst ? language : encoding,
    options.languageFirst ? encoding : language,
    standardHeader(request, "content-length"),
    standardHeader(request, "content-md5"),
    standardHeader(request, "content-type"),
    standardHeader(request, "date"),
    standardHeader(request, "if-modified-since"),
    standardHeader(request, "if-match"),
    standardHeader(request, "if-none-match"),
    standardHeader(request, "if-unmodified-since"),
    standardHeader(request, "range"),
  ];
  return (
    fields.join("\n") +
    "\n" +
    canonicalizedHeaders(request, options.ordinalHeaderSort) +
    canonicalizedResource(account, request, options.dropEmptyQueryValues)
  );
}

/** Every distinct string-to-sign a known client could have produced for this request (the docs' form first). */
export function candidateStringsToSign(account: string, request: SignedRequest): string[] {
  const out = new Set<string>();
  for (const dropEmptyQueryValues of [false, true]) {
    for (const ordinalHeaderSort of [false, true]) {
      for (const languageFirst of [false, true]) {
        out.add(stringToSign(account, request, { languageFirst, ordinalHeaderSort, dropEmptyQueryValues }));
      }
    }
  }
  return [...out];
}

function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function bytesToBase64(bytes: ArrayBuffer): string {
  const view = new Uint8Array(bytes);
  let binary = "";
  for (let i = 0; i < view.length; i++) binary += String.fromCharCode(view[i]!);
  return btoa(binary);
}

/** base64(HMAC-SHA256(base64decode(key), utf8(stringToSign))). */
export async function sign(accountKeyBase64: string, text: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", base64ToBytes(accountKeyBase64), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return bytesToBase64(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(text)));
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** The parts of `SharedKey {account}:{signature}`, or null when the header is not of that scheme. */
export function parseSharedKey(authorization: string): { account: string; signature: string } | null {
  const match = /^SharedKey\s+([^:\s]+):(\S+)\s*$/.exec(authorization);
  return match ? { account: match[1]!, signature: match[2]! } : null;
}

/**
 * Checks a Shared Key signature against both keys and every client variant; throws 403
 * AuthenticationFailed with the detail Azure gives (the signature found and the string the
 * server signed) when none matches.
 */
export async function verifySharedKey(
  account: string,
  signatureAccount: string,
  signature: string,
  keys: readonly string[],
  request: SignedRequest,
): Promise<void> {
  const candidates = candidateStringsToSign(account, request);
  if (signatureAccount === account) {
    for (const key of keys) {
      for (const candidate of candidates) {
        if (constantTimeEqual(await sign(key, candidate), signature)) return;
      }
    }
  }
  throw StorageErrors.authenticationFailed(
    `The MAC signature found in the HTTP request '${signature}' is not the same as any computed signature. Server used following string to sign: '${candidates[0]}'.`,
  );
}

// .NET en-US culture comparison of ASCII header names, as the service sorts them (the same
// three-level sort-key tables the JS SDK's SharedKeyComparator carries, MIT, Microsoft).
// Level 0 weighs letters case-insensitively and ignores '-' and '\''; later levels break ties.
const LEVEL0 = [
  0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0,
  0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x71c, 0x0, 0x71f, 0x721, 0x723, 0x725, 0x0, 0x0, 0x0, 0x72d, 0x803, 0x0, 0x0, 0x733, 0x0, 0xd03, 0xd1a,
  0xd1c, 0xd1e, 0xd20, 0xd22, 0xd24, 0xd26, 0xd28, 0xd2a, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0xe02, 0xe09, 0xe0a, 0xe1a, 0xe21, 0xe23,
  0xe25, 0xe2c, 0xe32, 0xe35, 0xe36, 0xe48, 0xe51, 0xe70, 0xe7c, 0xe7e, 0xe89, 0xe8a, 0xe91, 0xe99, 0xe9f, 0xea2, 0xea4, 0xea6, 0xea7,
  0xea9, 0x0, 0x0, 0x0, 0x743, 0x744, 0x748, 0xe02, 0xe09, 0xe0a, 0xe1a, 0xe21, 0xe23, 0xe25, 0xe2c, 0xe32, 0xe35, 0xe36, 0xe48, 0xe51,
  0xe70, 0xe7c, 0xe7e, 0xe89, 0xe8a, 0xe91, 0xe99, 0xe9f, 0xea2, 0xea4, 0xea6, 0xea7, 0xea9, 0x0, 0x74c, 0x0, 0x750, 0x0,
];
const LEVEL2 = Array.from({ length: 128 }, (_, c) => (c >= 65 && c <= 90 ? 0x12 : 0x0));
const LEVEL4 = Array.from({ length: 128 }, (_, c) => (c === 39 ? 0x8012 : c === 45 ? 0x8212 : 0x0));

function isLessThan(lhs: string, rhs: string): boolean {
  const tables = [LEVEL0, LEVEL2, LEVEL4];
  let level = 0;
  let i = 0;
  let j = 0;
  while (level < tables.length) {
    if (level === tables.length - 1 && i !== j) return i > j;
    const table = tables[level]!;
    const w1 = i < lhs.length ? (table[lhs.charCodeAt(i)] ?? 0) : 0x1;
    const w2 = j < rhs.length ? (table[rhs.charCodeAt(j)] ?? 0) : 0x1;
    if (w1 === 0x1 && w2 === 0x1) {
      i = 0;
      j = 0;
      level++;
    } else if (w1 === w2) {
      i++;
      j++;
    } else if (w1 === 0) {
      i++;
    } else if (w2 === 0) {
      j++;
    } else {
      return w1 < w2;
    }
  }
  return false;
}

export function compareCulture(a: string, b: string): number {
  if (a === b) return 0;
  return isLessThan(a, b) ? -1 : 1;
}
