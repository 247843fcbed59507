// uniqueString() and guid(): Azure's deterministic hashes of template strings.
//
// uniqueString: a two-lane 64-bit variant of MurmurHash3 (x86, 32-bit lanes, seed 0) over the
// UTF-8 of the arguments joined by '-', written as 13 base32 characters from the top bits down.
// guid: an RFC 4122 version-5 UUID (SHA-1 via WebCrypto) in the ARM namespace
// 11fb06fb-712d-4ddd-98c7-e71bbd588830 over the same joined text.

const encoder = new TextEncoder();

function rotl(x: number, r: number): number {
  return ((x << r) | (x >>> (32 - r))) >>> 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

const C1 = 0x239b961b;
const C2 = 0xab0e9789;

/** The 64-bit hash behind uniqueString (h2 in the high half, h1 in the low half). */
export function murmurHash64(bytes: Uint8Array): bigint {
  let h1 = 0;
  let h2 = 0;
  const length = bytes.length;
  const u32 = (i: number) => (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) >>> 0;
  let i = 0;
  for (; i + 8 <= length; i += 8) {
    let k1 = u32(i);
    let k2 = u32(i + 4);
    k1 = Math.imul(rotl(Math.imul(k1, C1) >>> 0, 15), C2) >>> 0;
    h1 = (h1 ^ k1) >>> 0;
    h1 = (rotl(h1, 19) + h2) >>> 0;
    h1 = (Math.imul(h1, 5) + 0x561ccd1b) >>> 0;
    k2 = Math.imul(rotl(Math.imul(k2, C2) >>> 0, 17), C1) >>> 0;
    h2 = (h2 ^ k2) >>> 0;
    h2 = (rotl(h2, 13) + h1) >>> 0;
    h2 = (Math.imul(h2, 5) + 0x0bcaa747) >>> 0;
  }
  const rest = length - i;
  if (rest > 0) {
    let k1 = 0;
    for (let j = Math.min(rest, 4) - 1; j >= 0; j--) k1 = ((k1 << 8) | bytes[i + j]!) >>> 0;
    k1 = Math.imul(rotl(Math.imul(k1, C1) >>> 0, 15), C2) >>> 0;
    h1 = (h1 ^ k1) >>> 0;
    if (rest > 4) {
      let k2 = 0;
      for (let j = rest - 1; j >= 4; j--) k2 = ((k2 << 8) | bytes[i + j]!) >>> 0;
      k2 = Math.imul(rotl(Math.imul(k2, C2) >>> 0, 17), C1) >>> 0;
      h2 = (h2 ^ k2) >>> 0;
    }
  }
  h1 = (h1 ^ length) >>> 0;
  h2 = (h2 ^ length) >>> 0;
  h1 = (h1 + h2) >>> 0;
  h2 = (h2 + h1) >>> 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h1 = (h1 + h2) >>> 0;
  h2 = (h2 + h1) >>> 0;
  return (BigInt(h2) << 32n) | BigInt(h1);
}

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
const MASK64 = (1n << 64n) - 1n;

/** uniqueString(...parts): 13 lower-case base32 characters. */
export function uniqueString(parts: string[]): string {
  let v = murmurHash64(encoder.encode(parts.join("-")));
  let out = "";
  for (let n = 0; n < 13; n++) {
    out += BASE32[Number(v >> 59n)];
    v = (v << 5n) & MASK64;
  }
  return out;
}

const ARM_NAMESPACE = "11fb06fb-712d-4ddd-98c7-e71bbd588830";

function uuidBytes(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, "");
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** guid(...parts): a lower-case version-5 UUID. */
export async function deterministicGuid(parts: string[]): Promise<string> {
  const name = encoder.encode(parts.join("-"));
  const input = new Uint8Array(16 + name.length);
  input.set(uuidBytes(ARM_NAMESPACE), 0);
  input.set(name, 16);
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-1", input));
  const b = hash.slice(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
