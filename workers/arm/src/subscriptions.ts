// GET /subscriptions and /subscriptions/{id}: the one seeded subscription.
import { subscriptionScope } from "../../../shared/resource-id";
import { requireApiVersion } from "./api-versions";
import { armJson, methodNotAllowed, requireSubscription, type ArmRequest } from "./arm-request";
import { authorize, authorizationStore } from "./authorization";
import type { ArmEnv } from "./env";

const READ = "Microsoft.Resources/subscriptions/read";

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
  requireApiVersion(req.query, "Microsoft.Resources/subscriptions");
  if (segments.length === 1) {
    // Like ARM, list only the subscriptions the caller can read.
    const scope = subscriptionScope(req.env.SUBSCRIPTION_ID);
    const { allowed } = await authorizationStore(req.env).checkAccess(req.caller.objectId, READ, scope);
    return armJson({ value: allowed ? [subscriptionDocument(req.env)] : [], count: { type: "Total", value: allowed ? 1 : 0 } });
  }
  const subscriptionId = requireSubscription(req.env, segments[1]!);
  await authorize(req.env, req.caller, READ, subscriptionScope(subscriptionId));
  return armJson(subscriptionDocument(req.env));
}
