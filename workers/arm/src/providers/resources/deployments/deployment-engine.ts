// The deployments engine: a template is validated whole (template/, nothing applied if it is not
// valid), then its resources are applied one by one in dependency order through the same
// operations their own PUTs use (resource-operations.ts, putResourceGroup, putRoleAssignment), with
// the caller's own authorization: a deployment never grants more than the caller has.
//
// As in Azure (Incremental mode), a failure part-way leaves what was applied, skips what depends
// on the failed resource, goes on with the rest, and the deployment ends Failed with a
// DeploymentFailed error naming each failed resource; a repeated PUT applies the template again
// and converges. Complete mode also deletes the group's resources the template does not name.
import { ArmError, ArmErrors } from "../../../../../../shared/errors/arm";
import { resourceKey } from "../../../../../../shared/resource-id";
import type { Caller } from "../../../authentication";
import type { ArmEnv } from "../../../env";
import { isObject } from "../../../request-body";
import { deleteResource, readResource, resolveResourceId, writeResource } from "../../../resource-operations";
import { readRoleAssignment, putRoleAssignment } from "../../authorization/role-assignment-routes";
import { subscriptionIndex } from "../../../arm-request";
import { putResourceGroup } from "../resource-groups";
import { resourceGroupObject } from "../resource-group-store";
import { prepareDeployment, type DeploymentScope, type PlannedResource, type TemplateRuntime } from "../template/engine";
import { TemplateError } from "../template/errors";

export const DEPLOYMENT_TYPE = "Microsoft.Resources/deployments";

/** Where a deployment runs: a resource group, or a subscription (resource groups and role assignments). */
export interface DeploymentTarget {
  subscriptionId: string;
  resourceGroup?: { name: string; location: string; id: string; tags?: Record<string, string>; managedBy?: string };
  /** The deployment's own id. */
  id: string;
  name: string;
}

export interface DeploymentOperation {
  id: string;
  operationId: string;
  properties: {
    provisioningOperation: "Create" | "Delete";
    provisioningState: "Succeeded" | "Failed";
    timestamp: string;
    duration: string;
    serviceRequestId: string;
    statusCode: string;
    statusMessage?: { status: "Failed"; error: { code: string; message: string } };
    targetResource: { id: string; resourceType: string; resourceName: string; apiVersion: string };
  };
}

export interface DeploymentRun {
  document: Record<string, unknown>;
  operations: DeploymentOperation[];
}

const STATUS_TEXT: Record<number, string> = {
  200: "OK", 201: "Created", 202: "Accepted", 204: "NoContent", 400: "BadRequest", 401: "Unauthorized", 403: "Forbidden",
  404: "NotFound", 409: "Conflict", 429: "TooManyRequests", 500: "InternalServerError", 501: "NotImplemented",
};

/** The request body's parts, checked as Azure checks them before anything else. */
export function deploymentRequest(body: Record<string, unknown>, atSubscription: boolean) {
  const properties = isObject(body.properties) ? body.properties : null;
  if (!properties) throw ArmErrors.invalidRequestContent("The 'properties' of a deployment are required.");
  if (properties.templateLink !== undefined) throw ArmErrors.notImplemented("Deploying a template by templateLink (pass the template inline)");
  if (properties.parametersLink !== undefined) throw ArmErrors.notImplemented("Deploying with a parametersLink (pass the parameters inline)");
  if (!isObject(properties.template)) throw ArmErrors.invalidParameter("The template is required: properties.template must be an object.", "InvalidTemplate");
  const mode = typeof properties.mode === "string" ? properties.mode.toLowerCase() : "";
  if (mode !== "incremental" && mode !== "complete") {
    throw ArmErrors.invalidParameter(`The deployment mode '${String(properties.mode ?? "")}' is not valid. Allowed values are 'Incremental' and 'Complete'.`, "InvalidDeploymentMode");
  }
  if (mode === "complete" && atSubscription) throw ArmErrors.invalidParameter("Complete mode is only supported for resource group deployments.", "InvalidDeploymentMode");
  if (atSubscription && (typeof body.location !== "string" || !body.location.trim())) throw ArmErrors.locationRequired();
  if (properties.parameters !== undefined && properties.parameters !== null && !isObject(properties.parameters)) {
    throw ArmErrors.invalidRequestContent("properties.parameters must be an object.");
  }
  return {
    template: properties.template,
    parameters: (properties.parameters ?? {}) as Record<string, unknown>,
    mode: mode === "complete" ? ("Complete" as const) : ("Incremental" as const),
  };
}

/** Template validation in ARM's 400 envelope. */
export function templateError(err: TemplateError): ArmError {
  const error = new ArmError(400, err.code, err.message);
  if (err.target) (error as ArmError & { target?: string }).target = err.target;
  return error;
}

function scopeOf(env: ArmEnv, target: DeploymentTarget): DeploymentScope {
  return {
    subscriptionId: target.subscriptionId,
    tenantId: env.TENANT_ID,
    subscriptionDisplayName: "Managed Identity Emulator",
    deploymentName: target.name,
    ...(target.resourceGroup ? { resourceGroup: target.resourceGroup } : {}),
  };
}

/** Validates (POST …/validate and every PUT's first step): nothing is applied. */
export async function prepare(env: ArmEnv, target: DeploymentTarget, template: unknown, parameters: unknown) {
  try {
    return await prepareDeployment(template, parameters, scopeOf(env, target));
  } catch (err) {
    if (err instanceof TemplateError) throw templateError(err);
    throw err;
  }
}

/** What a template resource's id names: a role assignment at a scope, a resource group, or a registered type's resource. */
type Target =
  | { kind: "roleAssignment"; scope: string; name: string }
  | { kind: "resourceGroup"; subscriptionId: string; name: string }
  | { kind: "resource"; resolved: NonNullable<ReturnType<typeof resolveResourceId>> }
  | { kind: "unknown" };

function targetOf(id: string): Target {
  const assignment = /^(.*)\/providers\/Microsoft\.Authorization\/roleAssignments\/([^/]+)$/i.exec(id);
  if (assignment) return { kind: "roleAssignment", scope: assignment[1] || "/", name: assignment[2]! };
  const group = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)$/i.exec(id);
  if (group) return { kind: "resourceGroup", subscriptionId: group[1]!, name: group[2]! };
  const resolved = resolveResourceId(id);
  return resolved ? { kind: "resource", resolved } : { kind: "unknown" };
}

/** What reference() reads: any resource the caller could GET on its own, with that authorization. */
function runtimeFor(env: ArmEnv, caller: Caller): TemplateRuntime {
  return {
    async readResource(id: string) {
      const target = targetOf(id);
      switch (target.kind) {
        case "roleAssignment":
          return readRoleAssignment(env, caller, target.scope, target.name);
        case "resourceGroup":
          return resourceGroupObject(env, target.subscriptionId, target.name).read();
        case "unknown":
          throw ArmErrors.invalidResourceType(id.split("/providers/").pop() ?? id);
        case "resource":
          try {
            return await readResource(env, caller, target.resolved.record, target.resolved.address);
          } catch (err) {
            if (err instanceof ArmError && err.status === 404) return null;
            throw err;
          }
      }
    },
  };
}

/** Applies one planned resource with its evaluated body, as its own PUT would. */
async function apply(env: ArmEnv, caller: Caller, planned: PlannedResource, body: Record<string, unknown>): Promise<number> {
  const target = targetOf(planned.id);
  switch (target.kind) {
    case "roleAssignment":
      return (await putRoleAssignment(env, caller, target.scope, target.name, body)).status;
    case "resourceGroup":
      return (await putResourceGroup(env, caller, target.subscriptionId, target.name, body)).status;
    case "resource":
      return (await writeResource(env, caller, target.resolved.record, target.resolved.address, "put", body)).status;
    case "unknown":
      throw new ArmError(400, "NoRegisteredProviderFound", `The resource type '${planned.type}' is not served by this Resource Manager (resource '${planned.name}').`);
  }
}

function failure(err: unknown): { status: number; code: string; message: string } {
  if (err instanceof ArmError) return { status: err.status, code: err.code, message: err.message };
  if (err instanceof TemplateError) return { status: 400, code: err.code, message: err.message };
  return { status: 500, code: "InternalServerError", message: err instanceof Error ? err.message : String(err) };
}

function duration(ms: number): string {
  return `PT${(ms / 1000).toFixed(3)}S`;
}

/** Runs a validated deployment to its end; never throws for a resource's failure (that is the deployment's outcome). */
export async function runDeployment(
  env: ArmEnv,
  caller: Caller,
  target: DeploymentTarget,
  request: ReturnType<typeof deploymentRequest>,
  extra: { location?: string; tags?: Record<string, string> },
): Promise<DeploymentRun> {
  const started = Date.now();
  const prepared = await prepare(env, target, request.template, request.parameters);
  const runtime = runtimeFor(env, caller);
  const operations: DeploymentOperation[] = [];
  const failed = new Set<string>();
  const applied: string[] = [];
  const details: { code: string; message: string; target?: string }[] = [];

  for (const planned of prepared.resources) {
    if (!planned.condition) continue;
    // What depends on a failed resource is not attempted, as in Azure.
    if (planned.dependsOn.some((d) => failed.has(resourceKey(d)))) {
      failed.add(resourceKey(planned.id));
      continue;
    }
    const at = Date.now();
    let status: number;
    try {
      status = await apply(env, caller, planned, await prepared.evaluate(planned, runtime));
    } catch (err) {
      const f = failure(err);
      failed.add(resourceKey(planned.id));
      details.push({ code: f.code, message: f.message, target: planned.id });
      operations.push(operation(target, planned, "Failed", f.status, Date.now() - at, { code: f.code, message: f.message }));
      continue;
    }
    applied.push(planned.id);
    operations.push(operation(target, planned, "Succeeded", status, Date.now() - at));
  }

  if (failed.size === 0 && request.mode === "Complete" && target.resourceGroup) {
    await deleteUnnamed(env, caller, target.resourceGroup.name, new Set(prepared.resources.filter((r) => r.condition).map((r) => resourceKey(r.id))), target, operations, details);
  }

  const succeeded = details.length === 0;
  let outputs: Record<string, unknown> | undefined;
  if (succeeded) {
    try {
      outputs = await prepared.outputs(runtime);
    } catch (err) {
      const f = failure(err);
      details.push({ code: f.code, message: f.message });
    }
  }
  const ok = details.length === 0;
  const now = new Date().toISOString();
  const document: Record<string, unknown> = {
    id: target.id,
    name: target.name,
    type: DEPLOYMENT_TYPE,
    ...(extra.location ? { location: extra.location } : {}),
    ...(extra.tags ? { tags: extra.tags } : {}),
    properties: {
      templateHash: await templateHash(request.template),
      parameters: prepared.parameters,
      mode: request.mode,
      provisioningState: ok ? "Succeeded" : "Failed",
      timestamp: now,
      duration: duration(Date.now() - started),
      correlationId: crypto.randomUUID(),
      providers: providersOf(prepared.resources),
      dependencies: prepared.resources
        .filter((r) => r.dependsOn.length > 0)
        .map((r) => ({
          id: r.id,
          resourceType: r.type,
          resourceName: r.name,
          dependsOn: r.dependsOn.map((d) => {
            const dep = prepared.resources.find((x) => resourceKey(x.id) === resourceKey(d));
            return { id: d, resourceType: dep?.type ?? "", resourceName: dep?.name ?? "" };
          }),
        })),
      outputResources: applied.map((id) => ({ id })),
      ...(ok && outputs ? { outputs } : {}),
      ...(ok
        ? {}
        : {
            error: {
              code: "DeploymentFailed",
              target: target.id,
              message:
                "At least one resource deployment operation failed. Please list deployment operations for details. Please see https://aka.ms/arm-deployment-operations for usage details.",
              details,
            },
          }),
    },
  };
  return { document, operations };
}

/** Complete mode: the group's resources the template does not name are deleted, each as its own DELETE. */
async function deleteUnnamed(
  env: ArmEnv,
  caller: Caller,
  resourceGroup: string,
  named: Set<string>,
  target: DeploymentTarget,
  operations: DeploymentOperation[],
  details: { code: string; message: string; target?: string }[],
): Promise<void> {
  const entries = (await subscriptionIndex(env).inGroup(resourceGroup)).filter(
    (e) => !named.has(resourceKey(e.id)) && !e.type.toLowerCase().startsWith("microsoft.resources/"),
  );
  const resolved = entries.map((e) => resolveResourceId(e.id)).filter((r) => r !== null);
  resolved.sort((a, b) => a.record.cascadeOrder - b.record.cascadeOrder);
  for (const { record, address } of resolved) {
    const at = Date.now();
    const planned: PlannedResource = { id: address.id, type: record.type, name: address.name, apiVersion: record.apiVersions.at(-1)!, dependsOn: [], condition: true, symbol: address.name };
    try {
      const { status } = await deleteResource(env, caller, record, address);
      operations.push(operation(target, planned, "Succeeded", status, Date.now() - at, undefined, "Delete"));
    } catch (err) {
      const f = failure(err);
      details.push({ code: f.code, message: f.message, target: address.id });
      operations.push(operation(target, planned, "Failed", f.status, Date.now() - at, { code: f.code, message: f.message }, "Delete"));
    }
  }
}

function operation(
  target: DeploymentTarget,
  planned: PlannedResource,
  state: "Succeeded" | "Failed",
  status: number,
  ms: number,
  error?: { code: string; message: string },
  kind: "Create" | "Delete" = "Create",
): DeploymentOperation {
  const operationId = crypto.randomUUID().replace(/-/g, "").slice(0, 16).toUpperCase();
  return {
    id: `${target.id}/operations/${operationId}`,
    operationId,
    properties: {
      provisioningOperation: kind,
      provisioningState: state,
      timestamp: new Date().toISOString(),
      duration: duration(ms),
      serviceRequestId: crypto.randomUUID(),
      statusCode: STATUS_TEXT[status] ?? String(status),
      ...(error ? { statusMessage: { status: "Failed", error } } : {}),
      targetResource: { id: planned.id, resourceType: planned.type, resourceName: planned.name, apiVersion: planned.apiVersion },
    },
  };
}

function providersOf(resources: PlannedResource[]) {
  const byNamespace = new Map<string, Set<string>>();
  for (const r of resources) {
    const [namespace, ...rest] = r.type.split("/");
    const set = byNamespace.get(namespace!) ?? new Set<string>();
    set.add(rest.join("/"));
    byNamespace.set(namespace!, set);
  }
  return [...byNamespace.entries()].map(([namespace, types]) => ({
    namespace,
    resourceTypes: [...types].map((resourceType) => ({ resourceType, locations: [] as string[] })),
  }));
}

/** A stable hash of the template, as Azure reports one (decimal digits). */
async function templateHash(template: unknown): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(template))));
  let value = 0n;
  for (const byte of digest.slice(0, 8)) value = (value << 8n) | BigInt(byte);
  return value.toString();
}
