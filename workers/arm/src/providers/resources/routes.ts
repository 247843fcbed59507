// The Resource Manager paths outside any provider namespace, served by Microsoft.Resources:
// /subscriptions[/{s}], /subscriptions/{s}/resourcegroups[/{rg}], …/resources, and
// /subscriptions/{s}/providers[/{namespace}[/register]].
import { requireApiVersion } from "../../api-versions";
import { requireSubscription, type ArmRequest } from "../../arm-request";
import { RESOURCES_API_VERSIONS } from "./api-versions";
import { providerRegistrations } from "./provider-registrations";
import { listAllResources } from "./resource-lists";
import { handleResourceGroups } from "./resource-groups";
import { handleSubscriptions } from "./subscriptions";

export async function resourceManagerRoutes(req: ArmRequest): Promise<Response | null> {
  const s = req.path.segments.map((x) => x.toLowerCase());
  if (s[0] !== "subscriptions") return null;
  if (s.length <= 2) return handleSubscriptions(req);
  const subscriptionId = req.path.segments[1]!;
  if (s[2] === "providers" && s.length <= 5) {
    requireApiVersion(req.query, "Microsoft.Resources/providers", RESOURCES_API_VERSIONS);
    return providerRegistrations(req, requireSubscription(req.env, subscriptionId), req.path.segments[3], req.path.segments[4]);
  }
  if (s[2] === "resources" && s.length === 3) {
    requireApiVersion(req.query, "Microsoft.Resources/resources", RESOURCES_API_VERSIONS);
    return listAllResources(req, requireSubscription(req.env, subscriptionId), undefined);
  }
  if (s[2] === "resourcegroups" && s[4] === "resources" && s.length === 5) {
    requireApiVersion(req.query, "Microsoft.Resources/resources", RESOURCES_API_VERSIONS);
    return listAllResources(req, requireSubscription(req.env, subscriptionId), req.path.segments[3]);
  }
  return handleResourceGroups(req);
}
