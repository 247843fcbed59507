// Storage accounts' writes and deletes across Resource Manager and the Blob data plane
// (mie-storage, binding STORAGE). The document lives in a ResourceObject (with the account's two
// keys, which only listKeys shows) and the subscription index; the data plane holds the global
// claim on the name and the keys Shared Key requests are checked with, so it is told first on
// every write, and a document is only written over the version it was computed from (a write
// that lost a race is computed again from the winner, so both planes end up with the same keys).
import { stubOf } from "../../../../../shared/durable";
import { emulatorNow } from "../../../../../shared/emulator-clock";
import { ArmErrors } from "../../../../../shared/errors/arm";
import { resourceKey } from "../../../../../shared/resource-id";
import type { StorageAccountConfiguration } from "../../../../../shared/rpc";
import { subscriptionIndex } from "../../arm-request";
import type { ArmEnv } from "../../env";
import { errorMessage } from "../../operation";
import type { ResourceObject } from "../resources/resource-object";
import {
  STORAGE_ACCOUNT_TYPE,
  azureTime,
  desiredAccount,
  newAccountKeyValue,
  presentAccount,
  type AccountKeys,
  type AccountWrite,
  type StorageAccountDocument,
  type StoredStorageAccount,
} from "./storage-account-rules";
import { StorageResourceErrors } from "./storage-errors";

/** Attempts of a read-compute-write before giving up on a document that keeps changing. */
const ATTEMPTS = 5;

export function accountObject(env: ArmEnv, id: string) {
  return stubOf<ResourceObject>(env.RESOURCES, resourceKey(id));
}

/** The blob service's document (blobServices/default), a child of the account. */
export function blobServiceObject(env: ArmEnv, accountId: string) {
  return stubOf<ResourceObject>(env.RESOURCES, resourceKey(`${accountId}/blobServices/default`));
}

export async function readStoredAccount(env: ArmEnv, id: string): Promise<StoredStorageAccount | null> {
  return ((await accountObject(env, id).read()) as StoredStorageAccount | null) ?? null;
}

/** The account as GET shows it; null when there is none. */
export async function readAccount(env: ArmEnv, id: string): Promise<StorageAccountDocument | null> {
  const stored = await readStoredAccount(env, id);
  return stored ? presentAccount(stored) : null;
}

function newKeys(): AccountKeys {
  const creationTime = azureTime(emulatorNow());
  return { key1: { value: newAccountKeyValue(), creationTime }, key2: { value: newAccountKeyValue(), creationTime } };
}

function configuration(env: ArmEnv, stored: StoredStorageAccount): StorageAccountConfiguration {
  return {
    resourceId: stored.id,
    name: stored.name,
    tenantId: env.TENANT_ID,
    location: stored.location,
    keys: { key1: stored.accountKeys.key1.value, key2: stored.accountKeys.key2.value },
    // Absent in ARM means allowed.
    allowSharedKeyAccess: stored.properties.allowSharedKeyAccess !== false,
  };
}

/** Tells the data plane about the account; its per-name claim refuses a name another account resource holds. */
async function configureDataPlane(env: ArmEnv, stored: StoredStorageAccount): Promise<void> {
  let outcome;
  try {
    outcome = await env.STORAGE.configureAccount(configuration(env, stored));
  } catch (err) {
    throw ArmErrors.dependencyFailed("configuring the storage account's data plane", errorMessage(err));
  }
  if (!outcome.ok) throw StorageResourceErrors.accountAlreadyTaken(stored.name);
}

/** Another account of this subscription with the name (Azure's StorageAccountInAnotherResourceGroup). */
async function sameNameElsewhere(env: ArmEnv, id: string, name: string): Promise<boolean> {
  const entries = await subscriptionIndex(env).list(STORAGE_ACCOUNT_TYPE);
  return entries.some((e) => e.id.split("/").pop()!.toLowerCase() === name.toLowerCase() && resourceKey(e.id) !== resourceKey(id));
}

/** PUT or PATCH of an account. Answers 200 with the document either way (Storage's create is 200). */
export async function writeAccount(env: ArmEnv, write: AccountWrite): Promise<StorageAccountDocument> {
  const object = accountObject(env, write.id);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    let { doc, version } = await object.readVersioned();
    let existing = doc as StoredStorageAccount | null;
    // A delete that could not finish is finished before anything else happens to the name.
    if (existing?.properties.provisioningState === "Deleting") {
      await finishDelete(env, existing);
      ({ doc, version } = await object.readVersioned());
      existing = doc as StoredStorageAccount | null;
    }
    if (write.mode === "patch" && !existing) throw ArmErrors.resourceNotFound(STORAGE_ACCOUNT_TYPE, write.name, write.resourceGroup);
    const stored = desiredAccount(existing, write, { now: azureTime(emulatorNow()), storageUrl: env.STORAGE_URL, newKeys });
    if (!existing && (await sameNameElsewhere(env, stored.id, stored.name))) throw StorageResourceErrors.accountInAnotherResourceGroup(stored.name);

    // Listed before committed: a crash after this leaves an entry a reset or cascade still finds.
    if (!existing) await subscriptionIndex(env).upsert({ id: stored.id, type: STORAGE_ACCOUNT_TYPE, resourceGroup: write.resourceGroup });
    try {
      await configureDataPlane(env, stored);
    } catch (err) {
      if (!existing) await subscriptionIndex(env).remove(stored.id);
      throw err;
    }
    let committed: boolean;
    try {
      committed = await object.writeIfVersion(version, stored);
    } catch (err) {
      // The data plane accepted a new account that Resource Manager could not record: let go of it.
      if (!existing) await releaseNewAccount(env, stored);
      throw ArmErrors.dependencyFailed("recording the storage account", errorMessage(err));
    }
    if (committed) return presentAccount(stored);
    // Another write came first: compute again from it (its keys win; the data plane is told again).
  }
  throw ArmErrors.conflict("ConcurrentUpdate", `The storage account ${write.name} kept changing during this request. Retry the request.`);
}

async function releaseNewAccount(env: ArmEnv, stored: StoredStorageAccount): Promise<void> {
  try {
    if (!(await accountObject(env, stored.id).read())) {
      await env.STORAGE.removeAccount(stored.name);
      await subscriptionIndex(env).remove(stored.id);
    }
  } catch {
    // The entry stays listed; the next DELETE, cascade or reset of the account finishes it.
  }
}

/** regenerateKey: a new value for one key, on the data plane first; answers the keys as listKeys does. */
export async function regenerateAccountKey(env: ArmEnv, id: string, keyName: "key1" | "key2", notFound: () => Error): Promise<StoredStorageAccount> {
  const object = accountObject(env, id);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const { doc, version } = await object.readVersioned();
    const existing = doc as StoredStorageAccount | null;
    if (!existing || existing.properties.provisioningState === "Deleting") throw notFound();
    const creationTime = azureTime(emulatorNow());
    const accountKeys = { ...existing.accountKeys, [keyName]: { value: newAccountKeyValue(), creationTime } };
    const stored: StoredStorageAccount = {
      ...existing,
      accountKeys,
      properties: { ...existing.properties, keyCreationTime: { key1: accountKeys.key1.creationTime, key2: accountKeys.key2.creationTime } },
    };
    await configureDataPlane(env, stored);
    if (await object.writeIfVersion(version, stored)) return stored;
  }
  throw ArmErrors.conflict("ConcurrentUpdate", "The storage account kept changing during this request. Retry the request.");
}

/**
 * Deletes an account: marked Deleting first, then its data plane (containers, blobs, the name's
 * claim), then its blob service document, index entry and document. A failure leaves the mark;
 * the next DELETE, PUT, resource group cascade or reset finishes it. 200 when it existed, 204 when not.
 */
export async function deleteAccount(env: ArmEnv, id: string): Promise<{ status: number }> {
  const object = accountObject(env, id);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const { doc, version } = await object.readVersioned();
    const existing = doc as StoredStorageAccount | null;
    if (!existing) {
      // An entry listed by a create that never committed goes too.
      await subscriptionIndex(env).remove(id);
      return { status: 204 };
    }
    if (existing.properties.provisioningState !== "Deleting") {
      const marked: StoredStorageAccount = { ...existing, properties: { ...existing.properties, provisioningState: "Deleting" } };
      if (!(await object.writeIfVersion(version, marked))) continue;
      await finishDelete(env, marked);
    } else {
      await finishDelete(env, existing);
    }
    return { status: 200 };
  }
  throw ArmErrors.conflict("ConcurrentUpdate", "The storage account kept changing during this request. Retry the request.");
}

async function finishDelete(env: ArmEnv, marked: StoredStorageAccount): Promise<void> {
  try {
    await env.STORAGE.removeAccount(marked.name);
  } catch (err) {
    throw ArmErrors.dependencyFailed("removing the storage account's data plane", errorMessage(err));
  }
  await blobServiceObject(env, marked.id).erase();
  await subscriptionIndex(env).remove(marked.id);
  await accountObject(env, marked.id).erase();
}
