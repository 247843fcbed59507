// POST {arm}/emulator/reset: the emulator as first started. Every resource goes through its own
// type's delete (the registry, registry.ts), found through the subscription index, so a new
// resource type is covered as soon as it is registered, and each delete cleans up what the type
// owns elsewhere (a VM's principal and IMDS host, a vault's data plane). Then the role
// assignments but the admin's Owner, and every other worker's state: the directory but the admin
// (the authority), VM hosts and faults (IMDS), vaults (Key Vault), the console's flow. The tenant, subscription,
// admin, signing keys, the local CA and the emulator clock stay.
import { stubOf } from "../../../../shared/durable";
import { ArmError } from "../../../../shared/errors/arm";
import { resourceKey } from "../../../../shared/resource-id";
import { subscriptionIndex } from "../arm-request";
import { authorizationStore } from "../authorization";
import type { ArmEnv } from "../env";
import { RESOURCE_GROUP_TYPE } from "../providers/resources/resource-group-store";
import type { ResourceObject } from "../providers/resources/resource-object";
import type { IndexEntry } from "../providers/resources/subscription-index";
import { recordFor } from "../registry";
import { resolveResourceId } from "../resource-operations";
import type { ResourceAddress, ResourceTypeRecord } from "../resource-types";

export async function resetEmulator(env: ArmEnv): Promise<void> {
  const index = subscriptionIndex(env);
  const firstPass = await deleteAll(env, await index.all());
  // The other workers next: whatever a failed delete could not reach there is gone now, so a
  // second pass over what is left usually succeeds.
  await Promise.all([env.AAD.resetState(), env.IMDS.resetState(), env.KEYVAULT.resetState(), env.STORAGE.resetState(), env.GRAPH?.resetState()]);
  const failures = firstPass.length ? await deleteAll(env, await index.all()) : [];
  for (const group of await index.list(RESOURCE_GROUP_TYPE)) {
    await document(env, group.id).erase();
  }
  await index.clear();
  await authorizationStore(env).reset();
  // The console's flow starts empty too (a viewer: its failure does not fail the reset).
  await env.CONSOLE?.clear().catch(() => undefined);
  if (failures.length) {
    throw new ArmError(
      500,
      "InternalServerError",
      `The reset removed everything but: ${failures.map((f) => `${f.id} (${f.reason})`).join("; ")}. Retry the reset.`,
    );
  }
}

/** Deletes each entry through its type's record, in the cascade order; answers what failed. */
async function deleteAll(env: ArmEnv, entries: IndexEntry[]): Promise<{ id: string; reason: string }[]> {
  const targets = entries.map((entry) => ({ entry, target: resolve(entry.id) }));
  // Lower cascade order first (VMs let go of identities and NICs), children before parents.
  targets.sort(
    (a, b) => (a.target?.record.cascadeOrder ?? 99) - (b.target?.record.cascadeOrder ?? 99) || b.entry.id.length - a.entry.id.length,
  );
  const failures: { id: string; reason: string }[] = [];
  for (const { entry, target } of targets) {
    try {
      if (target) await target.record.delete(env, target.address);
      else await document(env, entry.id).erase();
      // A type's delete drops its index entry; one that did not (or no type) is dropped here.
      await subscriptionIndex(env).remove(entry.id);
    } catch (err) {
      failures.push({ id: entry.id, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  return failures;
}

/** The registered type and address of an id, in a resource group or (deployments) at subscription scope. */
function resolve(id: string): { record: ResourceTypeRecord; address: ResourceAddress } | null {
  const inGroup = resolveResourceId(id);
  if (inGroup) return inGroup;
  const m = /^\/subscriptions\/([^/]+)\/providers\/([^/]+)\/([^/]+)\/([^/]+)$/i.exec(id.replace(/\/+$/, ""));
  const record = m ? recordFor(`${m[2]}/${m[3]}`) : undefined;
  if (!m || !record) return null;
  return { record, address: { id, subscriptionId: m[1]!, resourceGroup: "", name: m[4]! } };
}

function document(env: ArmEnv, id: string) {
  return stubOf<ResourceObject>(env.RESOURCES, resourceKey(id));
}
