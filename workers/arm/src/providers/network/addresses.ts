// IPv4 arithmetic for Microsoft.Network: CIDR prefixes, private addresses allocated from a subnet
// (Azure keeps the first four and the last address of every subnet), and the addresses the
// emulator makes up: a public IP per resource from 20.0.0.0/8 and a MAC per NIC, both derived
// from the resource id so they never change.

export interface Cidr {
  /** The prefix as written. */
  text: string;
  base: number;
  bits: number;
}

export function parseIpv4(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function formatIpv4(n: number): string {
  return [n / 2 ** 24, n / 2 ** 16, n / 2 ** 8, n].map((x) => Math.floor(x) % 256).join(".");
}

/** A prefix such as 10.0.0.0/24; null when it is not one. `aligned` is false when host bits are set. */
export function parseCidr(text: string): (Cidr & { aligned: boolean; network: string }) | null {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text.trim());
  if (!m) return null;
  const address = parseIpv4(m[1]!);
  const bits = Number(m[2]);
  if (address === null || bits > 32) return null;
  const size = 2 ** (32 - bits);
  const base = Math.floor(address / size) * size;
  return { text, base, bits, aligned: base === address, network: `${formatIpv4(base)}/${bits}` };
}

function size(c: Cidr): number {
  return 2 ** (32 - c.bits);
}

export function cidrHas(c: Cidr, address: number): boolean {
  return address >= c.base && address < c.base + size(c);
}

export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return inner.bits >= outer.bits && cidrHas(outer, inner.base);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrHas(a, b.base) || cidrHas(b, a.base);
}

/** Whether Azure keeps the address for itself: the network address, the next three, and the broadcast address. */
export function isReserved(c: Cidr, address: number): boolean {
  return address < c.base + 4 || address === c.base + size(c) - 1;
}

/** The lowest address of the subnet that is neither reserved nor in `used`; null when the subnet is full. */
export function nextFree(c: Cidr, used: Set<number>): number | null {
  for (let a = c.base + 4; a < c.base + size(c) - 1; a++) if (!used.has(a)) return a;
  return null;
}

/** FNV-1a over the lower-cased text, with a seed so one id gives independent values. */
function hash(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (const ch of text.toLowerCase()) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The public address of a public IP resource: 20.x.y.z, the same for the same id. */
export function publicAddressFor(id: string): string {
  const h = hash(id, 1);
  return `20.${(h >>> 16) & 0xff}.${(h >>> 8) & 0xff}.${1 + ((h & 0xff) % 254)}`;
}

/** A NIC's MAC address in Azure's notation (00-0D-3A is Microsoft's prefix), the same for the same id. */
export function macAddressFor(id: string): string {
  const h = hash(id, 2);
  const bytes = [0x00, 0x0d, 0x3a, (h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff];
  return bytes.map((b) => b.toString(16).toUpperCase().padStart(2, "0")).join("-");
}
