// What a deployment PUT, validate and DELETE do once routed and authorized, the same at resource
// group scope (deployment-type.ts, a registered type) and at subscription scope
// (deployment-routes.ts): a target without a resource group is a subscription-scope deployment.
import { subscriptionIndex } from "../../../arm-request";
import type { Caller } from "../../../authentication";
import type { ArmEnv } from "../../../env";
import type { ArmDocument } from "../../../resource-types";
import { DEPLOYMENT_TYPE, deploymentRequest, prepare, runDeployment, type DeploymentTarget } from "./deployment-engine";
import { deploymentStore } from "./deployment-store";

/** Runs the deployment to its end, stores it with its operations and template, lists it; 201 when new. */
export async function applyDeployment(
  env: ArmEnv,
  caller: Caller,
  target: DeploymentTarget,
  body: Record<string, unknown>,
  extra: { location?: string } = {},
): Promise<{ status: number; document: ArmDocument }> {
  const request = deploymentRequest(body, !target.resourceGroup);
  const existing = await deploymentStore.read(env, target.id);
  const run = await runDeployment(env, caller, target, request, {
    ...extra,
    ...(body.tags && typeof body.tags === "object" ? { tags: body.tags as Record<string, string> } : {}),
  });
  const document = run.document as ArmDocument;
  await deploymentStore.save(env, document, run.operations, request.template);
  await subscriptionIndex(env).upsert({ id: target.id, type: DEPLOYMENT_TYPE, resourceGroup: target.resourceGroup?.name ?? "" });
  return { status: existing ? 200 : 201, document };
}

/** POST …/validate: the template and parameters checked whole, nothing applied. */
export async function validateDeployment(env: ArmEnv, target: DeploymentTarget, body: Record<string, unknown>) {
  const request = deploymentRequest(body, !target.resourceGroup);
  const prepared = await prepare(env, target, request.template, request.parameters);
  return {
    id: target.id,
    name: target.name,
    type: DEPLOYMENT_TYPE,
    properties: {
      templateHash: "0",
      parameters: prepared.parameters,
      mode: request.mode,
      provisioningState: "Succeeded",
      timestamp: new Date().toISOString(),
      duration: "PT0S",
      correlationId: crypto.randomUUID(),
      validatedResources: prepared.resources.filter((r) => r.condition).map((r) => ({ id: r.id })),
    },
  };
}

/** DELETE: the deployment's history only (its resources stay); 204 when there was none. */
export async function removeDeployment(env: ArmEnv, id: string): Promise<number> {
  if (!(await deploymentStore.read(env, id))) return 204;
  await deploymentStore.erase(env, id);
  await subscriptionIndex(env).remove(id);
  return 200;
}
