// GET /subscriptions/{s}/resources and /subscriptions/{s}/resourceGroups/{rg}/resources (`az
// resource list`): every resource the subscription index holds, read through its type's record,
// in Azure's GenericResource shape. Deployments are not resources here, as in Azure.
import { ArmErrors } from "../../../../../shared/errors/arm";
import { resourceGroupId, subscriptionScope } from "../../../../../shared/resource-id";
import { armJson, methodNotAllowed, subscriptionIndex, type ArmRequest } from "../../arm-request";
import { authorize } from "../../authorization";
import { resolveResourceId } from "../../resource-operations";
import type { ArmDocument } from "../../resource-types";
import { requireResourceGroup } from "./resource-group-store";

const GENERIC_KEYS = ["id", "name", "type", "kind", "location", "tags", "sku", "identity", "managedBy", "plan", "zones", "extendedLocation"];

export async function listAllResources(req: ArmRequest, subscriptionId: string, resourceGroup: string | undefined): Promise<Response> {
  if (req.method !== "GET") methodNotAllowed(req.method);
  const scope = resourceGroup ? resourceGroupId(subscriptionId, resourceGroup) : subscriptionScope(subscriptionId);
  await authorize(req.env, req.caller, resourceGroup ? "Microsoft.Resources/subscriptions/resourceGroups/resources/read" : "Microsoft.Resources/subscriptions/resources/read", scope);
  if (resourceGroup) await requireResourceGroup(req.env, subscriptionId, resourceGroup);
  const filter = resourceFilter(req.query.get("$filter"));
  const group = resourceGroup ?? filter.resourceGroup;
  const entries = group ? await subscriptionIndex(req.env).inGroup(group) : await subscriptionIndex(req.env).all();
  const docs = await Promise.all(
    entries
      .filter((e) => !e.type.toLowerCase().startsWith("microsoft.resources/"))
      .filter((e) => !filter.resourceType || e.type.toLowerCase() === filter.resourceType)
      .filter((e) => !filter.name || e.id.split("/").pop()!.toLowerCase() === filter.name)
      .map(async (e) => {
        const resolved = resolveResourceId(e.id);
        return resolved ? resolved.record.read(req.env, resolved.address) : null;
      }),
  );
  const value = docs.filter((d): d is ArmDocument => d !== null).map(generic).sort((a, b) => String(a.id).localeCompare(String(b.id)));
  const top = Number(req.query.get("$top"));
  return armJson({ value: Number.isInteger(top) && top > 0 ? value.slice(0, top) : value });
}

function generic(doc: ArmDocument): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of GENERIC_KEYS) if (doc[key] !== undefined) out[key] = doc[key];
  return out;
}

/**
 * `resourceType eq '…'`, `resourceGroup eq '…'` and `name eq '…'`, alone or joined by `and`
 * (`az resource list -g RG --resource-type T`); other filters are refused, never ignored.
 */
function resourceFilter(filter: string | null): { resourceType?: string; resourceGroup?: string; name?: string } {
  if (!filter) return {};
  const result: { resourceType?: string; resourceGroup?: string; name?: string } = {};
  for (const clause of filter.split(/\s+and\s+/i)) {
    const match = /^\s*(resourceType|resourceGroup|name)\s+eq\s+'([^']+)'\s*$/i.exec(clause);
    if (!match) {
      throw ArmErrors.invalidParameter(
        `The $filter '${filter}' is not supported. Supported: resourceType eq '…', resourceGroup eq '…', name eq '…', joined by 'and'.`,
        "InvalidFilterInQueryString",
      );
    }
    const key = match[1]!.toLowerCase() === "resourcetype" ? "resourceType" : match[1]!.toLowerCase() === "resourcegroup" ? "resourceGroup" : "name";
    result[key] = match[2]!.toLowerCase();
  }
  return result;
}
