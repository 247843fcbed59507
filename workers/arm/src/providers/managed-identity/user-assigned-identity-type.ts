// Microsoft.ManagedIdentity/userAssignedIdentities and their federatedIdentityCredentials as
// registered resource types. Both live in the identity's own object: the credentials are part of
// the identity's state (the authority is told about them with the identity).
import { settle } from "../../operation";
import type { ArmDocument, ResourceTypeRecord } from "../../resource-types";
import { MANAGED_IDENTITY_API_VERSIONS } from "./api-versions";
import { FIC_TYPE, UAMI_TYPE, uamiId, validateFicName, validateUamiName } from "./user-assigned-identities";
import { userAssignedIdentityObject } from "./user-assigned-identity-store";

export const userAssignedIdentities: ResourceTypeRecord = {
  type: UAMI_TYPE,
  apiVersions: MANAGED_IDENTITY_API_VERSIONS,
  actions: {
    read: "Microsoft.ManagedIdentity/userAssignedIdentities/read",
    write: "Microsoft.ManagedIdentity/userAssignedIdentities/write",
    delete: "Microsoft.ManagedIdentity/userAssignedIdentities/delete",
  },
  validateName: validateUamiName,
  // After the VMs that use them have let go.
  cascadeOrder: 2,

  async read(env, address) {
    return (await userAssignedIdentityObject(env, address.id).read()) as ArmDocument | null;
  },

  async write(env, input) {
    // Azure's identity provider answers with a lower-case `resourcegroups` in the id.
    const id = uamiId(input.subscriptionId, input.resourceGroup, input.name);
    return settle<ArmDocument>(await userAssignedIdentityObject(env, id).write({
      mode: input.mode,
      id,
      name: input.name,
      resourceGroup: input.resourceGroup,
      tenantId: env.TENANT_ID,
      body: input.body,
    }));
  },

  async delete(env, address) {
    return { status: settle(await userAssignedIdentityObject(env, address.id).remove()).status };
  },
};

export const federatedIdentityCredentials: ResourceTypeRecord = {
  type: FIC_TYPE,
  apiVersions: MANAGED_IDENTITY_API_VERSIONS,
  actions: {
    read: "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read",
    write: "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write",
    delete: "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/delete",
  },
  validateName: validateFicName,
  patchable: false,
  // Deleted with their identity.
  cascadeOrder: 1,

  async read(env, address) {
    return (await userAssignedIdentityObject(env, address.parentId!).federatedCredential(address.name)) as ArmDocument | null;
  },

  async write(env, input) {
    return settle<ArmDocument>(await userAssignedIdentityObject(env, input.parentId!).putFederatedCredential(input.name, input.body));
  },

  async delete(env, address) {
    return { status: settle(await userAssignedIdentityObject(env, address.parentId!).deleteFederatedCredential(address.name)).status };
  },

  async listChildren(env, parent) {
    return (await userAssignedIdentityObject(env, parent.id).federatedCredentials()) as ArmDocument[] | null;
  },
};
