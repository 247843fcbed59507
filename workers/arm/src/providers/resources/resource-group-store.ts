// Where resource groups are kept (one ResourceObject per group, keyed by its lower-cased id),
// and the two checks every write and read of a resource makes against its group.
import { stubOf } from "../../../../../shared/durable";
import { ArmErrors } from "../../../../../shared/errors/arm";
import { resourceGroupId, resourceKey } from "../../../../../shared/resource-id";
import type { ArmEnv } from "../../env";
import type { ArmDocument } from "../../resource-types";
import type { ResourceObject } from "./resource-object";

export const RESOURCE_GROUP_TYPE = "Microsoft.Resources/resourceGroups";

export function resourceGroupObject(env: ArmEnv, subscriptionId: string, name: string) {
  return stubOf<ResourceObject>(env.RESOURCES, resourceKey(resourceGroupId(subscriptionId, name)));
}

/** The group a resource lives in: it must exist. */
export async function requireResourceGroup(env: ArmEnv, subscriptionId: string, name: string): Promise<ArmDocument> {
  const group = await resourceGroupObject(env, subscriptionId, name).read();
  if (!group) throw ArmErrors.resourceGroupNotFound(name);
  return group;
}

/** The group a resource is written into: it must exist and not be on its way out. */
export async function requireWritableResourceGroup(env: ArmEnv, subscriptionId: string, name: string): Promise<ArmDocument> {
  const group = await requireResourceGroup(env, subscriptionId, name);
  if ((group.properties as { provisioningState?: string }).provisioningState === "Deleting") {
    throw ArmErrors.conflict(
      "ResourceGroupBeingDeleted",
      `The resource group '${group.name}' is in deprovisioning state and cannot perform this operation.`,
    );
  }
  return group;
}
