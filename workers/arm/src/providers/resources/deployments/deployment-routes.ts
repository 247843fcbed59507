// Deployments at subscription scope: /subscriptions/{s}/providers/Microsoft.Resources/deployments
// [/{name}[/validate | /operations[/{id}] | /exportTemplate]]. They create resource groups and
// role assignments (and anything else by full id); the body needs a location, as in Azure.
// Resource-group deployments are a registered type (deployment-type.ts).
import { ArmErrors } from "../../../../../../shared/errors/arm";
import { subscriptionScope } from "../../../../../../shared/resource-id";
import { requireApiVersion } from "../../../api-versions";
import { armJson, methodNotAllowed, requireSubscription, subscriptionIndex, type ArmRequest } from "../../../arm-request";
import { authorize } from "../../../authorization";
import { normalizeLocation, readJsonObject, validateEnvelope } from "../../../request-body";
import type { ProviderRoutes } from "../../../resource-types";
import { RESOURCES_API_VERSIONS } from "../api-versions";
import { applyDeployment, removeDeployment, validateDeployment } from "./deployment-actions";
import { DEPLOYMENT_TYPE, type DeploymentTarget } from "./deployment-engine";
import { deploymentStore } from "./deployment-store";
import { validateDeploymentName } from "./deployment-type";

const ACTIONS = {
  read: "Microsoft.Resources/deployments/read",
  write: "Microsoft.Resources/deployments/write",
  delete: "Microsoft.Resources/deployments/delete",
  validate: "Microsoft.Resources/deployments/validate/action",
};

export const deploymentRoutes: ProviderRoutes = {
  namespace: "Microsoft.Resources",
  async routes(req: ArmRequest): Promise<Response | null> {
    const { path } = req;
    if (path.types[0]?.toLowerCase() !== "deployments" || path.resourceGroup || !path.subscriptionId) return null;
    if (path.scope.toLowerCase() !== `/subscriptions/${path.subscriptionId}`.toLowerCase()) return null;
    const subscriptionId = requireSubscription(req.env, path.subscriptionId);
    requireApiVersion(req.query, DEPLOYMENT_TYPE, RESOURCES_API_VERSIONS);
    const scope = subscriptionScope(subscriptionId);
    const name = path.names[0];
    if (name === undefined) {
      if (path.types.length !== 1) return null;
      if (req.method !== "GET") methodNotAllowed(req.method);
      await authorize(req.env, req.caller, ACTIONS.read, scope);
      const entries = (await subscriptionIndex(req.env).list(DEPLOYMENT_TYPE, "")).filter((e) => e.resourceGroup === "");
      const docs = await Promise.all(entries.map((e) => deploymentStore.read(req.env, e.id)));
      return armJson({ value: docs.filter((d) => d !== null) });
    }
    const id = `${scope}/providers/Microsoft.Resources/deployments/${name}`;
    const target: DeploymentTarget = { subscriptionId, id, name };
    const sub = path.types[1]?.toLowerCase();

    if (sub === "validate" && path.types.length === 2) {
      if (req.method !== "POST") methodNotAllowed(req.method);
      validateDeploymentName(name);
      await authorize(req.env, req.caller, ACTIONS.validate, id);
      return armJson(await validateDeployment(req.env, target, await readJsonObject(req.raw)));
    }
    if (sub === "operations") {
      if (req.method !== "GET") methodNotAllowed(req.method);
      await authorize(req.env, req.caller, "Microsoft.Resources/deployments/operations/read", id);
      if (!(await deploymentStore.read(req.env, id))) throw notFound(name);
      const ops = await deploymentStore.operations(req.env, id);
      const opId = path.names[1];
      if (opId === undefined) return armJson({ value: ops });
      const op = ops.find((o) => o.operationId.toLowerCase() === opId.toLowerCase());
      if (!op) throw ArmErrors.resourceNotFound(`${DEPLOYMENT_TYPE}/${name}/operations`, opId, "");
      return armJson(op);
    }
    if (sub === "exporttemplate" && path.types.length === 2) {
      if (req.method !== "POST") methodNotAllowed(req.method);
      await authorize(req.env, req.caller, "Microsoft.Resources/deployments/exportTemplate/action", id);
      if (!(await deploymentStore.read(req.env, id))) throw notFound(name);
      return armJson({ template: await deploymentStore.template(req.env, id) });
    }
    if (path.types.length !== 1) return null;

    switch (req.method) {
      case "GET": {
        await authorize(req.env, req.caller, ACTIONS.read, id);
        const doc = await deploymentStore.read(req.env, id);
        if (!doc) throw notFound(name);
        return armJson(doc);
      }
      case "PUT": {
        validateDeploymentName(name);
        await authorize(req.env, req.caller, ACTIONS.write, id);
        const body = await readJsonObject(req.raw);
        validateEnvelope(body);
        // A body without a location is refused in applyDeployment (LocationRequired), as in Azure.
        const { status, document } = await applyDeployment(req.env, req.caller, target, body, {
          location: typeof body.location === "string" ? normalizeLocation(body.location) : undefined,
        });
        return armJson(document, status);
      }
      case "DELETE": {
        await authorize(req.env, req.caller, ACTIONS.delete, id);
        return new Response(null, { status: await removeDeployment(req.env, id) });
      }
      default:
        return methodNotAllowed(req.method);
    }
  },
};

function notFound(name: string) {
  return ArmErrors.deploymentNotFound(name);
}
