// Microsoft.Storage/storageAccounts as a registered resource type, with its keys (listKeys,
// regenerateKey), and the subscription-level name check (checkNameAvailability). The document
// and the data plane's side of each write are in storage-accounts.ts; the body rules in
// storage-account-rules.ts.
import { ArmErrors } from "../../../../../shared/errors/arm";
import { subscriptionScope } from "../../../../../shared/resource-id";
import { requireApiVersion } from "../../api-versions";
import { armJson, methodNotAllowed, requireSubscription, subscriptionIndex, type ArmRequest } from "../../arm-request";
import { authorize } from "../../authorization";
import { readJsonObject } from "../../request-body";
import type { ProviderRoutes, ResourceTypeRecord } from "../../resource-types";
import { requireResourceGroup } from "../resources/resource-group-store";
import { STORAGE_API_VERSIONS } from "./api-versions";
import { STORAGE_ACCOUNT_TYPE, keysBody, nameAvailability, requestedKeyName, validateStorageAccountName } from "./storage-account-rules";
import { deleteAccount, readAccount, readStoredAccount, regenerateAccountKey, writeAccount } from "./storage-accounts";
import { StorageResourceErrors } from "./storage-errors";

const ACTIONS = {
  read: "Microsoft.Storage/storageAccounts/read",
  write: "Microsoft.Storage/storageAccounts/write",
  delete: "Microsoft.Storage/storageAccounts/delete",
  listKeys: "Microsoft.Storage/storageAccounts/listKeys/action",
  regenerateKey: "Microsoft.Storage/storageAccounts/regeneratekey/action",
  checkNameAvailability: "Microsoft.Storage/checknameavailability/read",
};

export const storageAccounts: ResourceTypeRecord = {
  type: STORAGE_ACCOUNT_TYPE,
  apiVersions: STORAGE_API_VERSIONS,
  actions: { read: ACTIONS.read, write: ACTIONS.write, delete: ACTIONS.delete },
  validateName: validateStorageAccountName,
  // After what may use an account (sites, VMs' boot diagnostics); alongside vaults.
  cascadeOrder: 3,

  read(env, address) {
    return readAccount(env, address.id);
  },

  async write(env, input) {
    const body = await writeAccount(env, { mode: input.mode, id: input.id, name: input.name, resourceGroup: input.resourceGroup, body: input.body });
    // Storage answers a create that finished at once with 200 and the account (not 201).
    return { status: 200, body };
  },

  delete(env, address) {
    return deleteAccount(env, address.id);
  },

  endpoints: {
    /** POST …/listKeys[?$expand=kerb]: both keys (Kerberos keys are not emulated; $expand is accepted). */
    async listKeys({ req, address }) {
      if (req.method !== "POST") methodNotAllowed(req.method);
      await authorize(req.env, req.caller, ACTIONS.listKeys, address.id);
      await requireResourceGroup(req.env, address.subscriptionId, address.resourceGroup);
      const stored = await readStoredAccount(req.env, address.id);
      if (!stored || stored.properties.provisioningState === "Deleting") throw notFound(address.name, address.resourceGroup);
      return armJson(keysBody(stored));
    },
    /** POST …/regenerateKey {"keyName": "key1"|"key2"}: the data plane takes the new key before it is answered. */
    async regenerateKey({ req, address }) {
      if (req.method !== "POST") methodNotAllowed(req.method);
      await authorize(req.env, req.caller, ACTIONS.regenerateKey, address.id);
      await requireResourceGroup(req.env, address.subscriptionId, address.resourceGroup);
      const keyName = requestedKeyName(await readJsonObject(req.raw));
      const stored = await regenerateAccountKey(req.env, address.id, keyName, () => notFound(address.name, address.resourceGroup));
      return armJson(keysBody(stored));
    },
  },
};

function notFound(name: string, resourceGroup: string): Error {
  return ArmErrors.resourceNotFound(STORAGE_ACCOUNT_TYPE, name, resourceGroup);
}

/** POST /subscriptions/{s}/providers/Microsoft.Storage/checkNameAvailability. */
async function storageRoutes(req: ArmRequest): Promise<Response | null> {
  const { path } = req;
  if (path.types.length !== 1 || path.names.length !== 0 || path.types[0]!.toLowerCase() !== "checknameavailability") return null;
  if (!path.subscriptionId || path.resourceGroup || path.scope.toLowerCase() !== subscriptionScope(path.subscriptionId).toLowerCase()) return null;
  const subscriptionId = requireSubscription(req.env, path.subscriptionId);
  requireApiVersion(req.query, "Microsoft.Storage/checkNameAvailability", STORAGE_API_VERSIONS);
  if (req.method !== "POST") methodNotAllowed(req.method);
  await authorize(req.env, req.caller, ACTIONS.checkNameAvailability, subscriptionScope(subscriptionId));
  const body = await readJsonObject(req.raw);
  if (body.type !== undefined && (typeof body.type !== "string" || body.type.toLowerCase() !== STORAGE_ACCOUNT_TYPE.toLowerCase())) {
    throw StorageResourceErrors.invalidPropertyValue(body.type, "type");
  }
  if (body.name === undefined || body.name === null) throw ArmErrors.invalidRequestContent("Required property 'name' not found in JSON. Path ''");
  // Every account of the emulator is in its one subscription, so its index knows every name.
  const name = body.name;
  const taken = typeof name === "string" && (await subscriptionIndex(req.env).list(STORAGE_ACCOUNT_TYPE)).some((e) => e.id.split("/").pop()!.toLowerCase() === name.toLowerCase());
  return armJson(nameAvailability(name, taken));
}

export const storageRoutesProvider: ProviderRoutes = {
  namespace: "Microsoft.Storage",
  resourceTypes: [{ type: "Microsoft.Storage/checkNameAvailability", apiVersions: STORAGE_API_VERSIONS }],
  routes: storageRoutes,
};
