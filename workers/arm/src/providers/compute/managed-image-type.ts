// Microsoft.Compute/images (managed images) as a registered type that holds nothing. `az vm create`
// asks for …/images/{name} when --image is neither an alias nor a URN, and needs Azure's 404 to
// tell the user the image is invalid; creating managed images is not emulated.
import { ArmErrors } from "../../../../../shared/errors/arm";
import type { ResourceTypeRecord } from "../../resource-types";
import { COMPUTE_API_VERSIONS } from "./api-versions";

export const managedImages: ResourceTypeRecord = {
  type: "Microsoft.Compute/images",
  apiVersions: COMPUTE_API_VERSIONS,
  actions: {
    read: "Microsoft.Compute/images/read",
    write: "Microsoft.Compute/images/write",
    delete: "Microsoft.Compute/images/delete",
  },
  cascadeOrder: 4,
  async read() {
    return null;
  },
  async write() {
    throw ArmErrors.notImplemented("Creating managed images (Microsoft.Compute/images)");
  },
  async delete() {
    return { status: 204 };
  },
};
