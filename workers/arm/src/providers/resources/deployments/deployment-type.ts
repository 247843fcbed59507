// Microsoft.Resources/deployments at resource group scope as a registered type (PUT runs the
// engine synchronously and answers the finished deployment, which clients accept as a terminal
// long-running operation), its operations as a child type, and its validate / exportTemplate /
// cancel / whatIf endpoints. Subscription-scope deployments are deployment-routes.ts.
import { ArmErrors } from "../../../../../../shared/errors/arm";
import { subscriptionIndex } from "../../../arm-request";
import { armJson, methodNotAllowed } from "../../../arm-request";
import { authorize } from "../../../authorization";
import { readJsonObject } from "../../../request-body";
import type { ArmDocument, ResourceAddress, ResourceTypeRecord } from "../../../resource-types";
import { RESOURCES_API_VERSIONS } from "../api-versions";
import { requireResourceGroup } from "../resource-group-store";
import { DEPLOYMENT_TYPE, deploymentRequest, prepare, runDeployment, type DeploymentTarget } from "./deployment-engine";
import { deploymentStore } from "./deployment-store";
import type { ArmEnv } from "../../../env";

const NAME = /^[-\w._()]{1,64}$/;

export function validateDeploymentName(name: string): void {
  if (!NAME.test(name)) {
    throw ArmErrors.invalidParameter(
      `The deployment name '${name}' is invalid. It can only contain letters, digits, '-', '.', '_', '(' and ')', and be at most 64 characters long.`,
      "InvalidDeploymentName",
    );
  }
}

async function targetOf(env: ArmEnv, address: ResourceAddress): Promise<DeploymentTarget> {
  const group = await requireResourceGroup(env, address.subscriptionId, address.resourceGroup);
  return {
    subscriptionId: address.subscriptionId,
    id: address.id,
    name: address.name,
    resourceGroup: {
      id: group.id,
      name: group.name,
      location: String(group.location),
      ...(group.tags ? { tags: group.tags as Record<string, string> } : {}),
      ...(typeof group.managedBy === "string" ? { managedBy: group.managedBy } : {}),
    },
  };
}

export const deployments: ResourceTypeRecord = {
  type: DEPLOYMENT_TYPE,
  apiVersions: RESOURCES_API_VERSIONS,
  actions: {
    read: "Microsoft.Resources/deployments/read",
    write: "Microsoft.Resources/deployments/write",
    delete: "Microsoft.Resources/deployments/delete",
  },
  validateName: validateDeploymentName,
  patchable: false,
  notFound: (address) => ArmErrors.deploymentNotFound(address.name),
  // History only, and last: its resources go through their own types.
  cascadeOrder: 90,

  read(env, address) {
    return deploymentStore.read(env, address.id);
  },

  async write(env, input) {
    const request = deploymentRequest(input.body, false);
    const existing = await deploymentStore.read(env, input.id);
    const run = await runDeployment(env, input.caller, await targetOf(env, input), request, {
      ...(input.body.tags && typeof input.body.tags === "object" ? { tags: input.body.tags as Record<string, string> } : {}),
    });
    await deploymentStore.save(env, run.document as ArmDocument, run.operations, request.template);
    await subscriptionIndex(env).upsert({ id: input.id, type: DEPLOYMENT_TYPE, resourceGroup: input.resourceGroup });
    return { status: existing ? 200 : 201, body: run.document as ArmDocument };
  },

  async delete(env, address) {
    if (!(await deploymentStore.read(env, address.id))) return { status: 204 };
    await deploymentStore.erase(env, address.id);
    await subscriptionIndex(env).remove(address.id);
    return { status: 200 };
  },

  endpoints: {
    /** POST …/validate: the template and parameters checked, nothing applied. */
    async validate({ req, address }) {
      if (req.method !== "POST") methodNotAllowed(req.method);
      validateDeploymentName(address.name);
      await authorize(req.env, req.caller, "Microsoft.Resources/deployments/validate/action", address.id);
      const request = deploymentRequest(await readJsonObject(req.raw), false);
      const prepared = await prepare(req.env, await targetOf(req.env, address), request.template, request.parameters);
      return armJson(validation(address.id, address.name, request.mode, prepared.parameters, prepared.resources.filter((r) => r.condition).map((r) => r.id)));
    },
    async exportTemplate({ req, address }) {
      if (req.method !== "POST") methodNotAllowed(req.method);
      await authorize(req.env, req.caller, "Microsoft.Resources/deployments/exportTemplate/action", address.id);
      await requireResourceGroup(req.env, address.subscriptionId, address.resourceGroup);
      if (!(await deploymentStore.read(req.env, address.id))) throw ArmErrors.resourceNotFound(DEPLOYMENT_TYPE, address.name, address.resourceGroup);
      return armJson({ template: await deploymentStore.template(req.env, address.id) });
    },
    async cancel({ req, address }) {
      if (req.method !== "POST") methodNotAllowed(req.method);
      await authorize(req.env, req.caller, "Microsoft.Resources/deployments/cancel/action", address.id);
      const doc = await deploymentStore.read(req.env, address.id);
      if (!doc) throw ArmErrors.resourceNotFound(DEPLOYMENT_TYPE, address.name, address.resourceGroup);
      // Deployments run to their end within their PUT here: there is never one to cancel.
      throw ArmErrors.conflict("DeploymentCannotBeCancelled", `The deployment '${address.name}' cannot be cancelled: it has already finished.`);
    },
    async whatIf({ req }) {
      if (req.method !== "POST") methodNotAllowed(req.method);
      throw ArmErrors.notImplemented("Deployment what-if");
    },
  },
};

/** The validate answer: the deployment as it would be, with the resources it would apply. */
export function validation(id: string, name: string, mode: string, parameters: unknown, resources: string[]) {
  return {
    id,
    name,
    type: DEPLOYMENT_TYPE,
    properties: {
      templateHash: "0",
      parameters,
      mode,
      provisioningState: "Succeeded",
      timestamp: new Date().toISOString(),
      duration: "PT0S",
      correlationId: crypto.randomUUID(),
      validatedResources: resources.map((r) => ({ id: r })),
    },
  };
}

export const deploymentOperations: ResourceTypeRecord = {
  type: `${DEPLOYMENT_TYPE}/operations`,
  apiVersions: RESOURCES_API_VERSIONS,
  actions: {
    read: "Microsoft.Resources/deployments/operations/read",
    write: "Microsoft.Resources/deployments/operations/write",
    delete: "Microsoft.Resources/deployments/operations/delete",
  },
  patchable: false,
  cascadeOrder: 91,
  async read(env, address) {
    const ops = await deploymentStore.operations(env, address.parentId!);
    return (ops.find((o) => o.operationId.toLowerCase() === address.name.toLowerCase()) as unknown as ArmDocument) ?? null;
  },
  async write() {
    throw ArmErrors.methodNotAllowed("PUT");
  },
  async delete() {
    throw ArmErrors.methodNotAllowed("DELETE");
  },
  async listChildren(env, parent) {
    return (await deploymentStore.operations(env, parent.id)) as unknown as ArmDocument[];
  },
};
