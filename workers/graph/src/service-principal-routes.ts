// /v1.0/servicePrincipals: the directory's principals, managed identities and applications alike.
// Reads are open to every principal of the tenant; writes need directory rights. A managed
// identity's principal is Resource Manager's to change: Graph shows it and refuses to alter it.
import { Hono } from "hono";
import { GraphErrors } from "../../../shared/errors/graph";
import { keyIdInput, passwordCredentialInput } from "./credential-input";
import { requireDirectoryWriter } from "./directory-rights";
import type { GraphEnv } from "./env";
import {
  graphBase,
  graphJson,
  noContent,
  objectIdParam,
  readJsonObject,
  unwrap,
  type GraphContext,
  type GraphVariables,
} from "./graph-request";
import { collectionQuery, contextUrl, nextLink, project, selection } from "./odata";
import { servicePrincipalResource as resource } from "./service-principal-resource";

export const servicePrincipalRoutes = new Hono<{ Bindings: GraphEnv; Variables: GraphVariables }>();

servicePrincipalRoutes.get("/", async (c) => {
  const query = collectionQuery(new URL(c.req.url).searchParams);
  const page = await c.env.AAD.listServicePrincipals(c.env.TENANT_ID, {
    ...(query.filter ? { filter: query.filter } : {}),
    top: query.top,
    ...(query.skipToken ? { skipToken: query.skipToken } : {}),
  });
  const base = graphBase(c);
  return graphJson({
    "@odata.context": contextUrl(base, "servicePrincipals", { select: query.select }),
    ...(page.skipToken ? { "@odata.nextLink": nextLink(base, c.req.url, page.skipToken) } : {}),
    value: page.value.map((principal) => project(resource(principal), query.select)),
  });
});

servicePrincipalRoutes.post("/", async (c) => {
  await requireDirectoryWriter(c.env, c.get("caller"));
  const body = await readJsonObject(c);
  const appId = body.appId;
  if (appId === undefined || appId === null || appId === "") throw GraphErrors.propertyRequired("appId", "ServicePrincipal");
  if (typeof appId !== "string") throw GraphErrors.invalidPropertyValue("Invalid value specified for property 'appId' of resource 'ServicePrincipal'.");
  const created = unwrap(await c.env.AAD.createApplicationServicePrincipal(c.env.TENANT_ID, appId), { id: appId });
  const base = graphBase(c);
  return graphJson({ "@odata.context": contextUrl(base, "servicePrincipals", { entity: true }), ...resource(created) }, 201, {
    location: `${base}/v1.0/servicePrincipals/${created.id}`,
  });
});

servicePrincipalRoutes.get("/:id", async (c) => {
  const id = objectIdParam(c);
  const principal = await c.env.AAD.readServicePrincipal(c.env.TENANT_ID, id);
  if (!principal) throw GraphErrors.resourceNotFound(id);
  const select = selection(new URL(c.req.url).searchParams);
  return graphJson({
    "@odata.context": contextUrl(graphBase(c), "servicePrincipals", { entity: true, select }),
    ...project(resource(principal), select),
  });
});

servicePrincipalRoutes.delete("/:id", async (c) => {
  await requireDirectoryWriter(c.env, c.get("caller"));
  const id = objectIdParam(c);
  unwrap(await c.env.AAD.removeServicePrincipal(c.env.TENANT_ID, id), { id });
  return noContent();
});

/** Only an application's principal can be changed here; what the emulator cannot change, it says so. */
async function changeable(c: GraphContext, what: string): Promise<never> {
  await requireDirectoryWriter(c.env, c.get("caller"));
  const id = objectIdParam(c);
  const principal = await c.env.AAD.readServicePrincipal(c.env.TENANT_ID, id);
  if (!principal) throw GraphErrors.resourceNotFound(id);
  if (principal.servicePrincipalType === "ManagedIdentity") throw GraphErrors.managedIdentityLocked(id);
  throw GraphErrors.notImplemented(what);
}

servicePrincipalRoutes.patch("/:id", (c) => changeable(c, "Updating a service principal"));
servicePrincipalRoutes.post("/:id/addKey", (c) => changeable(c, "addKey"));
servicePrincipalRoutes.post("/:id/removeKey", (c) => changeable(c, "removeKey"));

servicePrincipalRoutes.post("/:id/addPassword", async (c) => {
  await requireDirectoryWriter(c.env, c.get("caller"));
  const id = objectIdParam(c);
  const input = passwordCredentialInput(await readJsonObject(c));
  const credential = unwrap(await c.env.AAD.addServicePrincipalPassword(c.env.TENANT_ID, id, input), { id });
  return graphJson({ "@odata.context": contextUrl(graphBase(c), "microsoft.graph.passwordCredential"), ...credential });
});

servicePrincipalRoutes.post("/:id/removePassword", async (c) => {
  await requireDirectoryWriter(c.env, c.get("caller"));
  const id = objectIdParam(c);
  const keyId = keyIdInput(await readJsonObject(c));
  unwrap(await c.env.AAD.removeServicePrincipalPassword(c.env.TENANT_ID, id, keyId), { id, keyId });
  return noContent();
});
