// Microsoft.Network/publicIPAddresses: a Static address is assigned at once (from 20.0.0.0/8, the
// same for the same resource id), a Dynamic one while a NIC uses it. The NIC that uses it is
// recorded in `ipConfiguration`; one public IP serves one IP configuration at a time.
import type { ArmEnv } from "../../env";
import { isObject } from "../../request-body";
import type { ArmDocument, ResourceTypeRecord } from "../../resource-types";
import { publicAddressFor } from "./addresses";
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

export const PUBLIC_IP_TYPE = "Microsoft.Network/publicIPAddresses";

type PublicIpDocument = NetworkDocument & { sku: { name: string; tier: string } };

const present = (doc: PublicIpDocument) => doc as ArmDocument;

/** The NIC an IP configuration id belongs to: {nic}/ipConfigurations/{name}. */
export function nicOfIpConfiguration(ipConfigurationId: string): string {
  return ipConfigurationId.replace(/\/ipConfigurations\/[^/]+$/i, "");
}

function oneOf(value: unknown, allowed: string[], path: string, fallback: string): string {
  if (value === undefined || value === null) return fallback;
  const found = allowed.find((a) => a.toLowerCase() === String(value).toLowerCase());
  if (!found) throw NetworkErrors.invalidRequest(`The value '${String(value)}' of ${path} is invalid. Allowed values: ${allowed.join(", ")}.`);
  return found;
}

export const publicIPAddresses: ResourceTypeRecord = {
  type: PUBLIC_IP_TYPE,
  apiVersions: NETWORK_API_VERSIONS,
  actions: networkActions(PUBLIC_IP_TYPE),
  validateName: validateNetworkName,
  cascadeOrder: 6,

  read(env, address) {
    return readNetworkDocument(env, address.id);
  },

  async write(env, input) {
    if (input.mode === "patch") return updateTags<PublicIpDocument>(env, input, PUBLIC_IP_TYPE, present);
    const p = bodyProperties(input.body);
    const skuBody = isObject(input.body.sku) ? input.body.sku : {};
    const skuName = oneOf(skuBody.name, ["Basic", "Standard"], "sku.name", "Basic");
    const sku = { name: skuName, tier: oneOf(skuBody.tier, ["Regional", "Global"], "sku.tier", "Regional") };
    const method = oneOf(p.publicIPAllocationMethod, ["Static", "Dynamic"], "properties.publicIPAllocationMethod", skuName === "Standard" ? "Static" : "Dynamic");
    if (skuName === "Standard" && method !== "Static") {
      throw NetworkErrors.standardSkuMustBeStatic(input.id);
    }
    const version = oneOf(p.publicIPAddressVersion, ["IPv4"], "properties.publicIPAddressVersion", "IPv4");
    const idle = p.idleTimeoutInMinutes ?? 4;
    if (typeof idle !== "number" || !Number.isInteger(idle) || idle < 4 || idle > 30) {
      throw NetworkErrors.invalidRequest(`The idle timeout of public IP ${input.id} must be between 4 and 30 minutes.`);
    }
    let label: string | undefined;
    if (isObject(p.dnsSettings) && typeof p.dnsSettings.domainNameLabel === "string" && p.dnsSettings.domainNameLabel) {
      label = p.dnsSettings.domainNameLabel.toLowerCase();
      if (!/^[a-z][a-z0-9-]{1,61}[a-z0-9]$/.test(label)) {
        throw NetworkErrors.invalidRequest(`The domain name label ${label} is invalid. It must conform to the following regular expression: ^[a-z][a-z0-9-]{1,61}[a-z0-9]$.`);
      }
    }
    const zones = Array.isArray(input.body.zones) ? input.body.zones.map(String) : undefined;

    const { doc, created } = await putDocument<PublicIpDocument>(env, input, PUBLIC_IP_TYPE, (existing) => {
      const { resourceGuid, ...base } = envelope(PUBLIC_IP_TYPE, input, existing);
      const ipConfiguration = existing?.properties.ipConfiguration as { id: string } | undefined;
      const assigned = method === "Static" || ipConfiguration !== undefined;
      return {
        ...base,
        sku,
        ...(zones ? { zones } : {}),
        properties: {
          provisioningState: "Succeeded",
          resourceGuid,
          publicIPAddressVersion: version,
          publicIPAllocationMethod: method,
          idleTimeoutInMinutes: idle,
          ipTags: Array.isArray(p.ipTags) ? p.ipTags : [],
          ...(assigned ? { ipAddress: publicAddressFor(base.id) } : {}),
          ...(label ? { dnsSettings: { domainNameLabel: label, fqdn: `${label}.${base.location}.cloudapp.azure.com` } } : {}),
          ...(ipConfiguration ? { ipConfiguration } : {}),
        },
      };
    });
    return { status: created ? 201 : 200, body: present(doc) };
  },

  async delete(env, address) {
    const { status } = await deleteDocument<PublicIpDocument>(env, address.id, (doc) => {
      const holder = doc.properties.ipConfiguration as { id: string } | undefined;
      if (holder) throw NetworkErrors.publicIpCannotBeDeleted(doc.id, holder.id);
    });
    return { status };
  },
};

/**
 * A NIC's IP configuration takes the public IP: it must exist in the NIC's region, and not serve
 * another NIC. Returns the public IP's id as stored.
 */
export async function claimPublicIp(env: ArmEnv, publicIpId: string, ipConfigurationId: string, location: string): Promise<string> {
  const nicId = nicOfIpConfiguration(ipConfigurationId);
  const { doc } = await mutate<PublicIpDocument>(env, publicIpId, (pip) => {
    if (!pip || pip.location !== location) throw NetworkErrors.invalidReference(publicIpId, nicId);
    const holder = pip.properties.ipConfiguration as { id: string } | undefined;
    if (holder && !sameId(nicOfIpConfiguration(holder.id), nicId)) throw NetworkErrors.publicIpInUse(pip.id, ipConfigurationId, holder.id);
    if (holder && sameId(holder.id, ipConfigurationId)) return undefined;
    return {
      ...pip,
      etag: newEtag(),
      properties: { ...pip.properties, ipAddress: publicAddressFor(pip.id), ipConfiguration: { id: ipConfigurationId } },
    };
  });
  return doc!.id;
}

/** The NIC no longer uses the public IP (a Dynamic one gives its address back). */
export async function releasePublicIp(env: ArmEnv, publicIpId: string, nicId: string): Promise<void> {
  await mutate<PublicIpDocument>(env, publicIpId, (pip) => {
    const holder = pip?.properties.ipConfiguration as { id: string } | undefined;
    if (!pip || !holder || !sameId(nicOfIpConfiguration(holder.id), nicId)) return undefined;
    const { ipConfiguration: _released, ...properties } = pip.properties;
    if (properties.publicIPAllocationMethod === "Dynamic") delete properties.ipAddress;
    return { ...pip, etag: newEtag(), properties: properties as PublicIpDocument["properties"] };
  });
}

/** Whether a public IP exists in the region (a NIC write checks before it claims anything). */
export async function publicIpExists(env: ArmEnv, id: string, location: string): Promise<boolean> {
  const doc = await readNetworkDocument(env, id);
  return doc !== null && doc.location === location;
}

