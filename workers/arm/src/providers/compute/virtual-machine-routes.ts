// Routes of Microsoft.Compute/virtualMachines: PUT/GET/PATCH/DELETE, lists by resource group
// and by subscription, and the emulator's listImdsEndpoint action (see contract.md).
import { ArmError, ArmErrors } from "../../../../../shared/errors/arm";
import { providerResourceId, resourceKey } from "../../../../../shared/resource-id";
import { requireApiVersion } from "../../api-versions";
import { armJson, methodNotAllowed, requireSubscription, type ArmRequest } from "../../arm-request";
import { authorize, authorizeLinked } from "../../authorization";
import type { ArmEnv } from "../../env";
import { isObject, readJsonObject } from "../../request-body";
import { userAssignedIdentityObject } from "../managed-identity/user-assigned-identity-routes";
import { listResources } from "../../resource-lists";
import { requireResourceGroup, requireWritableResourceGroup } from "../resources/resource-groups";
import { userAssignedChanges, validateVmName, VM_TYPE, type VmDocument } from "./virtual-machines";
import { stubOf } from "../../../../../shared/durable";
import type { VirtualMachineObject } from "./virtual-machine-object";

const ACTIONS = {
  read: "Microsoft.Compute/virtualMachines/read",
  write: "Microsoft.Compute/virtualMachines/write",
  delete: "Microsoft.Compute/virtualMachines/delete",
  listImdsEndpoint: "Microsoft.Compute/virtualMachines/listImdsEndpoint/action",
};

export function virtualMachineObject(env: ArmEnv, id: string) {
  return stubOf<VirtualMachineObject>(env.VIRTUAL_MACHINES, resourceKey(id));
}

export async function handleVirtualMachines(req: ArmRequest): Promise<Response | null> {
  const { path } = req;
  if (path.namespace?.toLowerCase() !== "microsoft.compute" || path.types[0]?.toLowerCase() !== "virtualmachines") return null;
  if (!path.subscriptionId || path.segments[0]?.toLowerCase() !== "subscriptions") return null;
  const subscriptionId = requireSubscription(req.env, path.subscriptionId);
  requireApiVersion(req.query, VM_TYPE);
  const group = path.resourceGroup;

  if (path.names.length === 0 && path.types.length === 1) {
    return listResources(req, subscriptionId, group, VM_TYPE, ACTIONS.read, (id) => virtualMachineObject(req.env, id).read());
  }
  if (!group || path.names.length !== 1) return null;
  const name = path.names[0]!;
  const id = providerResourceId(subscriptionId, group, "Microsoft.Compute", "virtualMachines", name);
  const vm = virtualMachineObject(req.env, id);

  if (path.types.length === 2) {
    if (path.types[1]!.toLowerCase() !== "listimdsendpoint") return null;
    if (req.method !== "POST") methodNotAllowed(req.method);
    await authorize(req.env, req.caller, ACTIONS.listImdsEndpoint, id);
    await requireResourceGroup(req.env, subscriptionId, group);
    const endpointKey = await vm.endpointKey();
    if (!endpointKey) throw ArmErrors.resourceNotFound(VM_TYPE, name, group);
    const imds = (req.env.IMDS_URL ?? "http://169.254.169.254").replace(/\/+$/, "");
    return armJson({ endpoint: `${imds}/vms/${endpointKey}` });
  }
  if (path.types.length !== 1) return null;

  switch (req.method) {
    case "GET": {
      await authorize(req.env, req.caller, ACTIONS.read, id);
      await requireResourceGroup(req.env, subscriptionId, group);
      const doc = await vm.read();
      if (!doc) throw ArmErrors.resourceNotFound(VM_TYPE, name, group);
      return armJson(withExpansions(doc, req.query.get("$expand")));
    }
    case "PUT":
    case "PATCH": {
      validateVmName(name);
      await authorize(req.env, req.caller, ACTIONS.write, id);
      const body = await readJsonObject(req.raw);
      await authorizeIdentityLinks(req, body, id);
      const resourceGroup = await requireWritableResourceGroup(req.env, subscriptionId, group);
      const result = await vm.write({
        mode: req.method === "PUT" ? "put" : "patch",
        id: providerResourceId(subscriptionId, resourceGroup.name, "Microsoft.Compute", "virtualMachines", name),
        name,
        subscriptionId,
        resourceGroup: resourceGroup.name,
        tenantId: req.env.TENANT_ID,
        body,
      });
      if (!result.ok) throw ArmError.from(result.error);
      return armJson(result.body, result.status);
    }
    case "DELETE": {
      await authorize(req.env, req.caller, ACTIONS.delete, id);
      await requireResourceGroup(req.env, subscriptionId, group);
      const result = await vm.remove();
      if (!result.ok) throw ArmError.from(result.error);
      return new Response(null, { status: result.status });
    }
    default:
      return methodNotAllowed(req.method);
  }
}

/** Every user-assigned identity the body attaches needs assign/action on it, and must exist. */
async function authorizeIdentityLinks(req: ArmRequest, body: Record<string, unknown>, vmId: string): Promise<void> {
  const identity = isObject(body.identity) ? body.identity : null;
  if (!identity) return;
  const attached = [...userAssignedChanges(identity.userAssignedIdentities)].filter(([, value]) => value !== null);
  await authorizeLinked(
    req.env,
    req.caller,
    ACTIONS.write,
    vmId,
    "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action",
    attached.map(([key]) => ({
      scope: key,
      exists: async () => (await userAssignedIdentityObject(req.env, key).read()) !== null,
    })),
  );
}

/** `$expand=instanceView`: the statuses clients read the power state from. */
function withExpansions(doc: VmDocument, expand: string | null): VmDocument {
  if (!expand?.toLowerCase().split(",").includes("instanceview")) return doc;
  return {
    ...doc,
    properties: {
      ...doc.properties,
      instanceView: {
        computerName: doc.name,
        statuses: [
          { code: "ProvisioningState/succeeded", level: "Info", displayStatus: "Provisioning succeeded", time: doc.properties.timeCreated },
          { code: "PowerState/running", level: "Info", displayStatus: "VM running" },
        ],
      },
    },
  };
}
