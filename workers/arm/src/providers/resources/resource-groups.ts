// Resource groups: PUT/GET/HEAD/PATCH/DELETE and list. Deleting a group deletes everything in it
// first (each resource through its own delete, so identities are cleaned up as Azure does).
import { ArmErrors } from "../../../../../shared/errors/arm";
import { resourceGroupId, resourceKey, subscriptionScope } from "../../../../../shared/resource-id";
import { stubOf } from "../../../../../shared/durable";
import { requireApiVersion } from "../../api-versions";
import { armJson, methodNotAllowed, requireSubscription, subscriptionIndex, type ArmRequest } from "../../arm-request";
import { authorize } from "../../authorization";
import type { Caller } from "../../authentication";
import type { ArmEnv } from "../../env";
import { readJsonObject, normalizeLocation, validateEnvelope, validateTags, isObject } from "../../request-body";
import { resolveResourceId } from "../../resource-operations";
import type { ArmDocument } from "../../resource-types";
import { RESOURCES_API_VERSIONS } from "./api-versions";
import { RESOURCE_GROUP_TYPE, requireWritableResourceGroup, resourceGroupObject } from "./resource-group-store";
import type { ResourceObject } from "./resource-object";

export { RESOURCE_GROUP_TYPE };
const READ = "Microsoft.Resources/subscriptions/resourceGroups/read";
const WRITE = "Microsoft.Resources/subscriptions/resourceGroups/write";
const DELETE = "Microsoft.Resources/subscriptions/resourceGroups/delete";
const NAME = /^[-\w._()]{1,90}$/u;

export async function handleResourceGroups(req: ArmRequest): Promise<Response | null> {
  const { segments } = req.path;
  if (segments[0]?.toLowerCase() !== "subscriptions" || segments[2]?.toLowerCase() !== "resourcegroups") return null;
  if (segments.length !== 3 && segments.length !== 4) return null;
  const subscriptionId = requireSubscription(req.env, segments[1]!);
  requireApiVersion(req.query, RESOURCE_GROUP_TYPE, RESOURCES_API_VERSIONS);

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
      const result = await putResourceGroup(req.env, req.caller, subscriptionId, name, () => readJsonObject(req.raw));
      return armJson(result.body, result.status);
    }
    case "PATCH": {
      await authorize(req.env, req.caller, WRITE, id);
      const body = await readJsonObject(req.raw);
      validateEnvelope(body);
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

/**
 * Marks the group Deleting (new writes into it are refused), deletes its content through each
 * type's own delete in the registry's cascade order (VMs first: they let go of the identities and
 * NICs they use), then the group. A resource of a type no record knows is erased as a document.
 */
async function deleteResourceGroup(req: ArmRequest, subscriptionId: string, group: ArmDocument): Promise<void> {
  const object = resourceGroupObject(req.env, subscriptionId, group.name);
  await object.write({ ...group, properties: { provisioningState: "Deleting" } });
  const index = subscriptionIndex(req.env);
  const entries = (await index.inGroup(group.name)).map((entry) => ({ entry, resolved: resolveResourceId(entry.id) }));
  entries.sort((a, b) => (a.resolved?.record.cascadeOrder ?? 99) - (b.resolved?.record.cascadeOrder ?? 99));
  for (const { entry, resolved } of entries) {
    if (resolved) {
      await resolved.record.delete(req.env, resolved.address);
    } else {
      await stubOf<ResourceObject>(req.env.RESOURCES, resourceKey(entry.id)).erase();
      await index.remove(entry.id);
    }
  }
  await index.remove(group.id);
  await object.erase();
}

/** PUT of a resource group, for its route and for deployments at subscription scope. */
export async function putResourceGroup(
  env: ArmEnv,
  caller: Caller,
  subscriptionId: string,
  name: string,
  body: Record<string, unknown> | (() => Promise<Record<string, unknown>>),
): Promise<{ status: number; body: ArmDocument }> {
  if (!NAME.test(name) || name.endsWith(".")) throw ArmErrors.resourceGroupNameInvalid(name);
  const id = resourceGroupId(subscriptionId, name);
  await authorize(env, caller, WRITE, id);
  const content = typeof body === "function" ? await body() : body;
  validateEnvelope(content);
  if (typeof content.location !== "string" || !content.location.trim()) throw ArmErrors.locationRequired();
  const location = normalizeLocation(content.location);
  const tags = content.tags === undefined ? undefined : validateTags(content.tags);
  const object = resourceGroupObject(env, subscriptionId, name);
  const existing = await object.read();
  if (existing && existing.location !== location) {
    throw ArmErrors.conflict(
      "InvalidResourceGroupLocation",
      `Invalid resource group location '${location}'. The Resource group already exists in location '${existing.location}'.`,
    );
  }
  if (existing && (existing.properties as { provisioningState?: string }).provisioningState === "Deleting") {
    await requireWritableResourceGroup(env, subscriptionId, name);
  }
  const group: ArmDocument = {
    id: (existing?.id as string) ?? id,
    name: (existing?.name as string) ?? name,
    type: RESOURCE_GROUP_TYPE,
    location,
    ...(tags !== undefined ? { tags } : existing?.tags ? { tags: existing.tags } : {}),
    ...(typeof content.managedBy === "string" ? { managedBy: content.managedBy } : {}),
    properties: { provisioningState: "Succeeded" },
  };
  await object.write(group);
  await subscriptionIndex(env).upsert({ id: group.id, type: RESOURCE_GROUP_TYPE, resourceGroup: group.name });
  return { status: existing ? 200 : 201, body: group };
}
