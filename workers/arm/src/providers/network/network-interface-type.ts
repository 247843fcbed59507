// Microsoft.Network/networkInterfaces. A NIC write takes what it names — a private address in each
// IP configuration's subnet, each public IP, the NSG — before its own document is written, and lets
// go of what it no longer names afterwards; if the write fails, it lets go of what it took. The VM
// that uses the NIC is recorded in `virtualMachine` by the VM's own write (attachVirtualMachine),
// and a NIC a VM uses cannot be deleted.
import { ArmErrors } from "../../../../../shared/errors/arm";
import { subscriptionIndex } from "../../arm-request";
import type { ArmEnv } from "../../env";
import { isObject, normalizeLocation } from "../../request-body";
import type { ArmDocument, LinkedScope, ResourceTypeRecord, WriteInput } from "../../resource-types";
import { virtualMachineObject } from "../compute/virtual-machine-store";
import { macAddressFor } from "./addresses";
import { NETWORK_API_VERSIONS } from "./api-versions";
import { NetworkErrors } from "./network-errors";
import { claimNsg, NSG_TYPE, nsgExists, releaseNsg } from "./network-security-group-type";
import {
  bodyProperties,
  envelope,
  mutate,
  namedId,
  networkActions,
  networkObject,
  newEtag,
  readNetworkDocument,
  referenceId,
  sameId,
  updateTags,
  validateNetworkName,
  type NetworkDocument,
} from "./network-store";
import { claimPublicIp, PUBLIC_IP_TYPE, publicIpExists, releasePublicIp } from "./public-ip-address-type";
import { releaseAddresses, reserveAddresses, SUBNET_JOIN, SUBNET_TYPE, subnetExists } from "./virtual-network-type";

export const NIC_TYPE = "Microsoft.Network/networkInterfaces";
const IP_CONFIGURATION_TYPE = `${NIC_TYPE}/ipConfigurations`;
const PUBLIC_IP_JOIN = "Microsoft.Network/publicIPAddresses/join/action";
const NSG_JOIN = "Microsoft.Network/networkSecurityGroups/join/action";

interface IpConfiguration {
  name: string;
  id: string;
  etag: string;
  type: typeof IP_CONFIGURATION_TYPE;
  properties: {
    provisioningState: "Succeeded";
    privateIPAddress: string;
    privateIPAllocationMethod: "Static" | "Dynamic";
    privateIPAddressVersion: "IPv4";
    subnet: { id: string };
    publicIPAddress?: { id: string };
    primary: boolean;
  };
}

type NicDocument = NetworkDocument & {
  properties: NetworkDocument["properties"] & {
    ipConfigurations: IpConfiguration[];
    networkSecurityGroup?: { id: string };
    virtualMachine?: { id: string };
  };
};

/** An IP configuration as the body asks for it (references as written). */
interface IpConfigurationRequest {
  name: string;
  id: string;
  subnetId: string;
  method: "Static" | "Dynamic";
  staticAddress?: string;
  publicIpId?: string;
  primary: boolean;
}

const present = (doc: NicDocument) => doc as ArmDocument;

function parseIpConfigurations(input: WriteInput, p: Record<string, any>): IpConfigurationRequest[] {
  const list = p.ipConfigurations;
  if (!Array.isArray(list) || list.length === 0) {
    throw NetworkErrors.invalidRequest(`Network interface ${input.id} must have one or more IP configurations (properties.ipConfigurations).`);
  }
  const names = new Set<string>();
  const parsed = list.map((c: unknown, i: number): IpConfigurationRequest => {
    const path = `properties.ipConfigurations[${i}]`;
    if (!isObject(c) || typeof c.name !== "string" || !c.name) throw NetworkErrors.invalidRequest(`${path} must be an object with a name.`);
    validateNetworkName(c.name);
    if (names.has(c.name.toLowerCase())) throw NetworkErrors.invalidRequest(`IP configuration ${c.name} is named more than once in network interface ${input.name}.`);
    names.add(c.name.toLowerCase());
    const id = `${input.id}/ipConfigurations/${c.name}`;
    const cp = isObject(c.properties) ? c.properties : {};
    if (cp.subnet === undefined || cp.subnet === null) throw NetworkErrors.invalidRequest(`IP configuration ${id} must name a subnet (${path}.properties.subnet.id).`);
    const subnetId = referenceId(cp.subnet, `${path}.properties.subnet`, SUBNET_TYPE, input.subscriptionId, input.id);
    const methodText = cp.privateIPAllocationMethod ?? (typeof cp.privateIPAddress === "string" && cp.privateIPAddress ? "Static" : "Dynamic");
    const method = ["Static", "Dynamic"].find((m) => m.toLowerCase() === String(methodText).toLowerCase()) as "Static" | "Dynamic" | undefined;
    if (!method) throw NetworkErrors.invalidRequest(`The value '${String(methodText)}' of ${path}.properties.privateIPAllocationMethod is invalid. Allowed values: Static, Dynamic.`);
    if (method === "Static" && typeof cp.privateIPAddress !== "string") {
      throw NetworkErrors.invalidRequest(`IP configuration ${id} has allocation method Static and must name its privateIPAddress.`);
    }
    const pip = cp.publicIPAddress;
    return {
      name: c.name,
      id,
      subnetId,
      method,
      ...(method === "Static" ? { staticAddress: cp.privateIPAddress as string } : {}),
      ...(pip !== undefined && pip !== null ? { publicIpId: referenceId(pip, `${path}.properties.publicIPAddress`, PUBLIC_IP_TYPE, input.subscriptionId, input.id) } : {}),
      primary: cp.primary === true,
    };
  });
  if (!parsed.some((c) => c.primary)) parsed[0]!.primary = true;
  if (parsed.filter((c) => c.primary).length > 1) throw NetworkErrors.invalidRequest(`Network interface ${input.id} has more than one primary IP configuration.`);
  const publicIps = parsed.filter((c) => c.publicIpId).map((c) => c.publicIpId!.toLowerCase());
  const twice = publicIps.find((id, i) => publicIps.indexOf(id) !== i);
  if (twice) throw NetworkErrors.invalidRequest(`Public IP address ${twice} is named by more than one IP configuration of network interface ${input.id}.`);
  return parsed;
}

/** What a NIC holds in other documents: addresses by subnet, public IPs, the NSG. */
function holdings(doc: NicDocument | null) {
  const configurations = doc?.properties.ipConfigurations ?? [];
  return {
    addresses: configurations.map((c) => ({ subnetId: c.properties.subnet.id, ipConfigurationId: c.id })),
    publicIps: configurations.filter((c) => c.properties.publicIPAddress).map((c) => c.properties.publicIPAddress!.id),
    nsg: doc?.properties.networkSecurityGroup?.id,
  };
}

/** Lets go of what `from` holds and `to` does not (best effort: a failure here leaves a stale user record). */
async function releaseDifference(env: ArmEnv, nicId: string, from: ReturnType<typeof holdings>, to: ReturnType<typeof holdings>): Promise<void> {
  const bySubnet = new Map<string, { subnetId: string; ids: string[] }>();
  for (const a of from.addresses) {
    if (to.addresses.some((b) => sameId(a.subnetId, b.subnetId) && sameId(a.ipConfigurationId, b.ipConfigurationId))) continue;
    const entry = bySubnet.get(a.subnetId.toLowerCase()) ?? { subnetId: a.subnetId, ids: [] };
    entry.ids.push(a.ipConfigurationId);
    bySubnet.set(a.subnetId.toLowerCase(), entry);
  }
  const work: Promise<void>[] = [...bySubnet.values()].map((s) => releaseAddresses(env, s.subnetId, s.ids));
  for (const pip of from.publicIps) if (!to.publicIps.some((p) => sameId(p, pip))) work.push(releasePublicIp(env, pip, nicId));
  if (from.nsg && !sameId(from.nsg, to.nsg)) work.push(releaseNsg(env, from.nsg, { kind: "networkInterfaces", id: nicId }));
  await Promise.all(work.map((w) => w.catch(() => undefined)));
}

/** Whether the VM a NIC names still uses it (a VM that is gone, or no longer names the NIC, does not). */
async function usedBy(env: ArmEnv, nicId: string, vmId: string): Promise<boolean> {
  const vm = await virtualMachineObject(env, vmId).read();
  const nics = (vm?.properties.networkProfile as { networkInterfaces?: { id?: string }[] } | undefined)?.networkInterfaces ?? [];
  return nics.some((n) => sameId(n.id, nicId));
}

async function writeNic(env: ArmEnv, input: WriteInput) {
  const p = bodyProperties(input.body);
  if (typeof input.body.location !== "string" || input.body.location.trim() === "") throw ArmErrors.locationRequired();
  const location = normalizeLocation(input.body.location);
  const configurations = parseIpConfigurations(input, p);
  const nsgRequested = p.networkSecurityGroup !== undefined && p.networkSecurityGroup !== null
    ? referenceId(p.networkSecurityGroup, "properties.networkSecurityGroup", NSG_TYPE, input.subscriptionId, input.id)
    : undefined;

  const object = networkObject(env, input.id);
  const { doc: stored, version } = await object.readVersioned();
  const before = stored as NicDocument | null;
  // Checked here so a missing reference is reported before anything is taken (the claims check again).
  const base = envelope(NIC_TYPE, input, before);
  for (const c of configurations) {
    if (!(await subnetExists(env, c.subnetId, location))) throw NetworkErrors.invalidReference(c.subnetId, input.id);
    if (c.publicIpId && !(await publicIpExists(env, c.publicIpId, location))) throw NetworkErrors.invalidReference(c.publicIpId, input.id);
  }
  if (nsgRequested && !(await nsgExists(env, nsgRequested, location))) throw NetworkErrors.invalidReference(nsgRequested, input.id);

  const had = holdings(before);
  const taken: ReturnType<typeof holdings> = { addresses: [], publicIps: [], nsg: undefined };
  let doc: NicDocument;
  try {
    const publicIps = new Map<string, string>();
    for (const c of configurations) {
      if (!c.publicIpId) continue;
      const claimed = await claimPublicIp(env, c.publicIpId, c.id, location);
      publicIps.set(c.id, claimed);
      taken.publicIps.push(claimed);
    }
    const nsg = nsgRequested && (await claimNsg(env, nsgRequested, { kind: "networkInterfaces", id: input.id }, location));
    if (nsg) taken.nsg = nsg;

    const addresses = new Map<string, { subnetId: string; address: string }>();
    const bySubnet = new Map<string, IpConfigurationRequest[]>();
    for (const c of configurations) bySubnet.set(c.subnetId.toLowerCase(), [...(bySubnet.get(c.subnetId.toLowerCase()) ?? []), c]);
    for (const group of bySubnet.values()) {
      const reserved = await reserveAddresses(
        env,
        group[0]!.subnetId,
        input.id,
        location,
        group.map((c) => ({ ipConfigurationId: c.id, ...(c.staticAddress !== undefined ? { staticAddress: c.staticAddress } : {}) })),
      );
      group.forEach((c, i) => {
        addresses.set(c.id, { subnetId: reserved.subnetId, address: reserved.addresses[i]! });
        taken.addresses.push({ subnetId: reserved.subnetId, ipConfigurationId: c.id });
      });
    }

    const { resourceGuid, ...envelopeRest } = base;
    doc = {
      ...envelopeRest,
      properties: {
        provisioningState: "Succeeded",
        resourceGuid,
        ipConfigurations: configurations.map((c) => ({
          name: c.name,
          id: c.id,
          etag: base.etag,
          type: IP_CONFIGURATION_TYPE,
          properties: {
            provisioningState: "Succeeded",
            privateIPAddress: addresses.get(c.id)!.address,
            privateIPAllocationMethod: c.method,
            privateIPAddressVersion: "IPv4",
            subnet: { id: addresses.get(c.id)!.subnetId },
            ...(publicIps.has(c.id) ? { publicIPAddress: { id: publicIps.get(c.id)! } } : {}),
            primary: c.primary,
          },
        })),
        dnsSettings: { dnsServers: isObject(p.dnsSettings) && Array.isArray(p.dnsSettings.dnsServers) ? p.dnsSettings.dnsServers.map(String) : [], appliedDnsServers: [] },
        macAddress: macAddressFor(base.id),
        enableAcceleratedNetworking: p.enableAcceleratedNetworking === true,
        enableIPForwarding: p.enableIPForwarding === true,
        ...(nsg ? { networkSecurityGroup: { id: nsg } } : {}),
        ...(before?.properties.virtualMachine ? { virtualMachine: before.properties.virtualMachine } : {}),
        hostedWorkloads: [],
        tapConfigurations: [],
        nicType: "Standard",
        vnetEncryptionSupported: false,
      },
    };
    // Written only if nothing else changed the NIC meanwhile (a VM attaching it, another PUT).
    if (!(await object.writeIfVersion(version, doc))) throw NetworkErrors.anotherOperation(input.id);
  } catch (err) {
    const keep = (list: typeof taken) => ({
      addresses: list.addresses.filter((a) => !had.addresses.some((b) => sameId(a.ipConfigurationId, b.ipConfigurationId) && sameId(a.subnetId, b.subnetId))),
      publicIps: list.publicIps.filter((pip) => !had.publicIps.some((h) => sameId(h, pip))),
      nsg: list.nsg && !sameId(list.nsg, had.nsg) ? list.nsg : undefined,
    });
    await releaseDifference(env, input.id, keep(taken), { addresses: [], publicIps: [], nsg: undefined });
    throw err;
  }
  await releaseDifference(env, input.id, had, holdings(doc));
  await subscriptionIndex(env).upsert({ id: doc.id, type: NIC_TYPE, resourceGroup: input.resourceGroup });
  return { status: before ? 200 : 201, body: present(doc) };
}

export const networkInterfaces: ResourceTypeRecord = {
  type: NIC_TYPE,
  apiVersions: NETWORK_API_VERSIONS,
  actions: networkActions(NIC_TYPE),
  validateName: validateNetworkName,
  // After the VMs that use them, before the public IPs, NSGs and VNets they use.
  cascadeOrder: 5,

  /** Azure's linked access for a NIC: join on its subnets, public IPs and NSG. */
  links(_env, body) {
    const p = isObject(body.properties) ? body.properties : {};
    const links: LinkedScope[] = [];
    for (const c of Array.isArray(p.ipConfigurations) ? p.ipConfigurations : []) {
      const cp = isObject(c) && isObject(c.properties) ? c.properties : {};
      const subnet = namedId(cp.subnet);
      const pip = namedId(cp.publicIPAddress);
      if (subnet) links.push({ scope: subnet, action: SUBNET_JOIN });
      if (pip) links.push({ scope: pip, action: PUBLIC_IP_JOIN });
    }
    const nsg = namedId(p.networkSecurityGroup);
    if (nsg) links.push({ scope: nsg, action: NSG_JOIN });
    return { links };
  },

  read(env, address) {
    return readNetworkDocument(env, address.id);
  },

  write(env, input) {
    if (input.mode === "patch") return updateTags<NicDocument>(env, input, NIC_TYPE, present);
    return writeNic(env, input);
  },

  async delete(env, address) {
    const { previous } = await mutate<NicDocument>(env, address.id, async (doc) => {
      if (!doc) return undefined;
      const vm = doc.properties.virtualMachine?.id;
      if (vm && (await usedBy(env, doc.id, vm))) throw NetworkErrors.nicInUse(doc.id, vm);
      return null;
    });
    if (!previous) return { status: 204 };
    await subscriptionIndex(env).remove(previous.id);
    await releaseDifference(env, previous.id, holdings(previous), { addresses: [], publicIps: [], nsg: undefined });
    return { status: 200 };
  },
};

/**
 * A VM's write names the NIC: it must exist in the VM's region, and no other VM may use it.
 * Records the VM in the NIC's `virtualMachine`.
 */
export async function attachVirtualMachine(env: ArmEnv, nicId: string, vmId: string, location: string): Promise<void> {
  await mutate<NicDocument>(env, nicId, async (nic) => {
    if (!nic || nic.location !== location) throw NetworkErrors.invalidReference(nicId, vmId);
    const current = nic.properties.virtualMachine?.id;
    if (sameId(current, vmId)) return undefined;
    if (current && (await usedBy(env, nic.id, current))) throw NetworkErrors.nicAttachedElsewhere(nic.id, current);
    return { ...nic, etag: newEtag(), properties: { ...nic.properties, virtualMachine: { id: vmId } } };
  });
}

/** The VM no longer uses the NIC (it was deleted, or stopped naming it). */
export async function detachVirtualMachine(env: ArmEnv, nicId: string, vmId: string): Promise<void> {
  await mutate<NicDocument>(env, nicId, (nic) => {
    if (!nic || !sameId(nic.properties.virtualMachine?.id, vmId)) return undefined;
    const { virtualMachine: _gone, ...properties } = nic.properties;
    return { ...nic, etag: newEtag(), properties: properties as NicDocument["properties"] };
  });
}
