// Microsoft.Network/virtualNetworks and their subnets. The subnets live in the VNet's document (as
// in Azure, where a VNet PUT replaces its subnet list); the subnet type reads and changes them
// there. A subnet records the NIC IP configurations that use it, with the private address each was
// given (the next free one of its prefix, kept for as long as the configuration stays), and a
// subnet in use cannot be deleted.
import { ArmErrors } from "../../../../../shared/errors/arm";
import { subscriptionIndex } from "../../arm-request";
import type { ArmEnv } from "../../env";
import { isObject, normalizeLocation } from "../../request-body";
import type { ArmDocument, LinkedScope, ResourceTypeRecord } from "../../resource-types";
import { cidrContains, cidrHas, cidrsOverlap, formatIpv4, isReserved, nextFree, parseCidr, parseIpv4, type Cidr } from "./addresses";
import { NETWORK_API_VERSIONS } from "./api-versions";
import { NetworkErrors } from "./network-errors";
import { claimNsg, NSG_TYPE, releaseNsg } from "./network-security-group-type";
import {
  bodyProperties,
  envelope,
  mutate,
  namedId,
  networkActions,
  newEtag,
  readNetworkDocument,
  referenceId,
  sameId,
  updateTags,
  validateNetworkName,
  type NetworkDocument,
} from "./network-store";

export const VNET_TYPE = "Microsoft.Network/virtualNetworks";
export const SUBNET_TYPE = "Microsoft.Network/virtualNetworks/subnets";
const SUBNET_JOIN = "Microsoft.Network/virtualNetworks/subnets/join/action";
const NSG_JOIN = "Microsoft.Network/networkSecurityGroups/join/action";

/** A NIC IP configuration in the subnet; the address is kept here and not shown (Azure shows the id only). */
interface AddressEntry {
  id: string;
  privateIPAddress: string;
}

interface StoredSubnet {
  id: string;
  name: string;
  type: typeof SUBNET_TYPE;
  etag: string;
  properties: Record<string, unknown> & {
    provisioningState: "Succeeded";
    addressPrefix: string;
    ipConfigurations?: AddressEntry[];
    networkSecurityGroup?: { id: string };
  };
}

type VnetDocument = NetworkDocument & { properties: NetworkDocument["properties"] & { subnets: StoredSubnet[] } };

/** A subnet as a body asks for it. */
interface SubnetRequest {
  name: string;
  prefix: Cidr;
  /** The NSG it names, as written. */
  nsgId?: string;
  extra: Record<string, unknown>;
}

function presentSubnet(subnet: StoredSubnet): ArmDocument {
  const { ipConfigurations, ...properties } = subnet.properties;
  return {
    ...subnet,
    properties: { ...properties, ...(ipConfigurations?.length ? { ipConfigurations: ipConfigurations.map((e) => ({ id: e.id })) } : {}) },
  };
}

function presentVnet(doc: VnetDocument): ArmDocument {
  return { ...doc, properties: { ...doc.properties, subnets: doc.properties.subnets.map(presentSubnet) } };
}

function cidr(text: unknown, resourceId: string): Cidr {
  const parsed = typeof text === "string" ? parseCidr(text) : null;
  if (!parsed) throw NetworkErrors.invalidCidr(String(text), resourceId);
  if (!parsed.aligned) throw NetworkErrors.misalignedCidr(String(text), resourceId, parsed.network);
  return parsed;
}

function subnetRequest(name: string, properties: unknown, path: string, subnetId: string, subscriptionId: string): SubnetRequest {
  validateNetworkName(name);
  const p = isObject(properties) ? properties : {};
  const prefixText = p.addressPrefix ?? (Array.isArray(p.addressPrefixes) ? p.addressPrefixes[0] : undefined);
  if (prefixText === undefined || prefixText === null) throw NetworkErrors.invalidRequest(`Subnet ${name} must have an address prefix (${path}.addressPrefix).`);
  const nsg = p.networkSecurityGroup;
  const extra = Object.fromEntries(
    ["serviceEndpoints", "delegations", "privateEndpointNetworkPolicies", "privateLinkServiceNetworkPolicies", "defaultOutboundAccess"]
      .filter((k) => p[k] !== undefined && p[k] !== null)
      .map((k) => [k, p[k]]),
  );
  return {
    name,
    prefix: cidr(prefixText, subnetId),
    ...(nsg !== undefined && nsg !== null ? { nsgId: referenceId(nsg, `${path}.networkSecurityGroup`, NSG_TYPE, subscriptionId, subnetId) } : {}),
    extra,
  };
}

/** Every subnet inside the VNet's address space, and no two overlapping. */
function validateLayout(vnetName: string, space: Cidr[], subnets: { name: string; prefix: Cidr }[]): void {
  subnets.forEach((s, i) => {
    if (!space.some((range) => cidrContains(range, s.prefix))) throw NetworkErrors.subnetOutsideVnet(s.name, vnetName);
    const other = subnets.slice(0, i).find((o) => cidrsOverlap(o.prefix, s.prefix));
    if (other) throw NetworkErrors.subnetsOverlap(s.name, vnetName);
  });
}

function vnetSpace(doc: VnetDocument): Cidr[] {
  return (doc.properties.addressSpace.addressPrefixes as string[]).map((p) => parseCidr(p)!);
}

/** The stored subnet a request becomes; its IP configurations stay, and must fit a changed prefix. */
function buildSubnet(vnetId: string, etag: string, request: SubnetRequest, existing: StoredSubnet | undefined, nsgId: string | undefined): StoredSubnet {
  const entries = existing?.properties.ipConfigurations ?? [];
  const outside = entries.find((e) => !cidrHas(request.prefix, parseIpv4(e.privateIPAddress)!) || isReserved(request.prefix, parseIpv4(e.privateIPAddress)!));
  if (outside) throw NetworkErrors.subnetInUseCannotChange(request.name, outside.id);
  return {
    id: existing?.id ?? `${vnetId}/subnets/${request.name}`,
    name: existing?.name ?? request.name,
    type: SUBNET_TYPE,
    etag,
    properties: {
      provisioningState: "Succeeded",
      addressPrefix: request.prefix.text,
      ...(nsgId ? { networkSecurityGroup: { id: nsgId } } : {}),
      ...(entries.length ? { ipConfigurations: entries } : {}),
      delegations: [],
      privateEndpointNetworkPolicies: "Disabled",
      privateLinkServiceNetworkPolicies: "Enabled",
      ...request.extra,
    },
  };
}

function findSubnet(doc: VnetDocument | null, name: string): StoredSubnet | undefined {
  return doc?.properties.subnets.find((s) => s.name.toLowerCase() === name.toLowerCase());
}

function requestedLocation(body: Record<string, unknown>): string {
  if (typeof body.location !== "string" || body.location.trim() === "") throw ArmErrors.locationRequired();
  return normalizeLocation(body.location);
}

/**
 * Takes the NSGs that subnets name, runs `write`, and then lets go of the NSGs subnets no longer
 * name (or, when `write` fails, of those this write took).
 */
async function withSubnetNsgs<T>(
  env: ArmEnv,
  location: string,
  wanted: { subnetId: string; nsgId: string }[],
  before: VnetDocument | null,
  write: (canonical: Map<string, string>) => Promise<{ result: T; after: VnetDocument | null; previous: VnetDocument | null }>,
): Promise<T> {
  const held = (doc: VnetDocument | null) =>
    (doc?.properties.subnets ?? []).filter((s) => s.properties.networkSecurityGroup).map((s) => ({ subnetId: s.id, nsgId: s.properties.networkSecurityGroup!.id }));
  const holds = (list: { subnetId: string; nsgId: string }[], pair: { subnetId: string; nsgId: string }) =>
    list.some((h) => sameId(h.subnetId, pair.subnetId) && sameId(h.nsgId, pair.nsgId));
  const canonical = new Map<string, string>();
  const taken: { subnetId: string; nsgId: string }[] = [];
  let outcome: Awaited<ReturnType<typeof write>>;
  try {
    for (const pair of wanted) {
      canonical.set(pair.subnetId.toLowerCase(), await claimNsg(env, pair.nsgId, { kind: "subnets", id: pair.subnetId }, location));
      taken.push(pair);
    }
    outcome = await write(canonical);
  } catch (err) {
    const had = held(before);
    await Promise.all(taken.filter((p) => !holds(had, p)).map((p) => releaseNsg(env, p.nsgId, { kind: "subnets", id: p.subnetId }).catch(() => undefined)));
    throw err;
  }
  const now = held(outcome.after);
  await Promise.all(held(outcome.previous).filter((p) => !holds(now, p)).map((p) => releaseNsg(env, p.nsgId, { kind: "subnets", id: p.subnetId }).catch(() => undefined)));
  return outcome.result;
}

function subnetNsgLinks(subnets: unknown[]): LinkedScope[] {
  return subnets
    .map((s) => (isObject(s) && isObject(s.properties) ? namedId(s.properties.networkSecurityGroup) : undefined))
    .filter((id): id is string => id !== undefined)
    .map((scope) => ({ scope, action: NSG_JOIN }));
}

export const virtualNetworks: ResourceTypeRecord = {
  type: VNET_TYPE,
  apiVersions: NETWORK_API_VERSIONS,
  actions: networkActions(VNET_TYPE),
  validateName: validateNetworkName,
  // After the NICs that use its subnets.
  cascadeOrder: 7,

  links(_env, body) {
    const p = isObject(body.properties) ? body.properties : {};
    return { links: subnetNsgLinks(Array.isArray(p.subnets) ? p.subnets : []) };
  },

  async read(env, address) {
    const doc = await readNetworkDocument<VnetDocument>(env, address.id);
    return doc && presentVnet(doc);
  },

  async write(env, input) {
    if (input.mode === "patch") return updateTags<VnetDocument>(env, input, VNET_TYPE, presentVnet);
    const p = bodyProperties(input.body);
    const location = requestedLocation(input.body);
    const prefixes = isObject(p.addressSpace) ? p.addressSpace.addressPrefixes : undefined;
    if (!Array.isArray(prefixes) || prefixes.length === 0) {
      throw NetworkErrors.invalidRequest(`Virtual network ${input.id} must have at least one address prefix in properties.addressSpace.addressPrefixes.`);
    }
    const space = prefixes.map((text) => cidr(text, input.id));
    const subnetBodies = p.subnets ?? [];
    if (!Array.isArray(subnetBodies)) throw NetworkErrors.invalidRequest("properties.subnets must be an array.");
    const requests = subnetBodies.map((s: unknown, i: number) => {
      if (!isObject(s) || typeof s.name !== "string") throw NetworkErrors.invalidRequest(`properties.subnets[${i}] must be an object with a name.`);
      return subnetRequest(s.name, s.properties, `properties.subnets[${i}].properties`, `${input.id}/subnets/${s.name}`, input.subscriptionId);
    });
    const names = new Set<string>();
    for (const r of requests) {
      if (names.has(r.name.toLowerCase())) throw NetworkErrors.invalidRequest(`Subnet ${r.name} is named more than once in virtual network ${input.name}.`);
      names.add(r.name.toLowerCase());
    }
    validateLayout(input.name, space, requests);

    const before = await readNetworkDocument<VnetDocument>(env, input.id);
    const wanted = requests.filter((r) => r.nsgId).map((r) => ({ subnetId: `${input.id}/subnets/${r.name}`, nsgId: r.nsgId! }));
    const { doc, created } = await withSubnetNsgs(env, location, wanted, before, async (nsgs) => {
      const { doc, previous } = await mutate<VnetDocument>(env, input.id, (existing) => {
        const { resourceGuid, ...base } = envelope(VNET_TYPE, input, existing);
        for (const old of existing?.properties.subnets ?? []) {
          const inUse = old.properties.ipConfigurations?.[0];
          if (inUse && !names.has(old.name.toLowerCase())) throw NetworkErrors.subnetInUse(old.name, inUse.id);
        }
        const subnets = requests.map((r) =>
          buildSubnet(base.id, base.etag, r, findSubnet(existing, r.name), r.nsgId && nsgs.get(`${input.id}/subnets/${r.name}`.toLowerCase())),
        );
        const passThrough = Object.fromEntries(["dhcpOptions", "encryption", "flowTimeoutInMinutes"].filter((k) => isObject(p[k]) || typeof p[k] === "number").map((k) => [k, p[k]]));
        return {
          ...base,
          properties: {
            provisioningState: "Succeeded",
            resourceGuid,
            addressSpace: { addressPrefixes: space.map((c) => c.text) },
            subnets,
            virtualNetworkPeerings: [],
            enableDdosProtection: p.enableDdosProtection === true,
            ...passThrough,
          },
        };
      });
      return { result: { doc: doc!, created: previous === null }, after: doc, previous };
    });
    await subscriptionIndex(env).upsert({ id: doc.id, type: VNET_TYPE, resourceGroup: input.resourceGroup });
    return { status: created ? 201 : 200, body: presentVnet(doc) };
  },

  async delete(env, address) {
    const { previous } = await mutate<VnetDocument>(env, address.id, (doc) => {
      if (!doc) return undefined;
      for (const subnet of doc.properties.subnets) {
        const inUse = subnet.properties.ipConfigurations?.[0];
        if (inUse) throw NetworkErrors.subnetInUse(subnet.name, inUse.id);
      }
      return null;
    });
    if (!previous) return { status: 204 };
    await subscriptionIndex(env).remove(previous.id);
    await Promise.all(
      previous.properties.subnets
        .filter((s) => s.properties.networkSecurityGroup)
        .map((s) => releaseNsg(env, s.properties.networkSecurityGroup!.id, { kind: "subnets", id: s.id }).catch(() => undefined)),
    );
    return { status: 200 };
  },
};

export const subnets: ResourceTypeRecord = {
  type: SUBNET_TYPE,
  apiVersions: NETWORK_API_VERSIONS,
  actions: networkActions(SUBNET_TYPE),
  validateName: validateNetworkName,
  // Subnets have no tags, so not even updateTags.
  patchable: false,
  // Deleted with their VNet.
  cascadeOrder: 7,

  links(_env, body) {
    return { links: subnetNsgLinks([{ properties: body.properties }]) };
  },

  async read(env, address) {
    const subnet = findSubnet(await readNetworkDocument<VnetDocument>(env, address.parentId!), address.name);
    return subnet ? presentSubnet(subnet) : null;
  },

  async write(env, input) {
    const vnetId = input.parentId!;
    const subnetId = input.id;
    const request = subnetRequest(input.name, input.body.properties, "properties", subnetId, input.subscriptionId);
    const before = await readNetworkDocument<VnetDocument>(env, vnetId);
    const vnetName = vnetId.split("/").pop()!;
    if (!before) throw ArmErrors.resourceNotFound(VNET_TYPE, vnetName, input.resourceGroup);
    const wanted = request.nsgId ? [{ subnetId, nsgId: request.nsgId }] : [];
    const { subnet, created } = await withSubnetNsgs(env, before.location, wanted, before, async (nsgs) => {
      let subnet: StoredSubnet | undefined;
      let created = false;
      const { doc, previous } = await mutate<VnetDocument>(env, vnetId, (vnet) => {
        if (!vnet) throw ArmErrors.resourceNotFound(VNET_TYPE, vnetName, input.resourceGroup);
        const existing = findSubnet(vnet, input.name);
        const others = vnet.properties.subnets.filter((s) => s !== existing);
        validateLayout(vnet.name, vnetSpace(vnet), [...others.map((s) => ({ name: s.name, prefix: parseCidr(s.properties.addressPrefix)! })), request]);
        const etag = newEtag();
        subnet = buildSubnet(vnet.id, etag, request, existing, request.nsgId && nsgs.get(subnetId.toLowerCase()));
        created = !existing;
        const list = existing ? vnet.properties.subnets.map((s) => (s === existing ? subnet! : s)) : [...vnet.properties.subnets, subnet];
        return { ...vnet, etag, properties: { ...vnet.properties, subnets: list.map((s) => ({ ...s, etag })) } };
      });
      return { result: { subnet: subnet!, created }, after: doc, previous };
    });
    return { status: created ? 201 : 200, body: presentSubnet(subnet) };
  },

  async delete(env, address) {
    let removed: StoredSubnet | undefined;
    await mutate<VnetDocument>(env, address.parentId!, (vnet) => {
      removed = findSubnet(vnet, address.name);
      if (!vnet || !removed) return undefined;
      const inUse = removed.properties.ipConfigurations?.[0];
      if (inUse) throw NetworkErrors.subnetInUse(removed.name, inUse.id);
      const etag = newEtag();
      const rest = vnet.properties.subnets.filter((s) => s !== removed).map((s) => ({ ...s, etag }));
      return { ...vnet, etag, properties: { ...vnet.properties, subnets: rest } };
    });
    if (!removed) return { status: 204 };
    const nsg = removed.properties.networkSecurityGroup;
    if (nsg) await releaseNsg(env, nsg.id, { kind: "subnets", id: removed.id }).catch(() => undefined);
    return { status: 200 };
  },

  async listChildren(env, parent) {
    const vnet = await readNetworkDocument<VnetDocument>(env, parent.id);
    return vnet ? vnet.properties.subnets.map(presentSubnet) : null;
  },
};

function splitSubnetId(subnetId: string): { vnetId: string; name: string } {
  const m = /^(.*)\/subnets\/([^/]+)$/i.exec(subnetId)!;
  return { vnetId: m[1]!, name: m[2]! };
}

/** Whether a subnet exists in a VNet of the region (a NIC write checks before it takes anything). */
export async function subnetExists(env: ArmEnv, subnetId: string, location: string): Promise<boolean> {
  const { vnetId, name } = splitSubnetId(subnetId);
  const vnet = await readNetworkDocument<VnetDocument>(env, vnetId);
  return vnet !== null && vnet.location === location && findSubnet(vnet, name) !== undefined;
}

export interface AddressRequest {
  ipConfigurationId: string;
  /** A Static configuration's address. */
  staticAddress?: string;
}

/**
 * Gives each IP configuration of a NIC a private address in the subnet: the one it asks for
 * (Static), the one it already has, or the next free one. Returns the subnet's id as stored and
 * the addresses, in the order asked.
 */
export async function reserveAddresses(env: ArmEnv, subnetId: string, nicId: string, location: string, requests: AddressRequest[]) {
  const { vnetId, name } = splitSubnetId(subnetId);
  let result: { subnetId: string; addresses: string[] } | undefined;
  await mutate<VnetDocument>(env, vnetId, (vnet) => {
    const subnet = findSubnet(vnet, name);
    if (!vnet || !subnet || vnet.location !== location) throw NetworkErrors.invalidReference(subnetId, nicId);
    const prefix = parseCidr(subnet.properties.addressPrefix)!;
    const entries = subnet.properties.ipConfigurations ?? [];
    const asked = (e: AddressEntry) => requests.some((r) => sameId(r.ipConfigurationId, e.id));
    const used = new Map<number, string>(entries.filter((e) => !asked(e)).map((e) => [parseIpv4(e.privateIPAddress)!, e.id]));
    const given: AddressEntry[] = requests.map((r) => {
      let address: number | null;
      if (r.staticAddress !== undefined) {
        address = parseIpv4(r.staticAddress);
        if (address === null || !cidrHas(prefix, address)) throw NetworkErrors.privateIpNotInSubnet(r.ipConfigurationId, r.staticAddress, subnet.id);
        if (isReserved(prefix, address)) throw NetworkErrors.privateIpReserved(r.ipConfigurationId, r.staticAddress, subnet.id);
        const holder = used.get(address);
        if (holder) throw NetworkErrors.privateIpInUse(r.ipConfigurationId, r.staticAddress, holder);
      } else {
        const had = entries.find((e) => sameId(e.id, r.ipConfigurationId));
        const kept = had ? parseIpv4(had.privateIPAddress)! : null;
        address = kept !== null && !used.has(kept) ? kept : nextFree(prefix, new Set(used.keys()));
        if (address === null) throw NetworkErrors.subnetFull(subnet.name, subnet.properties.addressPrefix);
      }
      used.set(address, r.ipConfigurationId);
      return { id: r.ipConfigurationId, privateIPAddress: formatIpv4(address) };
    });
    result = { subnetId: subnet.id, addresses: given.map((g) => g.privateIPAddress) };
    const next = [...entries.filter((e) => !asked(e)), ...given];
    const unchanged = next.length === entries.length && given.every((g) => entries.some((e) => e.id === g.id && e.privateIPAddress === g.privateIPAddress));
    if (unchanged) return undefined;
    return withSubnet(vnet, subnet, { ...subnet.properties, ipConfigurations: next });
  });
  return result!;
}

/** The IP configurations leave the subnet; their addresses are free again. */
export async function releaseAddresses(env: ArmEnv, subnetId: string, ipConfigurationIds: string[]): Promise<void> {
  const { vnetId, name } = splitSubnetId(subnetId);
  await mutate<VnetDocument>(env, vnetId, (vnet) => {
    const subnet = findSubnet(vnet, name);
    const entries = subnet?.properties.ipConfigurations ?? [];
    const rest = entries.filter((e) => !ipConfigurationIds.some((id) => sameId(id, e.id)));
    if (!vnet || !subnet || rest.length === entries.length) return undefined;
    const { ipConfigurations: _all, ...properties } = subnet.properties;
    return withSubnet(vnet, subnet, rest.length ? { ...properties, ipConfigurations: rest } : properties);
  });
}

function withSubnet(vnet: VnetDocument, subnet: StoredSubnet, properties: StoredSubnet["properties"]): VnetDocument {
  const etag = newEtag();
  const subnets = vnet.properties.subnets.map((s) => ({ ...(s === subnet ? { ...s, properties } : s), etag }));
  return { ...vnet, etag, properties: { ...vnet.properties, subnets } };
}

export { SUBNET_JOIN };
