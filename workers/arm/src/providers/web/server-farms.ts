// Microsoft.Web/serverfarms (App Service plans) as a registered resource type: plain documents in
// a ResourceObject plus the subscription index. What a PUT (`az appservice plan create` sends
// {sku:{name,tier}, properties:{reserved, perSiteScaling}}) or PATCH becomes: Azure's sku with its
// tier, size and family derived from the name, the plan's kind from its OS and tier, and
// numberOfSites counted from the sites that name it (never stored, so it cannot drift).
import { stubOf } from "../../../../../shared/durable";
import { ArmError, ArmErrors } from "../../../../../shared/errors/arm";
import { resourceKey } from "../../../../../shared/resource-id";
import { subscriptionIndex } from "../../arm-request";
import type { ArmEnv } from "../../env";
import { isObject, mergePatch, normalizeLocation, validateTags } from "../../request-body";
import type { ArmDocument, ResourceTypeRecord } from "../../resource-types";
import type { ResourceObject } from "../resources/resource-object";
import { WEB_API_VERSIONS } from "./api-versions";
import { regionDisplayName } from "./regions";
import { sitesOnPlan } from "./site-store";

export const PLAN_TYPE = "Microsoft.Web/serverfarms";

export type PlanDocument = ArmDocument & {
  kind: string;
  location: string;
  tags: Record<string, string>;
  sku: { name: string; tier: string; size: string; family: string; capacity: number };
  properties: Record<string, unknown> & { reserved: boolean; numberOfSites: number };
};

/** Azure's tiers by sku name (the CLI's get_sku_tier, in the service's spelling). */
const TIERS: [RegExp, string][] = [
  [/^F\d/i, "Free"],
  [/^D\d/i, "Shared"],
  [/^B\d/i, "Basic"],
  [/^S\d/i, "Standard"],
  [/^P\d+V2$/i, "PremiumV2"],
  [/^P\d+MV3$/i, "PremiumMV3"],
  [/^P\d+V3$/i, "PremiumV3"],
  [/^P\d+MV4$/i, "PremiumMV4"],
  [/^P\d+V4$/i, "PremiumV4"],
  [/^P\d+C?$/i, "Premium"],
  [/^I\d+V2$/i, "IsolatedV2"],
  [/^I\d+MV2$/i, "IsolatedMV2"],
  [/^I\d+$/i, "Isolated"],
  [/^Y1$/i, "Dynamic"],
  [/^EP\d$/i, "ElasticPremium"],
  [/^WS\d$/i, "WorkflowStandard"],
  [/^FC1$/i, "FlexConsumption"],
];

const MAX_WORKERS: Record<string, number> = {
  Free: 1, Shared: 1, Basic: 3, Standard: 10, Premium: 20, PremiumV2: 30, PremiumV3: 30, PremiumMV3: 30, PremiumV4: 30, PremiumMV4: 30,
  Isolated: 100, IsolatedV2: 100, IsolatedMV2: 100, Dynamic: 200, ElasticPremium: 20, WorkflowStandard: 20, FlexConsumption: 1000,
};

const PLAN_NAME = /^[\p{L}\p{N}-]{1,60}$/u;

export function validatePlanName(name: string): void {
  if (!PLAN_NAME.test(name)) {
    throw ArmErrors.invalidResourceName(
      `Resource name '${name}' is invalid. The name of an App Service plan can be 1 to 60 characters long and contain only letters, digits and hyphens.`,
    );
  }
}

export function planDocumentObject(env: ArmEnv, id: string) {
  return stubOf<ResourceObject>(env.RESOURCES, resourceKey(id));
}

function webError(status: number, code: string, message: string): ArmError {
  return new ArmError(status, code, message);
}

/** The sku Azure answers: tier, size and family derived from the name (the tier clients send, e.g. "BASIC", is not trusted). */
export function planSku(value: unknown, existing?: PlanDocument["sku"]): PlanDocument["sku"] {
  if (value === undefined || value === null) {
    if (existing) return existing;
    return planSku({ name: "F1" });
  }
  if (!isObject(value)) throw ArmErrors.invalidRequestContent("sku must be an object");
  const name = typeof value.name === "string" ? value.name.trim() : "";
  const tier = TIERS.find(([pattern]) => pattern.test(name))?.[1];
  if (!tier) {
    throw webError(400, "BadRequest", `The pricing tier '${name || String(value.tier ?? "")}' is not allowed in this resource group. Use another pricing tier.`);
  }
  const canonical = name.toUpperCase().replace(/V(\d)$/, "v$1");
  const capacity = value.capacity === undefined || value.capacity === null ? (tier === "Dynamic" ? 0 : 1) : value.capacity;
  if (typeof capacity !== "number" || !Number.isInteger(capacity) || capacity < 0) throw ArmErrors.invalidRequestContent("sku.capacity must be a whole number");
  return { name: canonical, tier, size: canonical, family: canonical.replace(/\d+/, ""), capacity };
}

/** `kind` as Azure answers it: linux for reserved plans, functionapp for Dynamic, elastic for Elastic Premium, app otherwise. */
function planKind(sku: PlanDocument["sku"], reserved: boolean): string {
  if (sku.tier === "Dynamic") return "functionapp";
  if (sku.tier === "ElasticPremium") return "elastic";
  return reserved ? "linux" : "app";
}

export function desiredPlan(existing: PlanDocument | null, input: { mode: "put" | "patch"; id: string; name: string; subscriptionId: string; resourceGroup: string; body: Record<string, unknown> }): PlanDocument {
  const { body } = input;
  if (body.properties !== undefined && body.properties !== null && !isObject(body.properties)) {
    throw ArmErrors.invalidRequestContent("properties must be an object");
  }
  const tags = body.tags === undefined ? undefined : validateTags(body.tags);
  let location: string;
  if (input.mode === "put") {
    if (typeof body.location !== "string" || body.location.trim() === "") throw ArmErrors.locationRequired();
    location = normalizeLocation(body.location);
  } else {
    if (!existing) throw new Error("PATCH of a missing plan reaches desiredPlan");
    location = body.location === undefined ? existing.location : normalizeLocation(String(body.location));
  }
  if (existing && existing.location !== location) {
    throw ArmErrors.conflict("PropertyChangeNotAllowed", "Changing property 'location' is not allowed.");
  }
  const requested = (input.mode === "patch" ? mergePatch(existing!.properties, body.properties ?? {}) : body.properties ?? {}) as Record<string, unknown>;
  const sku = planSku(body.sku, input.mode === "patch" ? existing!.sku : undefined);
  const reserved = optionalBoolean(requested, "reserved") ?? (typeof body.kind === "string" && /linux/i.test(body.kind));
  if (existing && existing.properties.reserved !== reserved) {
    throw webError(400, "BadRequest", "The operating system of an App Service plan cannot be changed.");
  }
  const passThrough = Object.fromEntries(
    ["perSiteScaling", "elasticScaleEnabled", "maximumElasticWorkerCount", "isSpot", "hyperV", "isXenon", "zoneRedundant", "targetWorkerCount", "targetWorkerSizeId", "kubeEnvironmentProfile"]
      .filter((k) => requested[k] !== undefined && requested[k] !== null)
      .map((k) => [k, requested[k]]),
  );
  return {
    id: existing?.id ?? input.id,
    name: existing?.name ?? input.name,
    type: PLAN_TYPE,
    kind: planKind(sku, reserved),
    location,
    tags: tags ?? (input.mode === "patch" ? existing!.tags : {}),
    sku,
    properties: {
      name: existing?.name ?? input.name,
      workerSize: "Default",
      workerSizeId: 0,
      workerTierName: null,
      numberOfWorkers: sku.capacity,
      currentWorkerSize: "Default",
      currentWorkerSizeId: 0,
      currentNumberOfWorkers: sku.capacity,
      status: "Ready",
      webSpace: `${input.resourceGroup}-${regionDisplayName(location).replace(/\s+/g, "")}webspace`,
      subscription: input.subscriptionId,
      maximumNumberOfWorkers: MAX_WORKERS[sku.tier] ?? 1,
      planName: "VirtualDedicatedPlan",
      computeMode: sku.tier === "Dynamic" ? "Dynamic" : sku.tier === "Free" || sku.tier === "Shared" ? "Shared" : "Dedicated",
      perSiteScaling: false,
      elasticScaleEnabled: false,
      maximumElasticWorkerCount: 1,
      isSpot: false,
      kind: planKind(sku, reserved),
      reserved,
      isXenon: false,
      hyperV: false,
      targetWorkerCount: 0,
      targetWorkerSizeId: 0,
      zoneRedundant: false,
      ...passThrough,
      resourceGroup: input.resourceGroup,
      geoRegion: regionDisplayName(location),
      numberOfSites: 0,
      provisioningState: "Succeeded",
    },
  };
}

function optionalBoolean(p: Record<string, unknown>, key: string): boolean | undefined {
  const value = p[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw ArmErrors.invalidRequestContent(`properties.${key} must be a boolean`);
  return value;
}

/** The plan as Azure answers it: numberOfSites counted now. */
export async function readPlan(env: ArmEnv, id: string): Promise<PlanDocument | null> {
  const doc = (await planDocumentObject(env, id).read()) as PlanDocument | null;
  if (!doc) return null;
  const sites = await sitesOnPlan(env, doc.id);
  return { ...doc, properties: { ...doc.properties, numberOfSites: sites.length } };
}

/** Stores a plan (listed before it is written, as every type here). */
export async function storePlan(env: ArmEnv, doc: PlanDocument, resourceGroup: string): Promise<void> {
  await subscriptionIndex(env).upsert({ id: doc.id, type: PLAN_TYPE, resourceGroup });
  await planDocumentObject(env, doc.id).write(doc);
}

/** Deletes a plan no site names; Azure's 409 while one does (`except`: a site that is going away and asks). */
export async function deletePlan(env: ArmEnv, id: string, except?: string): Promise<{ status: number }> {
  const object = planDocumentObject(env, id);
  const doc = await object.read();
  if (!doc) return { status: 204 };
  const sites = await sitesOnPlan(env, doc.id, except);
  if (sites.length) {
    throw ArmErrors.conflict("Conflict", `Server farm '${doc.name}' cannot be deleted because it has web app(s) ${sites.map((s) => s.name).join(",")} assigned to it.`);
  }
  await subscriptionIndex(env).remove(doc.id);
  await object.erase();
  return { status: 200 };
}

export const serverFarms: ResourceTypeRecord = {
  type: PLAN_TYPE,
  apiVersions: WEB_API_VERSIONS,
  actions: {
    read: "Microsoft.Web/serverfarms/read",
    write: "Microsoft.Web/serverfarms/write",
    delete: "Microsoft.Web/serverfarms/delete",
  },
  validateName: validatePlanName,
  // After the sites (which name their plan) and the identities.
  cascadeOrder: 3,

  read(env, address) {
    return readPlan(env, address.id);
  },

  async write(env, input) {
    const existing = await readPlan(env, input.id);
    if (input.mode === "patch" && !existing) throw ArmErrors.resourceNotFound(PLAN_TYPE, input.name, input.resourceGroup);
    const doc = desiredPlan(existing, input);
    await storePlan(env, doc, input.resourceGroup);
    // Microsoft.Web answers a plan's create with 200 (its spec lists 200 and 202, never 201).
    return { status: 200, body: { ...doc, properties: { ...doc.properties, numberOfSites: existing?.properties.numberOfSites ?? 0 } } };
  },

  delete(env, address) {
    return deletePlan(env, address.id);
  },
};
