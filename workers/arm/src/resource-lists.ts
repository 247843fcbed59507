// Lists of one resource type in a resource group or a whole subscription, as every provider
// answers them: authorized as a read at the list's scope, ids from the subscription index,
// documents from each resource's own object.
import { resourceGroupId, subscriptionScope } from "../../../shared/resource-id";
import { armJson, methodNotAllowed, subscriptionIndex, type ArmRequest } from "./arm-request";
import { authorize } from "./authorization";
import { requireResourceGroup } from "./providers/resources/resource-groups";

export async function listResources(
  req: ArmRequest,
  subscriptionId: string,
  resourceGroup: string | undefined,
  type: string,
  readAction: string,
  read: (id: string) => Promise<unknown | null>,
): Promise<Response> {
  if (req.method !== "GET") methodNotAllowed(req.method);
  const scope = resourceGroup ? resourceGroupId(subscriptionId, resourceGroup) : subscriptionScope(subscriptionId);
  await authorize(req.env, req.caller, readAction, scope);
  if (resourceGroup) await requireResourceGroup(req.env, subscriptionId, resourceGroup);
  const entries = await subscriptionIndex(req.env).list(type, resourceGroup);
  const docs = (await Promise.all(entries.map((e) => read(e.id)))).filter((d) => d !== null);
  // $top, where a provider supports it (Key Vault's list does), caps the page.
  const top = Number(req.query.get("$top"));
  return armJson({ value: Number.isInteger(top) && top > 0 ? docs.slice(0, top) : docs });
}
