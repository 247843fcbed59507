// /v1.0/applications: application registrations, their secrets and their certificates. An
// application signs in through its service principal (POST /servicePrincipals {appId}) with the
// secrets added here or the certificates uploaded with PATCH (keyCredentials). Reads are open to
// every principal of the tenant; writes need directory rights.
import { Hono } from "hono";
import { GraphErrors } from "../../../shared/errors/graph";
import type { ApplicationView } from "../../../shared/rpc";
import { applicationChange, displayNameInput } from "./application-update";
import { keyIdInput, passwordCredentialInput } from "./credential-input";
import { requireDirectoryWriter } from "./directory-rights";
import type { GraphEnv } from "./env";
import { graphBase, graphJson, noContent, objectIdParam, readJsonObject, unwrap, type GraphContext, type GraphVariables } from "./graph-request";
import { contextUrl, project, selection } from "./odata";

export const applicationRoutes = new Hono<{ Bindings: GraphEnv; Variables: GraphVariables }>();

/** The application resource: the directory's view plus the properties Graph always carries. */
function resource(application: ApplicationView): Record<string, unknown> {
  return { ...application, deletedDateTime: null, tags: [] };
}

applicationRoutes.get("/", () => {
  throw GraphErrors.notImplemented("Listing applications");
});

applicationRoutes.post("/", async (c) => {
  await requireDirectoryWriter(c.env, c.get("caller"));
  const body = await readJsonObject(c);
  const displayName = displayNameInput(body.displayName);
  // Only single-tenant registrations exist here: there is one tenant.
  if (body.signInAudience !== undefined && body.signInAudience !== "AzureADMyOrg") {
    throw GraphErrors.invalidPropertyValue("Invalid value specified for property 'signInAudience' of resource 'Application'. The emulator registers only AzureADMyOrg applications.");
  }
  const created = await c.env.AAD.createApplication(c.env.TENANT_ID, { displayName });
  const base = graphBase(c);
  return graphJson({ "@odata.context": contextUrl(base, "applications", { entity: true }), ...resource(created) }, 201, {
    location: `${base}/v1.0/applications/${created.id}`,
  });
});

applicationRoutes.get("/:id", async (c) => {
  const id = objectIdParam(c);
  const application = await c.env.AAD.readApplication(c.env.TENANT_ID, id);
  if (!application) throw GraphErrors.resourceNotFound(id);
  const select = selection(new URL(c.req.url).searchParams);
  return graphJson({
    "@odata.context": contextUrl(graphBase(c), "applications", { entity: true, select }),
    ...project(resource(application), select),
  });
});

applicationRoutes.delete("/:id", async (c) => {
  await requireDirectoryWriter(c.env, c.get("caller"));
  const id = objectIdParam(c);
  unwrap(await c.env.AAD.deleteApplication(c.env.TENANT_ID, id), { id });
  return noContent();
});

async function notImplemented(c: GraphContext, what: string): Promise<never> {
  await requireDirectoryWriter(c.env, c.get("caller"));
  const id = objectIdParam(c);
  if (!(await c.env.AAD.readApplication(c.env.TENANT_ID, id))) throw GraphErrors.resourceNotFound(id);
  throw GraphErrors.notImplemented(what);
}

/**
 * Graph's update: displayName and keyCredentials (certificates, replacing the application's
 * list); what else a body may hold is decided in application-update.ts (ignored when unchanged,
 * 400 for what PATCH cannot change, 501 for what the emulator does not model). 204, as Graph.
 */
applicationRoutes.patch("/:id", async (c) => {
  await requireDirectoryWriter(c.env, c.get("caller"));
  const id = objectIdParam(c);
  const body = await readJsonObject(c);
  const current = await c.env.AAD.readApplication(c.env.TENANT_ID, id);
  if (!current) throw GraphErrors.resourceNotFound(id);
  const change = applicationChange(body, resource(current));
  if (change.displayName !== undefined || change.keyCredentials !== undefined) {
    unwrap(await c.env.AAD.updateApplication(c.env.TENANT_ID, id, change), { id });
  }
  return noContent();
});

// addKey needs a proof of possession signed by one of the application's current certificates;
// PATCH keyCredentials is the way to upload certificates here.
applicationRoutes.post("/:id/addKey", (c) => notImplemented(c, "addKey"));
applicationRoutes.post("/:id/removeKey", (c) => notImplemented(c, "removeKey"));

applicationRoutes.post("/:id/addPassword", async (c) => {
  await requireDirectoryWriter(c.env, c.get("caller"));
  const id = objectIdParam(c);
  const input = passwordCredentialInput(await readJsonObject(c));
  const credential = unwrap(await c.env.AAD.addApplicationPassword(c.env.TENANT_ID, id, input), { id });
  return graphJson({ "@odata.context": contextUrl(graphBase(c), "microsoft.graph.passwordCredential"), ...credential });
});

applicationRoutes.post("/:id/removePassword", async (c) => {
  await requireDirectoryWriter(c.env, c.get("caller"));
  const id = objectIdParam(c);
  const keyId = keyIdInput(await readJsonObject(c));
  unwrap(await c.env.AAD.removeApplicationPassword(c.env.TENANT_ID, id, keyId), { id, keyId });
  return noContent();
});
