// Microsoft.Resources/deployments at resource group scope as a registered type (PUT runs the
// engine synchronously and answers the finished deployment, which clients accept as a terminal
// long-running operation), its operations as a child type, and its validate / exportTemplate /
// cancel / whatIf endpoints. Subscription-scope deployments are deployment-routes.ts.
import { ArmErrors } from "../../../../../../shared/errors/arm";
import { armJson, methodNotAllowed } from "../../../arm-request";
import { authorize } from "../../../authorization";
import { readJsonObject } from "../../../request-body";
import type { ArmDocument, ResourceAddress, ResourceTypeRecord } from "../../../resource-types";
import { RESOURCES_API_VERSIONS } from "../api-versions";
import { requireResourceGroup } from "../resource-group-store";
import { applyDeployment, removeDeployment, validateDeployment } from "./deployment-actions";
import { DEPLOYMENT_TYPE, type DeploymentTarget } from "./deployment-engine";
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
    const { status, document } = await applyDeployment(env, input.caller, await targetOf(env, input), input.body);
    return { status, body: document };
  },

  async delete(env, address) {
    return { status: await removeDeployment(env, address.id) };
  },

  endpoints: {
    /** POST …/validate: the template and parameters checked, nothing applied. */
    async validate({ req, address }) {
      if (req.method !== "POST") methodNotAllowed(req.method);
      validateDeploymentName(address.name);
      await authorize(req.env, req.caller, "Microsoft.Resources/deployments/validate/action", address.id);
      return armJson(await validateDeployment(req.env, await targetOf(req.env, address), await readJsonObject(req.raw)));
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
