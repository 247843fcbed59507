// Microsoft.Compute/virtualMachines documents: what a PUT or PATCH body becomes, what clients read
// back (vmId, provisioningState, the profiles, never the admin password), and what the VM's IMDS
// serves about it.
import { ArmErrors } from "../../../shared/errors/arm";
import type { InstanceCompute } from "../../../shared/rpc";
import { parseIdentityType, type IdentityKinds } from "./identity-property";
import { isObject, mergePatch, normalizeLocation, validateTags } from "./request-body";

export const VM_TYPE = "Microsoft.Compute/virtualMachines";

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

export interface VmWriteRequest {
  mode: "put" | "patch";
  id: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  tenantId: string;
  body: Record<string, unknown>;
}

const VM_NAME = /^[^\\/"'\[\]:|<>+=;,?*@&\s_][^\\/"'\[\]:|<>+=;,?*@&\s]{0,63}$/;

export function validateVmName(name: string): void {
  if (!VM_NAME.test(name) || name.endsWith(".") || name.endsWith("-")) {
    throw ArmErrors.invalidResourceName(
      `Resource name '${name}' is invalid. The name can be up to 64 characters long, cannot start with an underscore, cannot end with a period or a hyphen, and cannot contain special characters such as \\/"[]:|<>+=;,?*@& or whitespace.`,
    );
  }
}

/** The desired document (identity still without principal ids) and which identities are wanted. */
export function desiredVm(existing: VmDocument | null, request: VmWriteRequest): { doc: VmDocument; identity: IdentityKinds } {
  const { body } = request;
  if (body.identity !== undefined && body.identity !== null && !isObject(body.identity)) {
    throw ArmErrors.invalidRequestContent("identity must be an object");
  }
  if (body.properties !== undefined && body.properties !== null && !isObject(body.properties)) {
    throw ArmErrors.invalidRequestContent("properties must be an object");
  }
  const tags = body.tags === undefined ? undefined : validateTags(body.tags);
  let identity: IdentityKinds;
  const identityBody = body.identity as Record<string, unknown> | undefined | null;
  if (identityBody) {
    identity = parseIdentityType(identityBody.type);
    if (identity.user || identityBody.userAssignedIdentities) {
      throw ArmErrors.notImplemented("Attaching user-assigned identities to virtual machines");
    }
  } else if (request.mode === "patch" && existing?.identity) {
    identity = parseIdentityType(existing.identity.type);
  } else {
    identity = { system: false, user: false };
  }

  if (request.mode === "put") {
    if (typeof body.location !== "string" || body.location.trim() === "") throw ArmErrors.locationRequired();
    const location = normalizeLocation(body.location);
    if (existing && existing.location !== location) {
      throw ArmErrors.conflict("PropertyChangeNotAllowed", "Changing property 'location' is not allowed.");
    }
    const properties = sanitizeProperties((body.properties as Record<string, unknown>) ?? {});
    return {
      identity,
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
    identity,
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
  osDisk.osType ??= os && isObject(os.windowsConfiguration) ? "Windows" : "Linux";
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
