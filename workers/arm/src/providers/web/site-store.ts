// Where sites live: one SiteObject per site, keyed by its lower-cased id; and which sites name a plan
// (counted from the sites themselves, so a plan's numberOfSites and its delete check never drift).
import { stubOf } from "../../../../../shared/durable";
import { resourceKey } from "../../../../../shared/resource-id";
import { subscriptionIndex } from "../../arm-request";
import type { ArmEnv } from "../../env";
import type { SiteObject } from "./site-object";
import { SITE_TYPE, type SiteDocument } from "./sites";

export function siteObject(env: ArmEnv, id: string) {
  return stubOf<SiteObject>(env.SITES, resourceKey(id));
}

/** The sites whose serverFarmId is the plan `planId` (a site's own object passes its id as `except`: it never calls itself). */
export async function sitesOnPlan(env: ArmEnv, planId: string, except?: string): Promise<SiteDocument[]> {
  const entries = (await subscriptionIndex(env).list(SITE_TYPE)).filter((e) => !except || resourceKey(e.id) !== resourceKey(except));
  const docs = await Promise.all(entries.map((e) => siteObject(env, e.id).read()));
  return docs.filter((d): d is SiteDocument => d !== null && resourceKey(String(d.properties.serverFarmId ?? "")) === resourceKey(planId));
}
