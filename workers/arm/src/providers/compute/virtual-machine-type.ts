// Microsoft.Compute/virtualMachines as a registered resource type: its api-versions and actions,
// where its documents live (one VirtualMachineObject per VM), the identities and NICs a write links to,
// `$expand=instanceView`, and the emulator's listImdsEndpoint action (see contract.md).
import { ArmErrors } from "../../../../../shared/errors/arm";
import { armJson, methodNotAllowed } from "../../arm-request";
import { authorize } from "../../authorization";
import { isObject } from "../../request-body";
import { settle } from "../../operation";
import type { ArmDocument, LinkedScope, ResourceTypeRecord } from "../../resource-types";
import { requireResourceGroup } from "../resources/resource-group-store";
import { userAssignedLinks } from "../managed-identity/desired-identity";
import { hostWriteRequest } from "../managed-identity/identity-host-object";
import { COMPUTE_API_VERSIONS } from "./api-versions";
import { virtualMachineObject } from "./virtual-machine-store";
import { validateVmName, VM_TYPE, type VmDocument } from "./virtual-machines";

const ACTIONS = {
  read: "Microsoft.Compute/virtualMachines/read",
  write: "Microsoft.Compute/virtualMachines/write",
  delete: "Microsoft.Compute/virtualMachines/delete",
  listImdsEndpoint: "Microsoft.Compute/virtualMachines/listImdsEndpoint/action",
};

export const virtualMachines: ResourceTypeRecord = {
  type: VM_TYPE,
  apiVersions: COMPUTE_API_VERSIONS,
  actions: ACTIONS,
  validateName: validateVmName,
  // VMs go first in a cascade: they let go of the identities and NICs they use.
  cascadeOrder: 0,

  /** Linked access: assign/action on each user-assigned identity (which must exist), join/action on each NIC. */
  links(env, body) {
    const links: LinkedScope[] = userAssignedLinks(env, body);
    const properties = isObject(body.properties) ? body.properties : {};
    const nics = isObject(properties.networkProfile) ? properties.networkProfile.networkInterfaces : undefined;
    for (const nic of Array.isArray(nics) ? nics : []) {
      // A NIC that does not exist is the VM write's InvalidResourceReference, not a linked-access failure.
      if (isObject(nic) && typeof nic.id === "string" && nic.id.startsWith("/")) links.push({ scope: nic.id, action: "Microsoft.Network/networkInterfaces/join/action" });
    }
    return links.length ? { links } : null;
  },

  async read(env, address) {
    return (await virtualMachineObject(env, address.id).read()) as ArmDocument | null;
  },

  async write(env, input) {
    return settle<ArmDocument>(await virtualMachineObject(env, input.id).write(hostWriteRequest(input, env.TENANT_ID)));
  },

  async delete(env, address) {
    return { status: settle(await virtualMachineObject(env, address.id).remove()).status };
  },

  view(doc, query) {
    return withExpansions(doc as unknown as VmDocument, query.get("$expand")) as unknown as ArmDocument;
  },

  endpoints: {
    async listImdsEndpoint({ req, address }) {
      if (req.method !== "POST") methodNotAllowed(req.method);
      await authorize(req.env, req.caller, ACTIONS.listImdsEndpoint, address.id);
      await requireResourceGroup(req.env, address.subscriptionId, address.resourceGroup);
      const endpointKey = await virtualMachineObject(req.env, address.id).endpointKey();
      if (!endpointKey) throw ArmErrors.resourceNotFound(VM_TYPE, address.name, address.resourceGroup);
      const imds = (req.env.IMDS_URL ?? "http://169.254.169.254").replace(/\/+$/, "");
      return armJson({ endpoint: `${imds}/vms/${endpointKey}` });
    },
    /** GET …/instanceView: what `$expand=instanceView` adds, on its own. */
    async instanceView({ req, address }) {
      if (req.method !== "GET") methodNotAllowed(req.method);
      await authorize(req.env, req.caller, ACTIONS.read, address.id);
      await requireResourceGroup(req.env, address.subscriptionId, address.resourceGroup);
      const doc = await virtualMachineObject(req.env, address.id).read();
      if (!doc) throw ArmErrors.resourceNotFound(VM_TYPE, address.name, address.resourceGroup);
      return armJson(instanceView(doc));
    },
  },
};

/** `$expand=instanceView`: the statuses clients read the power state from (a VM here is always running). */
function withExpansions(doc: VmDocument, expand: string | null): VmDocument {
  if (!expand?.toLowerCase().split(",").includes("instanceview")) return doc;
  return { ...doc, properties: { ...doc.properties, instanceView: instanceView(doc) } };
}

function instanceView(doc: VmDocument) {
  return {
    computerName: (doc.properties.osProfile as { computerName?: string } | undefined)?.computerName ?? doc.name,
    osName: undefined,
    vmAgent: { vmAgentVersion: "2.7.41491.1010", statuses: [{ code: "ProvisioningState/succeeded", level: "Info", displayStatus: "Ready" }] },
    statuses: [
      { code: "ProvisioningState/succeeded", level: "Info", displayStatus: "Provisioning succeeded", time: doc.properties.timeCreated },
      { code: "PowerState/running", level: "Info", displayStatus: "VM running" },
    ],
  };
}
