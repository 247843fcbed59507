// The global registry of site names: {name}.azurewebsites.net is one DNS name across all of Azure,
// so a site name is held by one site of the whole emulator. Each name is a ResourceObject keyed
// outside the resource id space; a claim is a compare-and-set (writeIfVersion), so two PUTs of the
// same name in different groups cannot both win.
import { stubOf } from "../../../../../shared/durable";
import { resourceKey } from "../../../../../shared/resource-id";
import type { ArmEnv } from "../../env";
import type { ResourceObject } from "../resources/resource-object";

function nameObject(env: ArmEnv, name: string) {
  return stubOf<ResourceObject>(env.RESOURCES, `emulator:web-site-names/${name.toLowerCase()}`);
}

/** The id of the site holding `name`, or null when it is free. */
export async function siteNameHolder(env: ArmEnv, name: string): Promise<string | null> {
  const doc = await nameObject(env, name).read();
  return doc ? String(doc.siteId) : null;
}

/** Claims `name` for `siteId`; false when another site holds it. Idempotent for the holder. */
export async function claimSiteName(env: ArmEnv, name: string, siteId: string): Promise<boolean> {
  const object = nameObject(env, name);
  for (;;) {
    const { doc, version } = await object.readVersioned();
    if (doc) return resourceKey(String(doc.siteId)) === resourceKey(siteId);
    const claim = { id: `emulator:web-site-names/${name.toLowerCase()}`, name: name.toLowerCase(), type: "emulator/webSiteName", siteId };
    if (await object.writeIfVersion(version, claim)) return true;
  }
}

/** Frees `name` if `siteId` holds it (never another site's claim). */
export async function releaseSiteName(env: ArmEnv, name: string, siteId: string): Promise<void> {
  const object = nameObject(env, name);
  for (;;) {
    const { doc, version } = await object.readVersioned();
    if (!doc || resourceKey(String(doc.siteId)) !== resourceKey(siteId)) return;
    if (await object.writeIfVersion(version, null)) return;
  }
}
