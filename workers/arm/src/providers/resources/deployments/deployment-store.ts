// Where deployments are kept: the deployment's document, its operations and its template, each in
// a ResourceObject of its own (keyed by the deployment's lower-cased id plus a suffix), so a GET of
// the deployment never carries the template or the operations.
import { stubOf } from "../../../../../../shared/durable";
import { resourceKey } from "../../../../../../shared/resource-id";
import type { ArmEnv } from "../../../env";
import type { ArmDocument } from "../../../resource-types";
import type { ResourceObject } from "../resource-object";
import type { DeploymentOperation } from "./deployment-engine";

function object(env: ArmEnv, id: string, part: "" | "#operations" | "#template") {
  return stubOf<ResourceObject>(env.RESOURCES, `${resourceKey(id)}${part}`);
}

export const deploymentStore = {
  read(env: ArmEnv, id: string): Promise<ArmDocument | null> {
    return object(env, id, "").read();
  },
  async operations(env: ArmEnv, id: string): Promise<DeploymentOperation[]> {
    const doc = await object(env, id, "#operations").read();
    return ((doc?.value as DeploymentOperation[] | undefined) ?? []);
  },
  async template(env: ArmEnv, id: string): Promise<unknown> {
    return (await object(env, id, "#template").read())?.template ?? null;
  },
  async save(env: ArmEnv, document: ArmDocument, operations: DeploymentOperation[], template: unknown): Promise<void> {
    const base = { id: document.id, name: document.name, type: document.type };
    await object(env, document.id, "#template").write({ ...base, template });
    await object(env, document.id, "#operations").write({ ...base, value: operations });
    await object(env, document.id, "").write(document);
  },
  async erase(env: ArmEnv, id: string): Promise<void> {
    await object(env, id, "").erase();
    await object(env, id, "#operations").erase();
    await object(env, id, "#template").erase();
  },
};
