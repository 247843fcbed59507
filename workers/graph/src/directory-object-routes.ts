// /v1.0/directoryObjects/getByIds: directory objects by id, whatever their type. Clients resolve
// the principals of role assignments this way (`az role assignment list` fills principalName
// from it). The only directory objects here are service principals; ids that name nothing are
// left out of the answer, as Graph does. A read: open to every principal of the tenant.
import { Hono } from "hono";
import { GraphErrors } from "../../../shared/errors/graph";
import { isGuid } from "../../../shared/guid";
import type { GraphEnv } from "./env";
import { graphBase, graphJson, readJsonObject, type GraphVariables } from "./graph-request";
import { contextUrl } from "./odata";
import { servicePrincipalResource } from "./service-principal-resource";

export const directoryObjectRoutes = new Hono<{ Bindings: GraphEnv; Variables: GraphVariables }>();

/** Graph's documented limit of one request. */
const MAX_IDS = 1000;

/**
 * Graph's types derived from directoryObject (lower-cased), and directoryObject itself (every
 * type). A client may name any of them; of these, only servicePrincipal objects exist here.
 */
const DIRECTORY_OBJECT_TYPES = new Set(
  [
    "directoryObject",
    "administrativeUnit",
    "application",
    "appRoleAssignment",
    "contract",
    "device",
    "directoryObjectPartnerReference",
    "directoryRole",
    "directoryRoleTemplate",
    "endpoint",
    "extensionProperty",
    "group",
    "orgContact",
    "organization",
    "servicePrincipal",
    "user",
  ].map((t) => t.toLowerCase()),
);

interface GetByIdsInput {
  ids: string[];
  /** Whether the `types` asked for include service principals. */
  servicePrincipals: boolean;
}

/** getByIds' body, {ids: [GUID…], types?: [type…]}, checked as Graph checks it before any lookup. */
function getByIdsInput(body: Record<string, unknown>): GetByIdsInput {
  const { ids, types } = body;
  if (ids === undefined || ids === null) throw GraphErrors.parameterRequired("ids", "getByIds");
  if (!Array.isArray(ids)) throw GraphErrors.invalidParameterValue("ids", "getByIds");
  if (ids.length > MAX_IDS) throw GraphErrors.tooManyIds(MAX_IDS);
  for (const id of ids) if (!isGuid(id)) throw GraphErrors.invalidObjectId(String(id));
  return { ids: ids as string[], servicePrincipals: typesIncludeServicePrincipals(types) };
}

/** Absent (or empty) `types` means directoryObject, every type, as Graph documents. */
function typesIncludeServicePrincipals(types: unknown): boolean {
  if (types === undefined || types === null) return true;
  if (!Array.isArray(types)) throw GraphErrors.invalidParameterValue("types", "getByIds");
  if (types.length === 0) return true;
  // Names are case-insensitive, with or without the namespace.
  const names = types.map((type) => {
    const name = typeof type === "string" ? type.toLowerCase().replace(/^#?microsoft\.graph\./, "") : "";
    if (!DIRECTORY_OBJECT_TYPES.has(name)) throw GraphErrors.unknownDirectoryObjectType(String(type));
    return name;
  });
  return names.includes("serviceprincipal") || names.includes("directoryobject");
}

directoryObjectRoutes.post("/getByIds", async (c) => {
  const input = getByIdsInput(await readJsonObject(c));
  const principals = input.servicePrincipals && input.ids.length > 0 ? await c.env.AAD.readServicePrincipals(c.env.TENANT_ID, input.ids) : [];
  return graphJson({
    "@odata.context": contextUrl(graphBase(c), "directoryObjects"),
    value: principals.map((principal) => ({ "@odata.type": "#microsoft.graph.servicePrincipal", ...servicePrincipalResource(principal) })),
  });
});
