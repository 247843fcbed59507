// GET /subscriptions and /subscriptions/{id}: the one seeded subscription. As in Azure, a
// principal sees a subscription when it holds any role assignment at, above or below it (a VM
// identity that is Reader on one resource group can `az login --identity` and pick it), whatever
// the role's actions; what it may then do there is still every operation's own check.
import { subscriptionScope } from "../../../../../shared/resource-id";
import { requireApiVersion } from "../../api-versions";
import { RESOURCES_API_VERSIONS } from "./api-versions";
import { armJson, methodNotAllowed, requireSubscription, type ArmRequest } from "../../arm-request";
import { authorizationStore, enforcementOn } from "../../authorization";
import { ArmErrors } from "../../../../../shared/errors/arm";
import type { ArmEnv } from "../../env";

const READ = "Microsoft.Resources/subscriptions/read";

async function visible(req: ArmRequest, subscriptionId: string): Promise<boolean> {
  if (!enforcementOn(req.env)) return true;
  return authorizationStore(req.env).hasAccessWithin(req.caller.objectId, subscriptionScope(subscriptionId));
}

function subscriptionDocument(env: ArmEnv) {
  return {
    id: subscriptionScope(env.SUBSCRIPTION_ID),
    authorizationSource: "RoleBased",
    managedByTenants: [],
    subscriptionId: env.SUBSCRIPTION_ID,
    tenantId: env.TENANT_ID,
    displayName: "Managed Identity Emulator",
    state: "Enabled",
    subscriptionPolicies: {
      locationPlacementId: "Public_2014-09-01",
      quotaId: "PayAsYouGo_2014-09-01",
      spendingLimit: "Off",
    },
  };
}

export async function handleSubscriptions(req: ArmRequest): Promise<Response | null> {
  const { segments } = req.path;
  if (segments[0]?.toLowerCase() !== "subscriptions" || segments.length > 2) return null;
  if (req.method !== "GET") methodNotAllowed(req.method);
  requireApiVersion(req.query, "Microsoft.Resources/subscriptions", RESOURCES_API_VERSIONS);
  if (segments.length === 1) {
    const allowed = await visible(req, req.env.SUBSCRIPTION_ID);
    return armJson({ value: allowed ? [subscriptionDocument(req.env)] : [], count: { type: "Total", value: allowed ? 1 : 0 } });
  }
  const subscriptionId = requireSubscription(req.env, segments[1]!);
  if (!(await visible(req, subscriptionId))) {
    throw ArmErrors.authorizationFailed(req.caller.appId, req.caller.objectId, READ, subscriptionScope(subscriptionId));
  }
  return armJson(subscriptionDocument(req.env));
}
