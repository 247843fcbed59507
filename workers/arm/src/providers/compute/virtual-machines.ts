// Microsoft.Compute/virtualMachines documents: what a PUT or PATCH body becomes, what clients read
// back (vmId, provisioningState, the profiles, never the admin password), and what the VM's IMDS
// serves about it.
import { catalogOsType } from "./image-catalog";
import { ArmErrors } from "../../../../../shared/errors/arm";
import type { InstanceCompute } from "../../../../../shared/rpc";
import type { IdentityKinds } from "../../identity-property";
import { desiredIdentity } from "../managed-identity/desired-identity";
import type { HostWriteRequest } from "../managed-identity/identity-host-object";
import { isObject, mergePatch, normalizeLocation, validateTags } from "../../request-body";
import { referenceId } from "../network/network-store";

export const VM_TYPE = "Microsoft.Compute/virtualMachines";
const NIC_TYPE = "Microsoft.Network/networkInterfaces";

export interface VmDocument {
  id: string;
  name: string;
  type: typeof VM_TYPE;
  location: string;
  tags: Record<string, string>;
  zones?: string[];
  identity?: Record<string, unknown>;
  properties: Record<string, unknown> & { vmId: string; provisioningState: string; timeCreated: string };
}

/** A VM write asks nothing beyond what every identity host's write carries. */
export type VmWriteRequest = HostWriteRequest;

const VM_NAME = /^[^\\/"'\[\]:|<>+=;,?*@&\s_][^\\/"'\[\]:|<>+=;,?*@&\s]{0,63}$/;

export function validateVmName(name: string): void {
  if (!VM_NAME.test(name) || name.endsWith(".") || name.endsWith("-")) {
    throw ArmErrors.invalidResourceName(
      `Resource name '${name}' is invalid. The name can be up to 64 characters long, cannot start with an underscore, cannot end with a period or a hyphen, and cannot contain special characters such as \\/"[]:|<>+=;,?*@& or whitespace.`,
    );
  }
}

/**
 * The desired document (identity still without principal ids), which kinds of identity are
 * wanted, and the user-assigned identities wanted (the merge rules of desired-identity.ts).
 */
export function desiredVm(
  existing: VmDocument | null,
  request: VmWriteRequest,
): { doc: VmDocument; identity: IdentityKinds; userAssigned: Map<string, string> } {
  const { body } = request;
  if (body.identity !== undefined && body.identity !== null && !isObject(body.identity)) {
    throw ArmErrors.invalidRequestContent("identity must be an object");
  }
  if (body.properties !== undefined && body.properties !== null && !isObject(body.properties)) {
    throw ArmErrors.invalidRequestContent("properties must be an object");
  }
  if (isObject(body.properties)) validateVmProperties(body.properties);
  const tags = body.tags === undefined ? undefined : validateTags(body.tags);
  const { identity, userAssigned } = desiredIdentity(existing?.identity, body.identity, request.mode);
  const result = desiredDocument(existing, request, tags);
  return { doc: withNetworkProfile(result.doc, request.subscriptionId), identity, userAssigned };
}

/**
 * The well-known VM properties must have their JSON types before anything stores or serves them
 * (IMDS hands vmSize and the profiles out as strings): Compute's 400 InvalidParameter, naming the
 * parameter as Compute does ("The value of parameter hardwareProfile.vmSize is invalid.").
 */
const VM_PROPERTY_TYPES: [path: string, type: "string" | "object" | "array"][] = [
  ["hardwareProfile", "object"],
  ["hardwareProfile.vmSize", "string"],
  ["osProfile", "object"],
  ["osProfile.computerName", "string"],
  ["osProfile.adminUsername", "string"],
  ["osProfile.adminPassword", "string"],
  ["osProfile.customData", "string"],
  ["osProfile.linuxConfiguration", "object"],
  ["osProfile.windowsConfiguration", "object"],
  ["osProfile.secrets", "array"],
  ["storageProfile", "object"],
  ["storageProfile.imageReference", "object"],
  ["storageProfile.osDisk", "object"],
  ["storageProfile.osDisk.osType", "string"],
  ["storageProfile.dataDisks", "array"],
  ["networkProfile", "object"],
  ["priority", "string"],
  ["evictionPolicy", "string"],
  ["userData", "string"],
];

function validateVmProperties(properties: Record<string, unknown>): void {
  for (const [path, type] of VM_PROPERTY_TYPES) {
    const value = path.split(".").reduce<unknown>((v, key) => (isObject(v) ? v[key] : undefined), properties);
    if (value === undefined || value === null) continue;
    const ok = type === "object" ? isObject(value) : type === "array" ? Array.isArray(value) : typeof value === type;
    if (!ok) throw ArmErrors.invalidParameter(`The value of parameter ${path} is invalid.`);
  }
}

/** The NICs a VM document names (ids as written). */
export function networkInterfaceIds(doc: VmDocument): string[] {
  const profile = doc.properties.networkProfile as { networkInterfaces?: { id: string }[] } | undefined;
  return (profile?.networkInterfaces ?? []).map((n) => n.id);
}

/**
 * networkProfile as Azure reads it back: always with its networkInterfaces (empty for a VM created
 * without any, which the emulator allows and `az vm show -d` needs), each naming a NIC by its id;
 * null settings (az sends `deleteOption: null`) are dropped. Whether the NICs exist is the VM
 * object's to check, when it attaches them.
 */
function withNetworkProfile(doc: VmDocument, subscriptionId: string): VmDocument {
  const profile = isObject(doc.properties.networkProfile) ? doc.properties.networkProfile : {};
  const list = profile.networkInterfaces ?? [];
  if (!Array.isArray(list)) throw ArmErrors.invalidRequestContent("properties.networkProfile.networkInterfaces must be an array");
  const networkInterfaces = list.map((entry: unknown, i: number) => {
    const id = referenceId(entry, `properties.networkProfile.networkInterfaces[${i}]`, NIC_TYPE, subscriptionId, doc.id);
    const settings = isObject(entry) && isObject(entry.properties) ? Object.entries(entry.properties).filter(([, v]) => v !== null) : [];
    return { id, ...(settings.length ? { properties: Object.fromEntries(settings) } : {}) };
  });
  return { ...doc, properties: { ...doc.properties, networkProfile: { ...profile, networkInterfaces } } };
}

function desiredDocument(existing: VmDocument | null, request: VmWriteRequest, tags: Record<string, string> | undefined): { doc: VmDocument } {
  const { body } = request;
  if (request.mode === "put") {
    if (typeof body.location !== "string" || body.location.trim() === "") throw ArmErrors.locationRequired();
    const location = normalizeLocation(body.location);
    if (existing && existing.location !== location) {
      throw ArmErrors.conflict("PropertyChangeNotAllowed", "Changing property 'location' is not allowed.");
    }
    const properties = sanitizeProperties((body.properties as Record<string, unknown>) ?? {});
    return {
      doc: {
        id: existing?.id ?? request.id,
        name: existing?.name ?? request.name,
        type: VM_TYPE,
        location,
        tags: tags ?? {},
        ...(Array.isArray(body.zones) ? { zones: body.zones.map(String) } : {}),
        properties: {
          ...properties,
          vmId: existing?.properties.vmId ?? crypto.randomUUID(),
          provisioningState: "Succeeded",
          timeCreated: existing?.properties.timeCreated ?? new Date().toISOString(),
        },
      },
    };
  }

  if (!existing) throw new Error("PATCH of a missing VM reaches desiredVm");
  if (body.location !== undefined && normalizeLocation(String(body.location)) !== existing.location) {
    throw ArmErrors.conflict("PropertyChangeNotAllowed", "Changing property 'location' is not allowed.");
  }
  const patchedProperties = body.properties
    ? sanitizeProperties(mergePatch(existing.properties, body.properties) as Record<string, unknown>)
    : existing.properties;
  return {
    doc: {
      ...existing,
      tags: tags ?? existing.tags,
      properties: {
        ...patchedProperties,
        vmId: existing.properties.vmId,
        provisioningState: "Succeeded",
        timeCreated: existing.properties.timeCreated,
      },
    },
  };
}

/** What a client reads back: Azure never returns the admin password, and fills in the OS type. */
function sanitizeProperties(input: Record<string, unknown>): Record<string, unknown> {
  const properties = structuredClone(input);
  delete properties.vmId;
  delete properties.provisioningState;
  delete properties.timeCreated;
  delete properties.instanceView;
  const hardware = isObject(properties.hardwareProfile) ? properties.hardwareProfile : {};
  properties.hardwareProfile = { vmSize: "Standard_D2s_v3", ...hardware };
  const os = isObject(properties.osProfile) ? properties.osProfile : undefined;
  if (os) {
    delete os.adminPassword;
    delete os.customData;
    os.secrets ??= [];
  }
  const storage = isObject(properties.storageProfile) ? properties.storageProfile : {};
  const osDisk = isObject(storage.osDisk) ? storage.osDisk : {};
  // Azure takes the OS type from the image; a body without a known image falls back to its osProfile.
  osDisk.osType ??= catalogOsType(storage.imageReference) ?? (os && isObject(os.windowsConfiguration) ? "Windows" : "Linux");
  storage.osDisk = osDisk;
  storage.dataDisks ??= [];
  properties.storageProfile = storage;
  return properties;
}

/** The compute section of the VM's /metadata/instance, every leaf a string as IMDS serves it. */
export function instanceCompute(doc: VmDocument, subscriptionId: string, resourceGroup: string): InstanceCompute {
  const p = doc.properties as Record<string, any>;
  const image = p.storageProfile?.imageReference ?? {};
  const os = p.osProfile ?? {};
  const tags = Object.entries(doc.tags);
  return {
    azEnvironment: "AzurePublicCloud",
    location: doc.location,
    name: doc.name,
    osType: String(p.storageProfile?.osDisk?.osType ?? "Linux"),
    provider: "Microsoft.Compute",
    resourceGroupName: resourceGroup,
    resourceId: doc.id,
    subscriptionId,
    tags: tags.map(([k, v]) => `${k}:${v}`).join(";"),
    tagsList: tags.map(([name, value]) => ({ name, value })),
    vmId: doc.properties.vmId,
    vmSize: String(p.hardwareProfile?.vmSize ?? ""),
    zone: doc.zones?.[0] ?? "",
    publisher: String(image.publisher ?? ""),
    offer: String(image.offer ?? ""),
    sku: String(image.sku ?? ""),
    version: String(image.version ?? image.exactVersion ?? ""),
    osProfile: {
      adminUsername: String(os.adminUsername ?? ""),
      computerName: String(os.computerName ?? doc.name),
      disablePasswordAuthentication: String(os.linuxConfiguration?.disablePasswordAuthentication ?? "false"),
    },
    priority: String(p.priority ?? ""),
    evictionPolicy: String(p.evictionPolicy ?? ""),
    platformFaultDomain: "0",
    platformUpdateDomain: "0",
    placementGroupId: "",
    vmScaleSetName: "",
    userData: "",
  };
}
