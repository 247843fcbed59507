// Microsoft.Network/networkSecurityGroups: the rules a PUT names (each with its id), Azure's six
// default rules, and who uses the group: `networkInterfaces` (NICs) and `subnets`. A group in use
// cannot be deleted.
import type { ArmEnv } from "../../env";
import { isObject } from "../../request-body";
import type { ArmDocument, ResourceTypeRecord } from "../../resource-types";
import { NETWORK_API_VERSIONS } from "./api-versions";
import { NetworkErrors } from "./network-errors";
import {
  bodyProperties,
  deleteDocument,
  envelope,
  mutate,
  networkActions,
  newEtag,
  putDocument,
  readNetworkDocument,
  sameId,
  updateTags,
  validateNetworkName,
  type NetworkDocument,
} from "./network-store";

export const NSG_TYPE = "Microsoft.Network/networkSecurityGroups";
const RULE_TYPE = `${NSG_TYPE}/securityRules`;
const DEFAULT_RULE_TYPE = `${NSG_TYPE}/defaultSecurityRules`;

type Holder = { kind: "networkInterfaces" | "subnets"; id: string };

const present = (doc: NetworkDocument) => doc as ArmDocument;

/** Azure's default rules, the same in every group. */
const DEFAULT_RULES: [string, string, "Inbound" | "Outbound", "Allow" | "Deny", number, string, string][] = [
  ["AllowVnetInBound", "Allow inbound traffic from all VMs in VNET", "Inbound", "Allow", 65000, "VirtualNetwork", "VirtualNetwork"],
  ["AllowAzureLoadBalancerInBound", "Allow inbound traffic from azure load balancer", "Inbound", "Allow", 65001, "AzureLoadBalancer", "*"],
  ["DenyAllInBound", "Deny all inbound traffic", "Inbound", "Deny", 65500, "*", "*"],
  ["AllowVnetOutBound", "Allow outbound traffic from all VMs to all VMs in VNET", "Outbound", "Allow", 65000, "VirtualNetwork", "VirtualNetwork"],
  ["AllowInternetOutBound", "Allow outbound traffic from all VMs to Internet", "Outbound", "Allow", 65001, "*", "Internet"],
  ["DenyAllOutBound", "Deny all outbound traffic", "Outbound", "Deny", 65500, "*", "*"],
];

function defaultRules(nsgId: string, etag: string) {
  return DEFAULT_RULES.map(([name, description, direction, access, priority, source, destination]) => ({
    name,
    id: `${nsgId}/defaultSecurityRules/${name}`,
    etag,
    type: DEFAULT_RULE_TYPE,
    properties: {
      provisioningState: "Succeeded",
      description,
      protocol: "*",
      sourcePortRange: "*",
      destinationPortRange: "*",
      sourceAddressPrefix: source,
      destinationAddressPrefix: destination,
      access,
      priority,
      direction,
      sourcePortRanges: [],
      destinationPortRanges: [],
      sourceAddressPrefixes: [],
      destinationAddressPrefixes: [],
    },
  }));
}

const PROTOCOLS = ["Tcp", "Udp", "Icmp", "Esp", "Ah", "*"];

function canonical(value: unknown, allowed: string[], what: string, rule: string): string {
  const found = allowed.find((a) => typeof value === "string" && a.toLowerCase() === value.toLowerCase());
  if (!found) {
    throw NetworkErrors.invalidRequest(`Security rule ${rule} has invalid ${what} '${String(value ?? "")}'. Allowed values: ${allowed.join(", ")}.`);
  }
  return found;
}

/** A rule of a PUT body, as Azure stores it; its priority and direction are checked against the others by the caller. */
function securityRule(nsgId: string, etag: string, body: unknown, index: number) {
  if (!isObject(body) || typeof body.name !== "string" || !body.name) {
    throw NetworkErrors.invalidRequest(`properties.securityRules[${index}] must be an object with a name.`);
  }
  const name = body.name;
  const p = isObject(body.properties) ? body.properties : {};
  const priority = p.priority;
  if (typeof priority !== "number" || !Number.isInteger(priority) || priority < 100 || priority > 4096) {
    throw NetworkErrors.ruleInvalidPriority(name, priority);
  }
  const list = (key: string) => (Array.isArray(p[key]) ? p[key].map(String) : []);
  const passThrough = Object.fromEntries(
    ["description", "sourcePortRange", "destinationPortRange", "sourceAddressPrefix", "destinationAddressPrefix"]
      .filter((k) => typeof p[k] === "string")
      .map((k) => [k, p[k]]),
  );
  return {
    name,
    id: `${nsgId}/securityRules/${name}`,
    etag,
    type: RULE_TYPE,
    properties: {
      provisioningState: "Succeeded",
      ...passThrough,
      protocol: canonical(p.protocol, PROTOCOLS, "protocol", name),
      access: canonical(p.access, ["Allow", "Deny"], "access", name),
      priority,
      direction: canonical(p.direction, ["Inbound", "Outbound"], "direction", name),
      sourcePortRanges: list("sourcePortRanges"),
      destinationPortRanges: list("destinationPortRanges"),
      sourceAddressPrefixes: list("sourceAddressPrefixes"),
      destinationAddressPrefixes: list("destinationAddressPrefixes"),
    },
  };
}

export const networkSecurityGroups: ResourceTypeRecord = {
  type: NSG_TYPE,
  apiVersions: NETWORK_API_VERSIONS,
  actions: networkActions(NSG_TYPE),
  validateName: validateNetworkName,
  cascadeOrder: 6,

  read(env, address) {
    return readNetworkDocument(env, address.id);
  },

  async write(env, input) {
    if (input.mode === "patch") return updateTags(env, input, NSG_TYPE, present);
    const p = bodyProperties(input.body);
    if (p.securityRules !== undefined && p.securityRules !== null && !Array.isArray(p.securityRules)) {
      throw NetworkErrors.invalidRequest("properties.securityRules must be an array.");
    }
    const { doc, created } = await putDocument<NetworkDocument>(env, input, NSG_TYPE, (existing) => {
      const { resourceGuid, ...base } = envelope(NSG_TYPE, input, existing);
      const rules = ((p.securityRules as unknown[] | undefined) ?? []).map((r, i) => securityRule(base.id, base.etag, r, i));
      const seen = new Map<string, string>();
      for (const rule of rules) {
        const nameKey = `name:${rule.name.toLowerCase()}`;
        const priorityKey = `${rule.properties.direction}:${rule.properties.priority}`;
        if (seen.has(nameKey)) throw NetworkErrors.invalidRequest(`Security rule name ${rule.name} is used more than once.`);
        const clash = seen.get(priorityKey);
        if (clash) {
          throw NetworkErrors.ruleConflict(rule.name, clash);
        }
        seen.set(nameKey, rule.name).set(priorityKey, rule.name);
      }
      return {
        ...base,
        properties: {
          provisioningState: "Succeeded",
          resourceGuid,
          securityRules: rules,
          defaultSecurityRules: defaultRules(base.id, base.etag),
          ...(existing?.properties.networkInterfaces?.length ? { networkInterfaces: existing.properties.networkInterfaces } : {}),
          ...(existing?.properties.subnets?.length ? { subnets: existing.properties.subnets } : {}),
        },
      };
    });
    return { status: created ? 201 : 200, body: present(doc) };
  },

  async delete(env, address) {
    const { status } = await deleteDocument(env, address.id, (doc) => {
      const users = [...(doc.properties.networkInterfaces ?? []), ...(doc.properties.subnets ?? [])].map((u: { id: string }) => u.id);
      if (users.length) throw NetworkErrors.nsgInUse(doc.id, users);
    });
    return { status };
  },
};

/** A NIC or subnet takes the group: it must exist in the same region. Returns its id as stored. */
export async function claimNsg(env: ArmEnv, nsgId: string, holder: Holder, location: string): Promise<string> {
  const { doc } = await mutate<NetworkDocument>(env, nsgId, (nsg) => {
    if (!nsg || nsg.location !== location) throw NetworkErrors.invalidReference(nsgId, holder.id);
    const users: { id: string }[] = nsg.properties[holder.kind] ?? [];
    if (users.some((u) => sameId(u.id, holder.id))) return undefined;
    return { ...nsg, etag: newEtag(), properties: { ...nsg.properties, [holder.kind]: [...users, { id: holder.id }] } };
  });
  return doc!.id;
}

export async function releaseNsg(env: ArmEnv, nsgId: string, holder: Holder): Promise<void> {
  await mutate<NetworkDocument>(env, nsgId, (nsg) => {
    const users: { id: string }[] = nsg?.properties[holder.kind] ?? [];
    if (!nsg || !users.some((u) => sameId(u.id, holder.id))) return undefined;
    const rest = users.filter((u) => !sameId(u.id, holder.id));
    const properties = { ...nsg.properties, [holder.kind]: rest };
    if (!rest.length) delete properties[holder.kind];
    return { ...nsg, etag: newEtag(), properties };
  });
}

export async function nsgExists(env: ArmEnv, id: string, location: string): Promise<boolean> {
  const doc = await readNetworkDocument(env, id);
  return doc !== null && doc.location === location;
}
