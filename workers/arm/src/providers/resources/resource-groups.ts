// Resource groups: PUT/GET/HEAD/PATCH/DELETE and list. Deleting a group deletes everything in it
// first (each resource through its own delete, so identities are cleaned up as Azure does).
import { ArmError, ArmErrors } from "../../../../../shared/errors/arm";
import { resourceGroupId, resourceKey, subscriptionScope } from "../../../../../shared/resource-id";
import { requireApiVersion } from "../../api-versions";
import { armJson, methodNotAllowed, requireSubscription, subscriptionIndex, type ArmRequest } from "../../arm-request";
import { authorize } from "../../authorization";
import type { ArmEnv } from "../../env";
import { readJsonObject, normalizeLocation, validateTags, isObject } from "../../request-body";
import type { ArmDocument, ResourceObject } from "./resource-object";
import type { VirtualMachineObject } from "../compute/virtual-machine-object";
import type { OperationResult } from "../../operation";
import { UAMI_TYPE } from "../managed-identity/user-assigned-identities";
import type { UserAssignedIdentityObject } from "../managed-identity/user-assigned-identity-object";
import { stubOf } from "../../../../../shared/durable";
import { VAULT_TYPE, deleteVault } from "../key-vault/key-vaults";
import { VM_TYPE } from "../compute/virtual-machines";

export const RESOURCE_GROUP_TYPE = "Microsoft.Resources/resourceGroups";
const READ = "Microsoft.Resources/subscriptions/resourceGroups/read";
const WRITE = "Microsoft.Resources/subscriptions/resourceGroups/write";
const DELETE = "Microsoft.Resources/subscriptions/resourceGroups/delete";
const NAME = /^[-\w._()]{1,90}$/u;

export function resourceGroupObject(env: ArmEnv, subscriptionId: string, name: string) {
  return stubOf<ResourceObject>(env.RESOURCES, resourceKey(resourceGroupId(subscriptionId, name)));
}

/** The group a resource is written into: it must exist and not be on its way out. */
export async function requireResourceGroup(env: ArmEnv, subscriptionId: string, name: string): Promise<ArmDocument> {
  const group = await resourceGroupObject(env, subscriptionId, name).read();
  if (!group) throw ArmErrors.resourceGroupNotFound(name);
  return group;
}

export async function requireWritableResourceGroup(env: ArmEnv, subscriptionId: string, name: string): Promise<ArmDocument> {
  const group = await requireResourceGroup(env, subscriptionId, name);
  if ((group.properties as { provisioningState?: string }).provisioningState === "Deleting") {
    throw ArmErrors.conflict(
      "ResourceGroupBeingDeleted",
      `The resource group '${group.name}' is in deprovisioning state and cannot perform this operation.`,
    );
  }
  return group;
}

export async function handleResourceGroups(req: ArmRequest): Promise<Response | null> {
  const { segments } = req.path;
  if (segments[0]?.toLowerCase() !== "subscriptions" || segments[2]?.toLowerCase() !== "resourcegroups") return null;
  if (segments.length !== 3 && segments.length !== 4) return null;
  const subscriptionId = requireSubscription(req.env, segments[1]!);
  requireApiVersion(req.query, RESOURCE_GROUP_TYPE);

  if (segments.length === 3) {
    if (req.method !== "GET") methodNotAllowed(req.method);
    await authorize(req.env, req.caller, READ, subscriptionScope(subscriptionId));
    const entries = await subscriptionIndex(req.env).list(RESOURCE_GROUP_TYPE);
    const groups = await Promise.all(entries.map((e) => resourceGroupObject(req.env, subscriptionId, e.id.split("/")[4]!).read()));
    return armJson({ value: groups.filter((g) => g !== null) });
  }

  const name = segments[3]!;
  const id = resourceGroupId(subscriptionId, name);
  const object = resourceGroupObject(req.env, subscriptionId, name);
  switch (req.method) {
    case "GET":
    case "HEAD": {
      await authorize(req.env, req.caller, READ, id);
      const group = await object.read();
      if (req.method === "HEAD") return new Response(null, { status: group ? 204 : 404 });
      if (!group) throw ArmErrors.resourceGroupNotFound(name);
      return armJson(group);
    }
    case "PUT": {
      if (!NAME.test(name) || name.endsWith(".")) throw ArmErrors.resourceGroupNameInvalid(name);
      await authorize(req.env, req.caller, WRITE, id);
      const body = await readJsonObject(req.raw);
      if (typeof body.location !== "string" || !body.location.trim()) throw ArmErrors.locationRequired();
      const location = normalizeLocation(body.location);
      const tags = body.tags === undefined ? undefined : validateTags(body.tags);
      const existing = await object.read();
      if (existing && existing.location !== location) {
        throw ArmErrors.conflict(
          "InvalidResourceGroupLocation",
          `Invalid resource group location '${location}'. The Resource group already exists in location '${existing.location}'.`,
        );
      }
      if (existing && (existing.properties as { provisioningState?: string }).provisioningState === "Deleting") {
        await requireWritableResourceGroup(req.env, subscriptionId, name);
      }
      const group: ArmDocument = {
        id: (existing?.id as string) ?? id,
        name: (existing?.name as string) ?? name,
        type: RESOURCE_GROUP_TYPE,
        location,
        ...(tags !== undefined ? { tags } : existing?.tags ? { tags: existing.tags } : {}),
        ...(typeof body.managedBy === "string" ? { managedBy: body.managedBy } : {}),
        properties: { provisioningState: "Succeeded" },
      };
      await object.write(group);
      await subscriptionIndex(req.env).upsert({ id: group.id, type: RESOURCE_GROUP_TYPE, resourceGroup: group.name });
      return armJson(group, existing ? 200 : 201);
    }
    case "PATCH": {
      await authorize(req.env, req.caller, WRITE, id);
      const body = await readJsonObject(req.raw);
      const group = await requireWritableResourceGroup(req.env, subscriptionId, name);
      if (body.location !== undefined && normalizeLocation(String(body.location)) !== group.location) {
        throw ArmErrors.conflict("InvalidResourceGroupLocation", `Invalid resource group location '${String(body.location)}'. The Resource group already exists in location '${group.location}'.`);
      }
      const updated: ArmDocument = { ...group };
      if (body.tags !== undefined) updated.tags = validateTags(body.tags);
      if (typeof body.managedBy === "string") updated.managedBy = body.managedBy;
      if (body.properties !== undefined && !isObject(body.properties)) throw ArmErrors.invalidRequestContent("properties must be an object");
      await object.write(updated);
      return armJson(updated);
    }
    case "DELETE": {
      await authorize(req.env, req.caller, DELETE, id);
      const group = await object.read();
      if (!group) throw ArmErrors.resourceGroupNotFound(name);
      await deleteResourceGroup(req, subscriptionId, group);
      return new Response(null, { status: 200 });
    }
    default:
      return methodNotAllowed(req.method);
  }
}

/** Types whose own delete does more than erase a document (identities to clean up, data planes to drop). */
const RESOURCE_DELETERS: Record<string, (env: ArmEnv, id: string) => Promise<OperationResult>> = {
  [VM_TYPE.toLowerCase()]: (env, id) => stubOf<VirtualMachineObject>(env.VIRTUAL_MACHINES, resourceKey(id)).remove(),
  [UAMI_TYPE.toLowerCase()]: (env, id) => stubOf<UserAssignedIdentityObject>(env.USER_ASSIGNED_IDENTITIES, resourceKey(id)).remove(),
  [VAULT_TYPE.toLowerCase()]: deleteVault,
};

function deleteOrder(type: string): number {
  return type.toLowerCase() === VM_TYPE.toLowerCase() ? 0 : 1;
}

/** Marks the group Deleting (new writes into it are refused), deletes its content, then the group. */
async function deleteResourceGroup(req: ArmRequest, subscriptionId: string, group: ArmDocument): Promise<void> {
  const object = resourceGroupObject(req.env, subscriptionId, group.name);
  await object.write({ ...group, properties: { provisioningState: "Deleting" } });
  const index = subscriptionIndex(req.env);
  const entries = await index.inGroup(group.name);
  // VMs first: they let go of the identities they use before those are deleted.
  entries.sort((a, b) => deleteOrder(a.type) - deleteOrder(b.type));
  for (const entry of entries) {
    const remove = RESOURCE_DELETERS[entry.type.toLowerCase()];
    if (remove) {
      const result = await remove(req.env, entry.id);
      if (!result.ok) throw ArmError.from(result.error);
    } else {
      await stubOf<ResourceObject>(req.env.RESOURCES, resourceKey(entry.id)).erase();
      await index.remove(entry.id);
    }
  }
  await index.remove(group.id);
  await object.erase();
}
