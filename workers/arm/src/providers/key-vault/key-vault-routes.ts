// Routes of Microsoft.KeyVault/vaults: PUT/GET/PATCH/DELETE, lists by resource group and by
// subscription. The document lives in a ResourceObject and the subscription index; the vault's
// data plane (mie-keyvault) is told on every write and dropped on delete.
import { ArmError, ArmErrors } from "../../../../../shared/errors/arm";
import { providerResourceId } from "../../../../../shared/resource-id";
import { requireApiVersion } from "../../api-versions";
import { armJson, methodNotAllowed, requireSubscription, subscriptionIndex, type ArmRequest } from "../../arm-request";
import { authorize } from "../../authorization";
import {
  VAULT_TYPE,
  configureDataPlane,
  deleteVault,
  desiredVault,
  validateVaultName,
  vaultDocumentObject,
  type VaultDocument,
} from "./key-vaults";
import { readJsonObject } from "../../request-body";
import { listResources } from "../../resource-lists";
import { requireResourceGroup, requireWritableResourceGroup } from "../resources/resource-groups";

const ACTIONS = {
  read: "Microsoft.KeyVault/vaults/read",
  write: "Microsoft.KeyVault/vaults/write",
  delete: "Microsoft.KeyVault/vaults/delete",
};

export async function handleKeyVaults(req: ArmRequest): Promise<Response | null> {
  const { path } = req;
  if (path.namespace?.toLowerCase() !== "microsoft.keyvault" || path.types[0]?.toLowerCase() !== "vaults") return null;
  if (!path.subscriptionId || path.segments[0]?.toLowerCase() !== "subscriptions" || path.types.length !== 1) return null;
  const subscriptionId = requireSubscription(req.env, path.subscriptionId);
  requireApiVersion(req.query, VAULT_TYPE);
  const group = path.resourceGroup;

  if (path.names.length === 0) {
    return listResources(req, subscriptionId, group, VAULT_TYPE, ACTIONS.read, (id) => vaultDocumentObject(req.env, id).read());
  }
  if (!group) return null;
  const name = path.names[0]!;
  const id = providerResourceId(subscriptionId, group, "Microsoft.KeyVault", "vaults", name);
  const object = vaultDocumentObject(req.env, id);

  switch (req.method) {
    case "GET": {
      await authorize(req.env, req.caller, ACTIONS.read, id);
      await requireResourceGroup(req.env, subscriptionId, group);
      const doc = await object.read();
      if (!doc) throw ArmErrors.resourceNotFound(VAULT_TYPE, name, group);
      return armJson(doc);
    }
    case "PUT":
    case "PATCH": {
      if (req.method === "PUT") validateVaultName(name);
      await authorize(req.env, req.caller, ACTIONS.write, id);
      const body = await readJsonObject(req.raw);
      const resourceGroup = await requireWritableResourceGroup(req.env, subscriptionId, group);
      const existing = (await object.read()) as VaultDocument | null;
      if (req.method === "PATCH" && !existing) throw ArmErrors.resourceNotFound(VAULT_TYPE, name, group);
      const doc = desiredVault(req.env, existing, {
        mode: req.method === "PUT" ? "put" : "patch",
        id: providerResourceId(subscriptionId, resourceGroup.name, "Microsoft.KeyVault", "vaults", name),
        name,
        resourceGroup: resourceGroup.name,
        body,
      });
      // Data plane first: it holds the global claim on the name, and refuses a taken one.
      await configureDataPlane(req.env, doc);
      await object.write(doc);
      await subscriptionIndex(req.env).upsert({ id: doc.id, type: VAULT_TYPE, resourceGroup: resourceGroup.name });
      return armJson(doc, existing ? 200 : 201);
    }
    case "DELETE": {
      await authorize(req.env, req.caller, ACTIONS.delete, id);
      await requireResourceGroup(req.env, subscriptionId, group);
      const result = await deleteVault(req.env, id);
      if (!result.ok) throw ArmError.from(result.error);
      return new Response(null, { status: result.status });
    }
    default:
      return methodNotAllowed(req.method);
  }
}
