// How the front finds what serves a request, after authentication: paths outside any provider
// (subscriptions, resource groups, resource lists, provider registrations) go to the resources
// provider's front routes; provider paths go first to that provider's own routes (extension
// resources at any scope, read-outs, catalogs), then to the registered type they address.
//
// ARM paths are case-insensitive and scope-prefixed ({scope}/providers/{ns}/{type}/{name}…), which
// a pattern router cannot express; the front parses the path once (shared/resource-id.ts) and
// dispatches on the parsed namespace and types.
import { ArmError, ArmErrors } from "../../../shared/errors/arm";
import type { ArmPath } from "../../../shared/resource-id";
import { requireApiVersion } from "./api-versions";
import { armJson, methodNotAllowed, requireSubscription, type ArmRequest } from "./arm-request";
import { resourceManagerRoutes } from "./providers/resources/routes";
import { PROVIDER_ROUTES, recordFor } from "./registry";
import { readJsonObject } from "./request-body";
import { addressFor, deleteResource, listResources, readResource, writeResource } from "./resource-operations";

export async function route(req: ArmRequest): Promise<Response> {
  const { path } = req;
  const response = !path.namespace || path.types.length === 0 ? await resourceManagerRoutes(req) : await providerRoute(req);
  if (response) return response;
  throw unroutable(path);
}

async function providerRoute(req: ArmRequest): Promise<Response | null> {
  const namespace = req.path.namespace!.toLowerCase();
  for (const provider of PROVIDER_ROUTES) {
    if (provider.namespace.toLowerCase() !== namespace) continue;
    const response = await provider.routes(req);
    if (response) return response;
  }
  return typedResourceRoute(req);
}

/** A registered type's resources in a resource group (or a subscription's list of them). */
async function typedResourceRoute(req: ArmRequest): Promise<Response | null> {
  const { path } = req;
  if (!path.subscriptionId || path.segments[0]?.toLowerCase() !== "subscriptions") return null;
  const expectedScope = path.resourceGroup ? `/subscriptions/${path.subscriptionId}/resourceGroups/${path.resourceGroup}` : `/subscriptions/${path.subscriptionId}`;
  if (path.scope.toLowerCase() !== expectedScope.toLowerCase()) return null;
  const { types, names } = path;
  const record = recordFor([path.namespace!, ...types].join("/"));

  if (record) {
    const subscriptionId = requireSubscription(req.env, path.subscriptionId);
    requireApiVersion(req.query, record.type, record.apiVersions);
    if (names.length === types.length) {
      if (!path.resourceGroup) return null;
      const address = addressFor(record, subscriptionId, path.resourceGroup, names);
      switch (req.method) {
        case "GET": {
          const doc = await readResource(req.env, req.caller, record, address);
          return armJson(record.view ? record.view(doc, req.query) : doc);
        }
        case "PUT":
        case "PATCH": {
          const result = await writeResource(req.env, req.caller, record, address, req.method === "PUT" ? "put" : "patch", () => readJsonObject(req.raw));
          return armJson(result.body, result.status);
        }
        case "DELETE": {
          const result = await deleteResource(req.env, req.caller, record, address);
          return new Response(null, { status: result.status });
        }
        default:
          return methodNotAllowed(req.method);
      }
    }
    if (names.length === types.length - 1) {
      if (req.method !== "GET") methodNotAllowed(req.method);
      if (types.length === 1) return listResources(req.env, req.caller, record, { subscriptionId, resourceGroup: path.resourceGroup }, req.query, req.raw.url);
      const parentRecord = recordFor([path.namespace!, ...types.slice(0, -1)].join("/"));
      if (!parentRecord || !path.resourceGroup) return null;
      const parent = addressFor(parentRecord, subscriptionId, path.resourceGroup, names);
      return listResources(req.env, req.caller, record, { subscriptionId, resourceGroup: path.resourceGroup, parent }, req.query);
    }
    return null;
  }

  // {resource id}/{endpoint}: an action or read-out of a registered type.
  if (types.length >= 2 && names.length === types.length - 1 && path.resourceGroup) {
    const owner = recordFor([path.namespace!, ...types.slice(0, -1)].join("/"));
    const last = types[types.length - 1]!.toLowerCase();
    const handler = owner && Object.entries(owner.endpoints ?? {}).find(([name]) => name.toLowerCase() === last)?.[1];
    if (!owner || !handler) return null;
    const subscriptionId = requireSubscription(req.env, path.subscriptionId);
    requireApiVersion(req.query, owner.type, owner.apiVersions);
    return handler({ req, address: addressFor(owner, subscriptionId, path.resourceGroup, names) });
  }
  return null;
}

function unroutable(path: ArmPath): ArmError {
  if (!path.subscriptionId && path.segments[0]?.toLowerCase() !== "providers") return ArmErrors.missingSubscription();
  if (path.namespace) return ArmErrors.invalidResourceType(`${path.namespace}/${path.types.join("/")}`);
  return new ArmError(404, "NotFound", `The requested path '/${path.segments.join("/")}' is not served by this Resource Manager.`);
}
