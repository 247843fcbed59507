// Microsoft.Authorization/roleAssignments at any scope, and roleDefinitions (built-in roles from
// shared/data/builtin-roles.json). roleDefinitionId is answered in the subscription-prefixed
// form clients compare exactly.
import { reportFlow } from "../../../../../shared/flow";
import { AuthorizationErrors, ArmErrors } from "../../../../../shared/errors/arm";
import { isGuid } from "../../../../../shared/guid";
import { scopeContains, type ArmPath } from "../../../../../shared/resource-id";
import { armJson, methodNotAllowed, type ArmRequest } from "../../arm-request";
import type { Caller } from "../../authentication";
import type { ArmEnv } from "../../env";
import { authorize, authorizationStore } from "../../authorization";
import type { RoleAssignmentRecord } from "./authorization-store";
import { readJsonObject, isObject } from "../../request-body";
import type { ProviderRoutes } from "../../resource-types";
import { builtInRole, type RoleDefinitionData } from "./role-definitions";

const AUTHORIZATION_VERSIONS = [
  "2015-06-01", "2015-07-01", "2017-05-01", "2018-01-01-preview", "2018-07-01", "2018-09-01-preview", "2020-03-01-preview",
  "2020-04-01-preview", "2020-08-01-preview", "2020-10-01-preview", "2021-04-01-preview", "2022-01-01-preview",
  "2022-04-01", "2022-05-01-preview",
];

function apiVersion(req: ArmRequest): void {
  const version = req.query.get("api-version");
  if (!version) throw ArmErrors.missingApiVersion();
  if (!AUTHORIZATION_VERSIONS.includes(version)) {
    throw ArmErrors.noRegisteredProvider(version, "roleAssignments", AUTHORIZATION_VERSIONS);
  }
}

/** `/` for the root scope, otherwise the scope as the client wrote it. */
function scopeOf(path: ArmPath): string {
  return path.scope === "" ? "/" : path.scope;
}

/** The subscription-prefixed form of a role definition id, as ARM answers below a subscription. */
export function roleDefinitionId(env: { SUBSCRIPTION_ID: string }, scope: string, guid: string): string {
  const sub = /^\/subscriptions\/([^/]+)/i.exec(scope)?.[1] ?? env.SUBSCRIPTION_ID;
  return `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
}

/** An assignment as ARM answers it; `requestScope` names the subscription of root-scope role definition ids. */
function assignmentView(env: ArmEnv, requestScope: string, record: RoleAssignmentRecord) {
  const scope = record.scope;
  const prefix = scope === "/" ? "" : scope;
  return {
    properties: {
      roleDefinitionId: roleDefinitionId(env, scope === "/" ? requestScope : scope, record.roleDefinitionId),
      principalId: record.principalId,
      principalType: record.principalType,
      scope,
      condition: record.condition,
      conditionVersion: record.conditionVersion,
      createdOn: record.createdOn,
      updatedOn: record.updatedOn,
      createdBy: record.createdBy,
      updatedBy: record.updatedBy,
      delegatedManagedIdentityResourceId: null,
      description: record.description,
    },
    id: `${prefix}/providers/Microsoft.Authorization/roleAssignments/${record.name}`,
    type: "Microsoft.Authorization/roleAssignments",
    name: record.name,
  };
}

function definitionView(req: ArmRequest, role: RoleDefinitionData) {
  return {
    id: roleDefinitionId(req.env, scopeOf(req.path), role.name),
    name: role.name,
    type: "Microsoft.Authorization/roleDefinitions",
    properties: {
      roleName: role.roleName,
      type: role.type,
      description: role.description,
      assignableScopes: role.assignableScopes,
      permissions: role.permissions,
      createdOn: "2015-02-02T21:55:09.8806423Z",
      updatedOn: "2025-01-01T00:00:00.0000000Z",
      createdBy: null,
      updatedBy: null,
    },
  };
}

/** The GUID at the end of any form of role definition id. */
function roleGuid(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const match = /(?:^|\/roleDefinitions\/)([0-9a-f-]{36})$/i.exec(value);
  return match && isGuid(match[1]) ? match[1]!.toLowerCase() : null;
}

export const authorizationRoutes: ProviderRoutes = {
  namespace: "Microsoft.Authorization",
  resourceTypes: [
    { type: "Microsoft.Authorization/roleAssignments", apiVersions: AUTHORIZATION_VERSIONS },
    { type: "Microsoft.Authorization/roleDefinitions", apiVersions: AUTHORIZATION_VERSIONS },
  ],
  routes: handleAuthorization,
};

async function handleAuthorization(req: ArmRequest): Promise<Response | null> {
  const { path } = req;
  if (path.namespace?.toLowerCase() !== "microsoft.authorization" || path.types.length !== 1) return null;
  const type = path.types[0]!.toLowerCase();
  if (type === "roleassignments") return roleAssignments(req);
  if (type === "roledefinitions") return roleDefinitions(req);
  return null;
}

async function roleAssignments(req: ArmRequest): Promise<Response> {
  apiVersion(req);
  const scope = scopeOf(req.path);
  const store = authorizationStore(req.env);
  const name = req.path.names[0];

  if (name === undefined) {
    if (req.method !== "GET") methodNotAllowed(req.method);
    await authorize(req.env, req.caller, "Microsoft.Authorization/roleAssignments/read", scope);
    const filter = parseFilter(req.query.get("$filter"));
    const records = await store.list(scope, filter);
    return armJson({ value: records.map((r) => assignmentView(req.env, scopeOf(req.path), r)) });
  }
  if (!isGuid(name)) throw AuthorizationErrors.invalidRoleAssignmentId(name);

  switch (req.method) {
    case "GET": {
      await authorize(req.env, req.caller, "Microsoft.Authorization/roleAssignments/read", scope);
      const record = await store.get(name);
      if (!record || record.scope.toLowerCase() !== scope.toLowerCase()) throw AuthorizationErrors.roleAssignmentNotFound(name);
      return armJson(assignmentView(req.env, scopeOf(req.path), record));
    }
    case "PUT": {
      const result = await putRoleAssignment(req.env, req.caller, scope, name, () => readJsonObject(req.raw));
      return armJson(assignmentView(req.env, scopeOf(req.path), result.record), result.status);
    }
    case "DELETE": {
      await authorize(req.env, req.caller, "Microsoft.Authorization/roleAssignments/delete", scope);
      const existing = await store.get(name);
      if (!existing || existing.scope.toLowerCase() !== scope.toLowerCase()) return new Response(null, { status: 204 });
      await store.remove(name);
      // The role's name, for the console's flow only: no lookup where no console is bound.
      const role = req.env.CONSOLE ? await store.roleDefinition(existing.roleDefinitionId) : undefined;
      reportFlow(req.env, req.caller.keeper, { step: 4, kind: "role-removed", service: "arm" }, () => ({
        summary: `${role?.roleName ?? existing.roleDefinitionId} removed from ${existing.principalId} at ${existing.scope}`,
        resourceId: existing.scope,
        principalId: existing.principalId,
        detail: { assignmentName: existing.name, roleName: role?.roleName ?? null, roleDefinitionId: existing.roleDefinitionId, scope: existing.scope },
      }));
      return armJson(assignmentView(req.env, scopeOf(req.path), existing));
    }
    default:
      return methodNotAllowed(req.method);
  }
}

/**
 * PUT of a role assignment at `scope`, for its route and for deployments: Azure's validation, one
 * assignment per (principal, role, scope), the principal must exist in the directory.
 */
export async function putRoleAssignment(
  env: ArmEnv,
  caller: Caller,
  scope: string,
  name: string,
  body: Record<string, unknown> | (() => Promise<Record<string, unknown>>),
): Promise<{ status: number; record: RoleAssignmentRecord }> {
  if (!isGuid(name)) throw AuthorizationErrors.invalidRoleAssignmentId(name);
  await authorize(env, caller, "Microsoft.Authorization/roleAssignments/write", scope);
  const content = typeof body === "function" ? await body() : body;
  const store = authorizationStore(env);
  const properties = isObject(content.properties) ? content.properties : null;
  if (!properties) throw ArmErrors.invalidRequestContent("properties is required");
  const guid = roleGuid(properties.roleDefinitionId);
  const role = guid ? await store.roleDefinition(guid) : undefined;
  if (!guid || !role) throw AuthorizationErrors.roleDefinitionDoesNotExist(String(properties.roleDefinitionId ?? ""));
  if (!role.assignableScopes.some((s) => scopeContains(s, scope))) throw AuthorizationErrors.scopeNotAssignable(scope, role.roleName);
  const principalId = properties.principalId;
  if (!isGuid(principalId)) throw AuthorizationErrors.invalidPrincipalId(String(principalId ?? ""));
  const principalType = typeof properties.principalType === "string" ? properties.principalType : "User";
  if (!["User", "Group", "ServicePrincipal", "ForeignGroup", "Device"].includes(principalType)) {
    throw ArmErrors.invalidParameter(`The principal type '${principalType}' is not valid.`, "InvalidPrincipalType");
  }
  const existing = await store.get(name);
  if (existing) {
    if (existing.principalId.toLowerCase() !== principalId.toLowerCase() || existing.scope.toLowerCase() !== scope.toLowerCase()) {
      throw AuthorizationErrors.updateNotPermitted();
    }
  } else {
    const duplicate = await store.findDuplicate(scope, principalId, guid);
    if (duplicate) throw AuthorizationErrors.roleAssignmentExists(duplicate.name);
    const principal = await env.AAD.getServicePrincipal(env.TENANT_ID, principalId.toLowerCase());
    if (!principal) throw AuthorizationErrors.principalNotFound(principalId, env.TENANT_ID);
  }
  const now = new Date().toISOString();
  const record: RoleAssignmentRecord = {
    name: name.toLowerCase(),
    scope,
    principalId: principalId.toLowerCase(),
    principalType,
    roleDefinitionId: guid,
    description: typeof properties.description === "string" ? properties.description : null,
    condition: typeof properties.condition === "string" ? properties.condition : null,
    conditionVersion: typeof properties.conditionVersion === "string" ? properties.conditionVersion : null,
    createdOn: existing?.createdOn ?? now,
    updatedOn: now,
    createdBy: existing?.createdBy ?? caller.objectId,
    updatedBy: caller.objectId,
  };
  // The duplicate check above answers early; this one decides, atomically, under concurrency.
  const outcome = await store.insertUnique(record);
  if (!outcome.inserted) throw AuthorizationErrors.roleAssignmentExists(outcome.existingName);
  if (!existing) {
    reportFlow(env, caller.keeper, { step: 4, kind: "role-assigned", service: "arm" }, () => ({
      summary: `${role.roleName} assigned to ${record.principalId} at ${scope}`,
      resourceId: scope,
      principalId: record.principalId,
      detail: { assignmentName: record.name, roleName: role.roleName, roleDefinitionId: guid, scope, actions: role.permissions },
    }));
  }
  return { status: existing ? 200 : 201, record };
}

/** Reads one role assignment at `scope` (deployments' reference()), or null. */
export async function readRoleAssignment(env: ArmEnv, caller: Caller, scope: string, name: string): Promise<Record<string, unknown> | null> {
  await authorize(env, caller, "Microsoft.Authorization/roleAssignments/read", scope);
  const record = await authorizationStore(env).get(name);
  if (!record || record.scope.toLowerCase() !== scope.toLowerCase()) return null;
  return assignmentView(env, scope, record);
}

/** atScope(), principalId eq '…', assignedTo('…') and their `and` combination. */
function parseFilter(filter: string | null): { atScopeOnly?: boolean; principalId?: string } {
  if (!filter) return {};
  const result: { atScopeOnly?: boolean; principalId?: string } = {};
  for (const clause of filter.split(/\s+and\s+/i)) {
    const c = clause.trim();
    let m: RegExpExecArray | null;
    if (/^atScope\(\)$/i.test(c)) result.atScopeOnly = true;
    else if ((m = /^principalId\s+eq\s+'([^']+)'$/i.exec(c))) result.principalId = m[1];
    else if ((m = /^assignedTo\('([^']+)'\)$/i.exec(c))) result.principalId = m[1];
    else throw AuthorizationErrors.unsupportedFilter(filter);
  }
  return result;
}

async function roleDefinitions(req: ArmRequest): Promise<Response> {
  apiVersion(req);
  const scope = scopeOf(req.path);
  const store = authorizationStore(req.env);
  const name = req.path.names[0];
  if (name === undefined) {
    if (req.method !== "GET") methodNotAllowed(req.method);
    await authorize(req.env, req.caller, "Microsoft.Authorization/roleDefinitions/read", scope);
    const filter = req.query.get("$filter");
    // Roles usable at the scope: built-ins everywhere, custom roles where they are assignable.
    let roles = (await store.roleDefinitions()).filter((r) => r.assignableScopes.some((s) => scopeContains(s, scope) || scopeContains(scope, s)));
    if (filter) {
      const byName = /^roleName\s+eq\s+'([^']*)'$/i.exec(filter.trim());
      const byType = /^type\s+eq\s+'([^']*)'$/i.exec(filter.trim());
      if (byName) roles = roles.filter((r) => r.roleName.toLowerCase() === byName[1]!.toLowerCase());
      else if (byType) roles = roles.filter((r) => r.type.toLowerCase() === byType[1]!.toLowerCase());
      else throw AuthorizationErrors.unsupportedFilter(filter);
    }
    return armJson({ value: roles.map((r) => definitionView(req, r)) });
  }
  if (!isGuid(name)) throw AuthorizationErrors.roleDefinitionNotFound(name);
  switch (req.method) {
    case "GET": {
      await authorize(req.env, req.caller, "Microsoft.Authorization/roleDefinitions/read", scope);
      const role = await store.roleDefinition(name);
      if (!role) throw AuthorizationErrors.roleDefinitionNotFound(name);
      return armJson(definitionView(req, role));
    }
    case "PUT": {
      await authorize(req.env, req.caller, "Microsoft.Authorization/roleDefinitions/write", scope);
      if (builtInRole(name)) throw AuthorizationErrors.invalidRoleDefinition("Built-in roles cannot be changed.");
      const role = customRole(name, await readJsonObject(req.raw), scope);
      const existed = (await store.roleDefinition(name)) !== undefined;
      if (!(await store.putCustomRole(role))) throw AuthorizationErrors.roleDefinitionNameExists(role.roleName);
      return armJson(definitionView(req, role), existed ? 200 : 201);
    }
    case "DELETE": {
      await authorize(req.env, req.caller, "Microsoft.Authorization/roleDefinitions/delete", scope);
      const role = await store.roleDefinition(name);
      const outcome = await store.deleteCustomRole(name);
      if (outcome === "inUse") throw AuthorizationErrors.roleDefinitionHasAssignments();
      if (outcome === "missing" || !role) return new Response(null, { status: 204 });
      return armJson(definitionView(req, role));
    }
    default:
      return methodNotAllowed(req.method);
  }
}

/** A custom role from a PUT body: Azure's required fields, and the PUT's scope among its assignable scopes. */
function customRole(name: string, body: Record<string, unknown>, scope: string): RoleDefinitionData {
  const properties = isObject(body.properties) ? body.properties : null;
  if (!properties) throw ArmErrors.invalidRequestContent("properties is required");
  const roleName = properties.roleName;
  if (typeof roleName !== "string" || !roleName.trim()) throw AuthorizationErrors.invalidRoleDefinition("The role name must be provided.");
  const strings = (value: unknown, what: string): string[] => {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
      throw AuthorizationErrors.invalidRoleDefinition(`The ${what} must be an array of strings.`);
    }
    return value as string[];
  };
  const permissionsIn = Array.isArray(properties.permissions) ? properties.permissions : null;
  if (!permissionsIn || permissionsIn.length === 0) throw AuthorizationErrors.invalidRoleDefinition("The role definition must have permissions.");
  const permissions = permissionsIn.map((p) => {
    if (!isObject(p)) throw AuthorizationErrors.invalidRoleDefinition("Each permission must be an object.");
    return {
      actions: strings(p.actions, "actions"),
      notActions: strings(p.notActions, "notActions"),
      dataActions: strings(p.dataActions, "dataActions"),
      notDataActions: strings(p.notDataActions, "notDataActions"),
    };
  });
  const assignableScopes = strings(properties.assignableScopes, "assignableScopes");
  if (assignableScopes.length === 0) throw AuthorizationErrors.invalidRoleDefinition("The role definition must have at least one assignable scope.");
  if (!assignableScopes.some((s) => scopeContains(scope, s))) {
    throw AuthorizationErrors.invalidRoleDefinition(`The role definition's assignable scopes must be at or below the scope '${scope}' it is created at.`);
  }
  return {
    name: name.toLowerCase(),
    roleName,
    description: typeof properties.description === "string" ? properties.description : "",
    type: "CustomRole",
    permissions,
    assignableScopes,
  };
}
