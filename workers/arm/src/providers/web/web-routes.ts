// Microsoft.Web's routes that are not one type's CRUD: the tenant-level stack catalogs az reads
// (webAppStacks, functionAppStacks), the subscription's geoRegions and checknameavailability, a
// site's config/* and basicPublishingCredentialsPolicies/* children (deeper than one segment under
// the site, so not record endpoints), and the site DELETE's deleteEmptyServerFarm, which Azure
// defaults to true: the last site's plan goes with it.
import { ArmErrors } from "../../../../../shared/errors/arm";
import { requireApiVersion } from "../../api-versions";
import { armJson, methodNotAllowed, requireSubscription, type ArmRequest } from "../../arm-request";
import { isObject, readJsonObject } from "../../request-body";
import { addressFor, deleteResource } from "../../resource-operations";
import type { ProviderRoutes, ResourceAddress } from "../../resource-types";
import { WEB_API_VERSIONS } from "./api-versions";
import { WEB_REGIONS } from "./regions";
import { deletePlan } from "./server-farms";
import { siteNameHolder } from "./site-names";
import type { PublishingKind, SiteSettingsChange } from "./site-object";
import { siteObject } from "./site-store";
import { SITE_ACTIONS, siteFor, sites } from "./site-type";
import { appSettingsMap, SITE_TYPE, validSiteName } from "./sites";
import { settle } from "../../operation";
import catalog from "./stacks.json";

type Stack = { properties: { majorVersions: { minorVersions: { stackSettings: Record<string, unknown> }[] }[] } } & Record<string, unknown>;

/** A catalog filtered by ?stackOsType= (Windows, Linux, All): minor versions without that OS's settings go, then empty majors and stacks. */
function stacksFor(stacks: Stack[], osType: string | null): Stack[] {
  const os = osType?.toLowerCase();
  if (!os || os === "all") return stacks;
  const key = os === "linux" ? "linux" : "windows";
  return stacks
    .map((stack) => ({
      ...stack,
      properties: {
        ...stack.properties,
        majorVersions: stack.properties.majorVersions
          .map((major) => ({ ...major, minorVersions: major.minorVersions.filter((m) => Object.keys(m.stackSettings).some((k) => k.toLowerCase().startsWith(key))) }))
          .filter((major) => major.minorVersions.length > 0),
      },
    }))
    .filter((stack) => stack.properties.majorVersions.length > 0);
}

async function catalogRoute(req: ArmRequest, kind: "webAppStacks" | "functionAppStacks"): Promise<Response> {
  if (req.method !== "GET") methodNotAllowed(req.method);
  requireApiVersion(req.query, `Microsoft.Web/${kind}`, WEB_API_VERSIONS);
  return armJson({ value: stacksFor(catalog[kind] as unknown as Stack[], req.query.get("stackOsType")), nextLink: null });
}

/** POST …/checknameavailability {name, type}: a site name is one of azurewebsites.net, held by one site of the emulator. */
async function checkNameAvailability(req: ArmRequest): Promise<Response> {
  if (req.method !== "POST") methodNotAllowed(req.method);
  requireApiVersion(req.query, "Microsoft.Web/checknameavailability", WEB_API_VERSIONS);
  const body = await readJsonObject(req.raw);
  if (typeof body.name !== "string" || body.name === "") throw ArmErrors.invalidRequestContent("name is required");
  const type = typeof body.type === "string" ? body.type.toLowerCase() : "";
  if (!["site", "slot", "microsoft.web/sites", "microsoft.web/sites/slots"].includes(type)) return armJson({ nameAvailable: true, reason: null, message: null });
  const name = body.name;
  if (!validSiteName(name)) {
    return armJson({ nameAvailable: false, reason: "Invalid", message: `The name '${name}' is not valid. It can contain only letters, numbers and hyphens, must be 2 to 60 characters long, and cannot start or end with a hyphen.` });
  }
  if (await siteNameHolder(req.env, name)) {
    return armJson({ nameAvailable: false, reason: "AlreadyExists", message: `Hostname '${name}' already exists. Please select a different name.` });
  }
  return armJson({ nameAvailable: true, reason: null, message: null });
}

function geoRegions(req: ArmRequest, subscriptionId: string): Response {
  if (req.method !== "GET") methodNotAllowed(req.method);
  requireApiVersion(req.query, "Microsoft.Web/geoRegions", WEB_API_VERSIONS);
  return armJson({
    value: WEB_REGIONS.map((r) => ({
      id: `/subscriptions/${subscriptionId}/providers/Microsoft.Web/geoRegions/${r.displayName}`,
      name: r.displayName,
      type: "Microsoft.Web/geoRegions",
      properties: { name: r.displayName, description: null, displayName: r.displayName, orgDomain: "PUBLIC;FUNCTIONS;DYNAMIC;LINUX;LINUXDYNAMIC;ELASTICPREMIUM;LINUXFREE" },
    })),
    nextLink: null,
  });
}

/** A child resource document of the site ({site}/config/appsettings, …/basicPublishingCredentialsPolicies/ftp). */
function child(site: { id: string; location: string }, path: string, type: string, properties: unknown) {
  return { id: `${site.id}/${path}`, name: path.split("/").pop()!, type: `${SITE_TYPE}/${type}`, location: site.location, properties };
}

async function change(req: ArmRequest, address: ResourceAddress, update: SiteSettingsChange): Promise<void> {
  settle(await siteObject(req.env, address.id).updateSettings(update));
}

/** {site}/config/{appsettings,web,slotConfigNames} and {site}/basicPublishingCredentialsPolicies/{ftp,scm}. */
async function siteChildRoute(req: ArmRequest, address: ResourceAddress, rest: string[]): Promise<Response | null> {
  const [first, second, third] = rest.map((s) => s.toLowerCase());
  if (first === "config" && second === "appsettings" && third === "list" && rest.length === 3) {
    if (req.method !== "POST") methodNotAllowed(req.method);
    const site = await siteFor(req.env, req, address, SITE_ACTIONS.configList);
    return armJson(child(site.doc, "config/appsettings", "config", site.appSettings));
  }
  if (first === "config" && second === "appsettings" && rest.length === 2) {
    if (req.method !== "PUT") methodNotAllowed(req.method);
    const site = await siteFor(req.env, req, address, SITE_ACTIONS.configWrite);
    const settings = appSettingsMap((await readJsonObject(req.raw)).properties);
    await change(req, address, { appSettings: settings });
    return armJson(child(site.doc, "config/appsettings", "config", settings));
  }
  if (first === "config" && second === "web" && rest.length === 2) {
    if (req.method === "GET") {
      const site = await siteFor(req.env, req, address, SITE_ACTIONS.configRead);
      return armJson(child(site.doc, "config/web", "config", site.siteConfig));
    }
    if (req.method !== "PUT" && req.method !== "PATCH") methodNotAllowed(req.method);
    const site = await siteFor(req.env, req, address, SITE_ACTIONS.configWrite);
    const body = await readJsonObject(req.raw);
    if (body.properties !== undefined && body.properties !== null && !isObject(body.properties)) throw ArmErrors.invalidRequestContent("properties must be an object");
    // Null is "not given" here as in Azure's SiteConfig updates; app settings have their own route.
    const given = Object.fromEntries(Object.entries((body.properties ?? {}) as Record<string, unknown>).filter(([k, v]) => v !== null && k !== "appSettings"));
    const siteConfig = { ...site.siteConfig, ...given };
    await change(req, address, { siteConfig });
    return armJson(child(site.doc, "config/web", "config", siteConfig));
  }
  if (first === "config" && second === "slotconfignames" && rest.length === 2) {
    if (req.method !== "GET") methodNotAllowed(req.method);
    const site = await siteFor(req.env, req, address, SITE_ACTIONS.configRead);
    return armJson(child(site.doc, "config/slotConfigNames", "config", { connectionStringNames: null, appSettingNames: null, azureStorageConfigNames: null }));
  }
  if (first === "basicpublishingcredentialspolicies" && (second === "ftp" || second === "scm") && rest.length === 2) {
    const kind = second as PublishingKind;
    const path = `basicPublishingCredentialsPolicies/${kind}`;
    if (req.method === "GET") {
      const site = await siteFor(req.env, req, address, SITE_ACTIONS.publishingPoliciesRead);
      return armJson(child(site.doc, path, "basicPublishingCredentialsPolicies", { allow: site.publishingPolicies[kind] }));
    }
    if (req.method !== "PUT") methodNotAllowed(req.method);
    const site = await siteFor(req.env, req, address, SITE_ACTIONS.publishingPoliciesWrite);
    const body = await readJsonObject(req.raw);
    const allow = isObject(body.properties) ? body.properties.allow : undefined;
    if (typeof allow !== "boolean") throw ArmErrors.invalidRequestContent("properties.allow must be a boolean");
    await change(req, address, { publishingPolicy: { kind, allow } });
    return armJson(child(site.doc, path, "basicPublishingCredentialsPolicies", { allow }));
  }
  return null;
}

/** DELETE {site}[?deleteEmptyServerFarm=false]: the site, then its plan when no site is left on it (Azure's default). */
async function deleteSite(req: ArmRequest, address: ResourceAddress): Promise<Response> {
  const before = await siteObject(req.env, address.id).read();
  const result = await deleteResource(req.env, req.caller, sites, address);
  if (before && result.status === 200 && req.query.get("deleteEmptyServerFarm")?.toLowerCase() !== "false") {
    // The site's delete succeeded; a plan another site still uses stays (its 409 is not this delete's).
    await deletePlan(req.env, String(before.properties.serverFarmId)).catch(() => undefined);
  }
  return new Response(null, { status: result.status });
}

export const webRoutes: ProviderRoutes = {
  namespace: "Microsoft.Web",
  resourceTypes: [
    { type: "webAppStacks", apiVersions: WEB_API_VERSIONS },
    { type: "functionAppStacks", apiVersions: WEB_API_VERSIONS },
    { type: "geoRegions", apiVersions: WEB_API_VERSIONS },
    { type: "checknameavailability", apiVersions: WEB_API_VERSIONS },
  ],
  async routes(req: ArmRequest): Promise<Response | null> {
    const { path } = req;
    const types = path.types.map((t) => t.toLowerCase());
    const atTenant = path.segments[0]?.toLowerCase() === "providers";
    const atSubscription = !!path.subscriptionId && !path.resourceGroup && path.scope.toLowerCase() === `/subscriptions/${path.subscriptionId.toLowerCase()}`;
    // Catalogs: /providers/Microsoft.Web/{webAppStacks|functionAppStacks} (and per location).
    const last = types[types.length - 1];
    if ((atTenant || atSubscription) && (last === "webappstacks" || last === "functionappstacks") && path.names.length === types.length - 1 && (types.length === 1 || types[0] === "locations")) {
      if (atSubscription) requireSubscription(req.env, path.subscriptionId!);
      return catalogRoute(req, last === "webappstacks" ? "webAppStacks" : "functionAppStacks");
    }
    if ((atTenant || atSubscription) && types.length === 1 && types[0] === "checknameavailability" && path.names.length === 0) {
      if (atSubscription) requireSubscription(req.env, path.subscriptionId!);
      return checkNameAvailability(req);
    }
    if (atSubscription && types.length === 1 && types[0] === "georegions" && path.names.length === 0) {
      return geoRegions(req, requireSubscription(req.env, path.subscriptionId!));
    }
    // A site's children and its DELETE.
    if (!path.resourceGroup || !path.subscriptionId || types[0] !== "sites" || path.names.length < 1) return null;
    if (path.scope.toLowerCase() !== `/subscriptions/${path.subscriptionId}/resourcegroups/${path.resourceGroup}`.toLowerCase()) return null;
    const rest = path.segments.slice(path.segments.findIndex((s, i) => i > 0 && s.toLowerCase() === "sites" && path.segments[i - 1]!.toLowerCase() === "microsoft.web") + 2);
    const subscriptionId = requireSubscription(req.env, path.subscriptionId);
    const address = addressFor(sites, subscriptionId, path.resourceGroup, [path.names[0]!]);
    if (rest.length === 0) {
      if (req.method !== "DELETE") return null;
      requireApiVersion(req.query, SITE_TYPE, WEB_API_VERSIONS);
      return deleteSite(req, address);
    }
    if (rest.length < 2) return null;
    requireApiVersion(req.query, SITE_TYPE, WEB_API_VERSIONS);
    return siteChildRoute(req, address, rest);
  },
};
