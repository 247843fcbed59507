// Routes of Microsoft.ManagedIdentity: userAssignedIdentities (PUT/GET/PATCH/DELETE, lists by
// resource group and subscription), their federatedIdentityCredentials, and the read-out of a
// resource's system-assigned identity at {scope}/providers/Microsoft.ManagedIdentity/identities/default.
import { stubOf } from "../../../../../shared/durable";
import { ArmError, ArmErrors } from "../../../../../shared/errors/arm";
import { parseResourceId, resourceKey } from "../../../../../shared/resource-id";
import { requireApiVersion } from "../../api-versions";
import { armJson, methodNotAllowed, requireSubscription, type ArmRequest } from "../../arm-request";
import { authorize } from "../../authorization";
import type { ArmEnv } from "../../env";
import { readJsonObject } from "../../request-body";
import { listResources } from "../../resource-lists";
import { requireResourceGroup, requireWritableResourceGroup } from "../resources/resource-groups";
import { UAMI_TYPE, uamiId, validateFicName, validateUamiName } from "./user-assigned-identities";
import type { UserAssignedIdentityObject } from "./user-assigned-identity-object";
import type { VirtualMachineObject } from "../compute/virtual-machine-object";

const ACTIONS = {
  read: "Microsoft.ManagedIdentity/userAssignedIdentities/read",
  write: "Microsoft.ManagedIdentity/userAssignedIdentities/write",
  delete: "Microsoft.ManagedIdentity/userAssignedIdentities/delete",
  ficRead: "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read",
  ficWrite: "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write",
  ficDelete: "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/delete",
  identitiesRead: "Microsoft.ManagedIdentity/identities/read",
};

export function userAssignedIdentityObject(env: ArmEnv, id: string) {
  return stubOf<UserAssignedIdentityObject>(env.USER_ASSIGNED_IDENTITIES, resourceKey(id));
}

export async function handleManagedIdentity(req: ArmRequest): Promise<Response | null> {
  const { path } = req;
  if (path.namespace?.toLowerCase() !== "microsoft.managedidentity") return null;
  const type = path.types[0]?.toLowerCase();
  if (type === "identities") return systemIdentityReadout(req);
  if (type !== "userassignedidentities" || !path.subscriptionId || path.segments[0]?.toLowerCase() !== "subscriptions") return null;
  const subscriptionId = requireSubscription(req.env, path.subscriptionId);
  requireApiVersion(req.query, UAMI_TYPE);
  const group = path.resourceGroup;

  if (path.names.length === 0 && path.types.length === 1) {
    return listResources(req, subscriptionId, group, UAMI_TYPE, ACTIONS.read, (id) => userAssignedIdentityObject(req.env, id).read());
  }
  if (!group) return null;
  const name = path.names[0]!;
  const id = uamiId(subscriptionId, group, name);
  const identity = userAssignedIdentityObject(req.env, id);

  if (path.types.length === 2 && path.types[1]!.toLowerCase() === "federatedidentitycredentials") {
    return federatedCredentials(req, subscriptionId, group, name, id);
  }
  if (path.types.length !== 1 || path.names.length !== 1) return null;

  switch (req.method) {
    case "GET": {
      await authorize(req.env, req.caller, ACTIONS.read, id);
      await requireResourceGroup(req.env, subscriptionId, group);
      const doc = await identity.read();
      if (!doc) throw ArmErrors.resourceNotFound(UAMI_TYPE, name, group);
      return armJson(doc);
    }
    case "PUT":
    case "PATCH": {
      validateUamiName(name);
      await authorize(req.env, req.caller, ACTIONS.write, id);
      const body = await readJsonObject(req.raw);
      const resourceGroup = await requireWritableResourceGroup(req.env, subscriptionId, group);
      const result = await identity.write({
        mode: req.method === "PUT" ? "put" : "patch",
        id: uamiId(subscriptionId, resourceGroup.name, name),
        name,
        resourceGroup: resourceGroup.name,
        tenantId: req.env.TENANT_ID,
        body,
      });
      if (!result.ok) throw ArmError.from(result.error);
      return armJson(result.body, result.status, result.status === 201 ? { location: uamiId(subscriptionId, resourceGroup.name, name) } : {});
    }
    case "DELETE": {
      await authorize(req.env, req.caller, ACTIONS.delete, id);
      await requireResourceGroup(req.env, subscriptionId, group);
      const result = await identity.remove();
      if (!result.ok) throw ArmError.from(result.error);
      return new Response(null, { status: result.status });
    }
    default:
      return methodNotAllowed(req.method);
  }
}

async function federatedCredentials(req: ArmRequest, subscriptionId: string, group: string, identityName: string, identityId: string) {
  const identity = userAssignedIdentityObject(req.env, identityId);
  const ficName = req.path.names[1];
  const scope = ficName ? `${identityId}/federatedIdentityCredentials/${ficName}` : identityId;
  const parentMissing = async () => {
    await requireResourceGroup(req.env, subscriptionId, group);
    if (!(await identity.read())) throw ArmErrors.resourceNotFound(UAMI_TYPE, identityName, group);
  };
  if (ficName === undefined) {
    if (req.method !== "GET") methodNotAllowed(req.method);
    await authorize(req.env, req.caller, ACTIONS.ficRead, scope);
    await parentMissing();
    return armJson({ value: (await identity.federatedCredentials()) ?? [] });
  }
  switch (req.method) {
    case "GET": {
      await authorize(req.env, req.caller, ACTIONS.ficRead, scope);
      await parentMissing();
      const doc = await identity.federatedCredential(ficName);
      if (!doc) throw ArmErrors.resourceNotFound(`${UAMI_TYPE}/${identityName}/federatedIdentityCredentials`, ficName, group);
      return armJson(doc);
    }
    case "PUT": {
      validateFicName(ficName);
      await authorize(req.env, req.caller, ACTIONS.ficWrite, scope);
      const body = await readJsonObject(req.raw);
      await parentMissing();
      const result = await identity.putFederatedCredential(ficName, body);
      if (!result.ok) throw ArmError.from(result.error);
      return armJson(result.body, result.status);
    }
    case "DELETE": {
      await authorize(req.env, req.caller, ACTIONS.ficDelete, scope);
      await parentMissing();
      const result = await identity.deleteFederatedCredential(ficName);
      if (!result.ok) throw ArmError.from(result.error);
      return new Response(null, { status: result.status });
    }
    default:
      return methodNotAllowed(req.method);
  }
}

/** GET {scope}/providers/Microsoft.ManagedIdentity/identities/default: the resource's system-assigned identity. */
async function systemIdentityReadout(req: ArmRequest): Promise<Response | null> {
  const { path } = req;
  if (path.types.length !== 1 || path.names[0]?.toLowerCase() !== "default") return null;
  if (req.method !== "GET") methodNotAllowed(req.method);
  requireApiVersion(req.query, UAMI_TYPE);
  const scope = parseResourceId(path.scope);
  const id = `${path.scope}/providers/Microsoft.ManagedIdentity/identities/default`;
  await authorize(req.env, req.caller, ACTIONS.identitiesRead, path.scope);
  const isVm = scope?.namespace?.toLowerCase() === "microsoft.compute" && scope.types.length === 1 && scope.types[0]!.toLowerCase() === "virtualmachines";
  const notFound = () =>
    ArmErrors.resourceNotFound("Microsoft.ManagedIdentity/identities", "default", scope?.resourceGroup ?? "");
  if (!scope?.subscriptionId || !isVm) throw notFound();
  requireSubscription(req.env, scope.subscriptionId);
  const system = await stubOf<VirtualMachineObject>(req.env.VIRTUAL_MACHINES, resourceKey(path.scope)).systemIdentity();
  if (!system) throw notFound();
  const login = (req.env.LOGIN_URL ?? "https://login.microsoftonline.com").replace(/\/+$/, "");
  return armJson({
    id,
    name: "default",
    type: "Microsoft.ManagedIdentity/identities",
    location: system.doc.location,
    tags: system.doc.tags,
    properties: {
      tenantId: system.tenantId,
      principalId: system.principalId,
      clientId: system.clientId,
      clientSecretUrl: `${login}/${system.tenantId}/credentials?resource=${encodeURIComponent(system.doc.id)}&oid=${system.principalId}&aid=${system.clientId}`,
    },
  });
}

