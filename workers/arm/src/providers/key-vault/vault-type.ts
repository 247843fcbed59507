// Microsoft.KeyVault/vaults as a registered resource type. The document lives in a ResourceObject
// and the subscription index; the vault's data plane (mie-keyvault) is told on every write, first
// (it holds the global claim on the name), and dropped on delete.
import { ArmErrors } from "../../../../../shared/errors/arm";
import { settle } from "../../operation";
import { subscriptionIndex } from "../../arm-request";
import type { ResourceTypeRecord } from "../../resource-types";
import { KEY_VAULT_API_VERSIONS } from "./api-versions";
import { VAULT_TYPE, configureDataPlane, deleteVault, desiredVault, validateVaultName, vaultDocumentObject, type VaultDocument } from "./key-vaults";

export const vaults: ResourceTypeRecord = {
  type: VAULT_TYPE,
  apiVersions: KEY_VAULT_API_VERSIONS,
  actions: {
    read: "Microsoft.KeyVault/vaults/read",
    write: "Microsoft.KeyVault/vaults/write",
    delete: "Microsoft.KeyVault/vaults/delete",
  },
  validateName: validateVaultName,
  cascadeOrder: 3,

  read(env, address) {
    return vaultDocumentObject(env, address.id).read();
  },

  async write(env, input) {
    const object = vaultDocumentObject(env, input.id);
    const existing = (await object.read()) as VaultDocument | null;
    if (input.mode === "patch" && !existing) throw ArmErrors.resourceNotFound(VAULT_TYPE, input.name, input.resourceGroup);
    const doc = desiredVault(env, existing, { mode: input.mode, id: input.id, name: input.name, resourceGroup: input.resourceGroup, body: input.body });
    await configureDataPlane(env, doc);
    await object.write(doc);
    await subscriptionIndex(env).upsert({ id: doc.id, type: VAULT_TYPE, resourceGroup: input.resourceGroup });
    return { status: existing ? 200 : 201, body: doc };
  },

  async delete(env, address) {
    return { status: settle(await deleteVault(env, address.id)).status };
  },
};
