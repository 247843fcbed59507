// Microsoft.Web/sites as a registered resource type: its api-versions and actions, where its
// documents live (one SiteObject per site), the identities and plan a write links to, and the
// site's POST actions (listIdentityEndpoint, the emulator's capability per contract.md; publishxml,
// which az webapp create parses). The config/* and publishing-policy child paths are in
// web-routes.ts (they sit deeper than one segment under the site).
import { ArmErrors } from "../../../../../shared/errors/arm";
import { parseResourceId, resourceKey } from "../../../../../shared/resource-id";
import { armJson, methodNotAllowed } from "../../arm-request";
import { authorize } from "../../authorization";
import type { ArmEnv } from "../../env";
import { settle } from "../../operation";
import { isObject, normalizeLocation } from "../../request-body";
import { requireResourceGroup } from "../resources/resource-group-store";
import { resourceIdOf } from "../../resource-operations";
import type { ArmDocument, LinkedScope, ResourceAddress, ResourceTypeRecord, WriteInput } from "../../resource-types";
import { userAssignedLinks } from "../managed-identity/desired-identity";
import { hostWriteRequest } from "../managed-identity/identity-host-object";
import { WEB_API_VERSIONS } from "./api-versions";
import { publishData } from "./publish-profile";
import { regionDisplayName } from "./regions";
import { desiredPlan, PLAN_TYPE, readPlan } from "./server-farms";
import { siteNameHolder } from "./site-names";
import { siteObject } from "./site-store";
import { SITE_TYPE, validateSiteName, WebErrors, type SitePlan, type SiteWriteRequest } from "./sites";

export const SITE_ACTIONS = {
  read: "Microsoft.Web/sites/read",
  write: "Microsoft.Web/sites/write",
  delete: "Microsoft.Web/sites/delete",
  listIdentityEndpoint: "Microsoft.Web/sites/listIdentityEndpoint/action",
  publishxml: "Microsoft.Web/sites/publishxml/action",
  configRead: "Microsoft.Web/sites/config/read",
  configWrite: "Microsoft.Web/sites/config/write",
  configList: "Microsoft.Web/sites/config/list/action",
  publishingPoliciesRead: "Microsoft.Web/sites/basicPublishingCredentialsPolicies/read",
  publishingPoliciesWrite: "Microsoft.Web/sites/basicPublishingCredentialsPolicies/write",
};

const JOIN_PLAN = "Microsoft.Web/serverfarms/join/action";

/** The site behind an endpoint, authorized for `action` (404 when there is none). */
export async function siteFor(env: ArmEnv, req: { caller: import("../../authentication").Caller }, address: ResourceAddress, action: string) {
  await authorize(env, req.caller, action, address.id);
  await requireResourceGroup(env, address.subscriptionId, address.resourceGroup);
  const details = await siteObject(env, address.id).details();
  if (!details) throw ArmErrors.resourceNotFound(SITE_TYPE, address.name, address.resourceGroup);
  return details;
}

/** The plan a serverFarmId names: a full id, or (as older templates write it) a plan name in the site's group. */
function planIdOf(ref: string, input: { subscriptionId: string; resourceGroup: string }): { id: string; name: string } | null {
  if (!ref.startsWith("/")) return { id: resourceIdOf(input.subscriptionId, input.resourceGroup, PLAN_TYPE, [ref]), name: ref };
  const parsed = parseResourceId(ref);
  if (!parsed?.resourceGroup || parsed.namespace?.toLowerCase() !== "microsoft.web" || parsed.types.length !== 1 || parsed.types[0]!.toLowerCase() !== "serverfarms") {
    return null;
  }
  return { id: ref, name: parsed.names[0]! };
}

/**
 * The plan of a write, checked before anything is touched: the named plan must exist (Azure's 404
 * "Cannot find ServerFarm"); a function app without one is a consumption app, for which Azure
 * creates (or reuses) the group's Dynamic plan {Region}Plan / {Region}LinuxDynamicPlan.
 */
async function resolvePlan(env: ArmEnv, input: WriteInput, existingPlanId: string | null): Promise<{ plan: SitePlan; createPlan?: SiteWriteRequest["createPlan"] }> {
  const properties = isObject(input.body.properties) ? input.body.properties : {};
  const given = properties.serverFarmId;
  if (given !== undefined && given !== null && typeof given !== "string") throw ArmErrors.invalidRequestContent("properties.serverFarmId must be a string");
  const ref = (typeof given === "string" && given.trim() !== "" ? given.trim() : null) ?? existingPlanId;
  if (ref) {
    const target = planIdOf(ref, input);
    const plan = target && target.id.toLowerCase().startsWith(`/subscriptions/${input.subscriptionId.toLowerCase()}/`) ? await readPlan(env, target.id) : null;
    if (!plan) throw WebErrors.planNotFound(target?.name ?? ref);
    return { plan: { id: plan.id, reserved: plan.properties.reserved, tier: plan.sku.tier, location: plan.location } };
  }
  const kind = typeof input.body.kind === "string" ? input.body.kind : "";
  if (!/functionapp/i.test(kind)) throw WebErrors.serverFarmRequired();
  if (typeof input.body.location !== "string" || input.body.location.trim() === "") throw ArmErrors.locationRequired();
  const location = normalizeLocation(input.body.location);
  const linux = /linux/i.test(kind) || properties.reserved === true;
  const name = `${regionDisplayName(location).replace(/\s+/g, "")}${linux ? "LinuxDynamicPlan" : "Plan"}`;
  const id = resourceIdOf(input.subscriptionId, input.resourceGroup, PLAN_TYPE, [name]);
  const existing = await readPlan(env, id);
  if (existing) return { plan: { id: existing.id, reserved: existing.properties.reserved, tier: existing.sku.tier, location: existing.location } };
  const created = desiredPlan(null, {
    mode: "put",
    id,
    name,
    subscriptionId: input.subscriptionId,
    resourceGroup: input.resourceGroup,
    body: { location, sku: { name: "Y1", tier: "Dynamic" }, properties: { reserved: linux } },
  });
  return { plan: { id, reserved: linux, tier: "Dynamic", location }, createPlan: created };
}

export const sites: ResourceTypeRecord = {
  type: SITE_TYPE,
  apiVersions: WEB_API_VERSIONS,
  actions: { read: SITE_ACTIONS.read, write: SITE_ACTIONS.write, delete: SITE_ACTIONS.delete },
  validateName: validateSiteName,
  // Sites go first in a cascade, with VMs: they let go of identities and plans.
  cascadeOrder: 0,

  /** Linked access: assign/action on each user-assigned identity (which must exist), join/action on the plan. */
  links(env, body) {
    const links: LinkedScope[] = userAssignedLinks(env, body);
    const properties = isObject(body.properties) ? body.properties : {};
    // A plan that does not exist is the site write's own 404 (Cannot find ServerFarm), not a linked-access failure.
    if (typeof properties.serverFarmId === "string" && properties.serverFarmId.startsWith("/")) links.push({ scope: properties.serverFarmId, action: JOIN_PLAN });
    return links.length ? { links } : null;
  },

  async read(env, address) {
    return (await siteObject(env, address.id).read()) as ArmDocument | null;
  },

  async write(env, input) {
    const object = siteObject(env, input.id);
    const existing = await object.read();
    if (input.mode === "patch" && !existing) throw ArmErrors.resourceNotFound(SITE_TYPE, input.name, input.resourceGroup);
    // The global name first: another site's name is Azure's 409 before anything is created.
    if (!existing) {
      const holder = await siteNameHolder(env, input.name);
      if (holder && resourceKey(holder) !== resourceKey(input.id)) throw WebErrors.siteNameTaken(input.name);
    }
    const { plan, createPlan } = await resolvePlan(env, input, existing ? String(existing.properties.serverFarmId) : null);
    // Microsoft.Web answers a site's create with 200 (its spec lists 200 and 202, never 201).
    const result = settle<ArmDocument>(await object.write({ ...hostWriteRequest(input, env.TENANT_ID), plan, ...(createPlan ? { createPlan } : {}) }));
    return { status: 200, body: result.body };
  },

  async delete(env, address) {
    return { status: settle(await siteObject(env, address.id).remove()).status };
  },

  endpoints: {
    /** The App Service environment of the site's code (contract.md): IDENTITY_ENDPOINT/IDENTITY_HEADER and their 2017 aliases. */
    async listIdentityEndpoint({ req, address }) {
      if (req.method !== "POST") methodNotAllowed(req.method);
      const site = await siteFor(req.env, req, address, SITE_ACTIONS.listIdentityEndpoint);
      const imds = (req.env.IMDS_URL ?? "http://169.254.169.254").replace(/\/+$/, "");
      const url = `${imds}/sites/${site.endpointKey}/msi/token`;
      return armJson({ IDENTITY_ENDPOINT: url, IDENTITY_HEADER: site.identityHeader, MSI_ENDPOINT: url, MSI_SECRET: site.identityHeader });
    },
    /** The publish profiles (Web Deploy, FTP, Zip Deploy) as XML, whatever `format` asks. */
    async publishxml({ req, address }) {
      if (req.method !== "POST") methodNotAllowed(req.method);
      const site = await siteFor(req.env, req, address, SITE_ACTIONS.publishxml);
      return new Response(publishData(site.doc, site.publishingPassword), { status: 200, headers: { "content-type": "application/xml" } });
    },
  },
};

export { planIdOf };
