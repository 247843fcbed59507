// An account's Blob service (…/blobServices/default) and its containers in Resource Manager.
// The service's settings are a document of their own (stored and echoed: delete retention, CORS,
// versioning…; the data plane does not act on them). Containers live on the Blob data plane
// only, reached through STORAGE, so ARM's containers and the data plane's are the same ones.
import { ArmErrors } from "../../../../../shared/errors/arm";
import type { BlobContainerView, StorageRefusal } from "../../../../../shared/rpc";
import type { ArmEnv } from "../../env";
import { errorMessage } from "../../operation";
import { isObject, mergePatch } from "../../request-body";
import type { ArmDocument, ResourceAddress, ResourceTypeRecord } from "../../resource-types";
import { STORAGE_API_VERSIONS } from "./api-versions";
import type { StoredStorageAccount } from "./storage-account-rules";
import { blobServiceObject, readStoredAccount } from "./storage-accounts";
import { StorageResourceErrors } from "./storage-errors";
import { validateContainerName, validateContainerProperties } from "./container-rules";

export const BLOB_SERVICE_TYPE = "Microsoft.Storage/storageAccounts/blobServices";
export const CONTAINER_TYPE = "Microsoft.Storage/storageAccounts/blobServices/containers";

/** The account a blob service or container address belongs to, if it exists (and is not being deleted). */
async function owningAccount(env: ArmEnv, id: string): Promise<StoredStorageAccount | null> {
  const accountId = id.replace(/\/blobServices\/[^/]+(\/containers\/[^/]+)?\/?$/i, "");
  const account = await readStoredAccount(env, accountId);
  return account && account.properties.provisioningState !== "Deleting" ? account : null;
}

function defaultBlobService(account: StoredStorageAccount): ArmDocument {
  return {
    id: `${account.id}/blobServices/default`,
    name: "default",
    type: BLOB_SERVICE_TYPE,
    sku: account.sku,
    properties: {
      cors: { corsRules: [] },
      deleteRetentionPolicy: { allowPermanentDelete: false, enabled: false },
    },
  };
}

async function readBlobService(env: ArmEnv, address: ResourceAddress): Promise<ArmDocument | null> {
  if (address.name.toLowerCase() !== "default") return null;
  const account = await owningAccount(env, address.id);
  if (!account) return null;
  const stored = await blobServiceObject(env, account.id).read();
  return stored ? { ...stored, sku: account.sku } : defaultBlobService(account);
}

export const blobServices: ResourceTypeRecord = {
  type: BLOB_SERVICE_TYPE,
  apiVersions: STORAGE_API_VERSIONS,
  actions: {
    read: "Microsoft.Storage/storageAccounts/blobServices/read",
    write: "Microsoft.Storage/storageAccounts/blobServices/write",
    // A blob service is never deleted on its own (it goes with its account).
    delete: "Microsoft.Storage/storageAccounts/blobServices/write",
  },
  validateName(name) {
    if (name.toLowerCase() !== "default") throw StorageResourceErrors.blobServiceName(name);
  },
  // Blob services only answer PUT (Set Blob Service Properties), as in Azure.
  patchable: false,
  cascadeOrder: 3,

  read: readBlobService,

  async write(env, input) {
    const account = await owningAccount(env, input.id);
    if (!account) throw ArmErrors.resourceNotFound("Microsoft.Storage/storageAccounts", input.parentId!.split("/").pop()!, input.resourceGroup);
    const properties = input.body.properties ?? {};
    if (!isObject(properties)) throw ArmErrors.invalidRequestContent("properties must be an object");
    validateBlobServiceProperties(properties);
    const object = blobServiceObject(env, account.id);
    const current = (await object.read()) ?? defaultBlobService(account);
    // Set Blob Service Properties changes what it names and keeps the rest.
    const doc: ArmDocument = {
      id: `${account.id}/blobServices/default`,
      name: "default",
      type: BLOB_SERVICE_TYPE,
      properties: mergePatch(current.properties, properties) as Record<string, unknown>,
    };
    await object.write(doc);
    return { status: 200, body: { ...doc, sku: account.sku } };
  },

  async delete() {
    throw ArmErrors.methodNotAllowed("DELETE");
  },

  async listChildren(env, parent) {
    const account = await owningAccount(env, `${parent.id}/blobServices/default`);
    if (!account) return null;
    const doc = await readBlobService(env, { ...parent, id: `${account.id}/blobServices/default`, name: "default", parentId: account.id });
    return doc ? [doc] : [];
  },
};

function validateBlobServiceProperties(p: Record<string, unknown>): void {
  for (const key of ["deleteRetentionPolicy", "containerDeleteRetentionPolicy"]) {
    const policy = p[key];
    if (policy === undefined || policy === null) continue;
    if (!isObject(policy)) throw ArmErrors.invalidRequestContent(`properties.${key} must be an object`);
    if (policy.enabled !== undefined && typeof policy.enabled !== "boolean") throw StorageResourceErrors.invalidPropertyValue(policy.enabled, `${key}.enabled`);
    if (policy.days !== undefined && policy.days !== null && (!Number.isInteger(policy.days) || (policy.days as number) < 1 || (policy.days as number) > 365)) {
      throw StorageResourceErrors.invalidPropertyValue(policy.days, `${key}.days`);
    }
  }
  if (p.cors !== undefined && p.cors !== null && (!isObject(p.cors) || (p.cors.corsRules !== undefined && !Array.isArray(p.cors.corsRules)))) {
    throw ArmErrors.invalidRequestContent("properties.cors.corsRules must be an array");
  }
  for (const key of ["isVersioningEnabled", "automaticSnapshotPolicyEnabled"]) {
    if (p[key] !== undefined && p[key] !== null && typeof p[key] !== "boolean") throw StorageResourceErrors.invalidPropertyValue(p[key], key);
  }
}

/** A container as Resource Manager shows it (ARM's etag is quoted, as in the Storage RP's answers). */
export function containerDocument(accountId: string, view: BlobContainerView): ArmDocument {
  return {
    id: `${accountId}/blobServices/default/containers/${view.name}`,
    name: view.name,
    type: CONTAINER_TYPE,
    etag: `"${view.etag}"`,
    properties: {
      deleted: false,
      remainingRetentionDays: 0,
      defaultEncryptionScope: "$account-encryption-key",
      denyEncryptionScopeOverride: false,
      publicAccess: view.publicAccess,
      lastModifiedTime: view.lastModified,
      leaseStatus: "Unlocked",
      leaseState: "Available",
      metadata: view.metadata,
      hasImmutabilityPolicy: false,
      hasLegalHold: false,
    },
  };
}

function dataPlaneFailed(step: string, err: unknown): Error {
  return ArmErrors.dependencyFailed(step, errorMessage(err));
}

export const containers: ResourceTypeRecord = {
  type: CONTAINER_TYPE,
  apiVersions: STORAGE_API_VERSIONS,
  actions: {
    read: "Microsoft.Storage/storageAccounts/blobServices/containers/read",
    write: "Microsoft.Storage/storageAccounts/blobServices/containers/write",
    delete: "Microsoft.Storage/storageAccounts/blobServices/containers/delete",
  },
  validateName: validateContainerName,
  cascadeOrder: 3,
  notFound: () => StorageResourceErrors.containerNotFound(),

  async read(env, address) {
    const account = await owningAccount(env, address.id);
    if (!account) return null;
    let view: BlobContainerView | null;
    try {
      view = await env.STORAGE.readContainer(account.name, address.name);
    } catch (err) {
      throw dataPlaneFailed("reading the container from the data plane", err);
    }
    return view ? containerDocument(account.id, view) : null;
  },

  async write(env, input) {
    const account = await owningAccount(env, input.id);
    if (!account) throw ArmErrors.resourceNotFound("Microsoft.Storage/storageAccounts", input.id.split("/")[8]!, input.resourceGroup);
    const requested = validateContainerProperties(input.body.properties, input.mode);
    if (requested.publicAccess && requested.publicAccess !== "None" && account.properties.allowBlobPublicAccess !== true) {
      throw StorageResourceErrors.publicAccessNotPermitted();
    }
    if (input.mode === "patch") {
      // PATCH updates a container that exists; it never creates one.
      let current: BlobContainerView | null;
      try {
        current = await env.STORAGE.readContainer(account.name, input.name);
      } catch (err) {
        throw dataPlaneFailed("reading the container from the data plane", err);
      }
      if (!current) throw StorageResourceErrors.containerNotFound();
    }
    let outcome;
    try {
      outcome = await env.STORAGE.putContainer(account.name, input.name, requested);
    } catch (err) {
      throw dataPlaneFailed("writing the container on the data plane", err);
    }
    if (!outcome.ok) throw refusal(outcome.refusal.code, outcome.refusal.message, account, input.resourceGroup);
    const body = containerDocument(account.id, outcome.value.container);
    return { status: outcome.value.created ? 201 : 200, body };
  },

  async delete(env, address) {
    const account = await owningAccount(env, address.id);
    if (!account) return { status: 204 };
    try {
      return { status: (await env.STORAGE.deleteContainer(account.name, address.name)) ? 200 : 204 };
    } catch (err) {
      throw dataPlaneFailed("deleting the container on the data plane", err);
    }
  },

  async listChildren(env, parent) {
    if (parent.name.toLowerCase() !== "default") return null;
    const account = await owningAccount(env, parent.id);
    if (!account) return null;
    let views: BlobContainerView[];
    try {
      views = await env.STORAGE.listContainers(account.name);
    } catch (err) {
      throw dataPlaneFailed("listing the containers on the data plane", err);
    }
    return views.map((view) => containerDocument(account.id, view));
  },
};

/** The data plane's refusal in the Storage RP's words. */
function refusal(code: StorageRefusal | string, message: string | undefined, account: StoredStorageAccount, resourceGroup: string): Error {
  switch (code) {
    case "AccountNotFound":
      return ArmErrors.resourceNotFound("Microsoft.Storage/storageAccounts", account.name, resourceGroup);
    case "ContainerNotFound":
      return StorageResourceErrors.containerNotFound();
    case "InvalidInput":
      return StorageResourceErrors.invalidMetadata(message ?? "");
    default:
      return ArmErrors.dependencyFailed("writing the container on the data plane", `${code}${message ? `: ${message}` : ""}`);
  }
}
