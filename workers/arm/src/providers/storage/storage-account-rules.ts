// Microsoft.Storage/storageAccounts documents: what a PUT or PATCH body becomes (the Storage
// resource provider's defaults and validation), the read-only properties it fills in, and what
// GET shows (never the keys). Pure — no bindings or Durable Objects — so unit tests load it in Node.
//
// Storage's PUT on an existing account is an update ("If an account is already created and a
// subsequent create request is issued with different properties, the account properties will be
// updated"): properties and tags a PUT leaves out keep their values, as with PATCH.
import { ArmErrors } from "../../../../../shared/errors/arm";
import { isObject, normalizeLocation, validateTags } from "../../request-body";
import type { ArmDocument } from "../../resource-types";
import { StorageResourceErrors } from "./storage-errors";

export const STORAGE_ACCOUNT_TYPE = "Microsoft.Storage/storageAccounts";

export const SKU_NAMES = [
  "Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS", "Standard_GZRS", "Standard_RAGZRS",
  "Premium_LRS", "Premium_ZRS", "StandardV2_LRS", "StandardV2_GRS", "StandardV2_ZRS", "StandardV2_GZRS",
  "PremiumV2_LRS", "PremiumV2_ZRS",
] as const;
export const KINDS = ["Storage", "StorageV2", "BlobStorage", "FileStorage", "BlockBlobStorage"] as const;
const TLS_VERSIONS = ["TLS1_0", "TLS1_1", "TLS1_2", "TLS1_3"];
const ACCESS_TIERS = ["Hot", "Cool", "Cold", "Premium"];
const PUBLIC_NETWORK_ACCESS = ["Enabled", "Disabled", "SecuredByPerimeter"];
const DEFAULT_ACTIONS = ["Allow", "Deny"];

/** Storage account names: 3-24 lower-case letters and digits, unique across the emulator. */
export function isValidStorageAccountName(name: string): boolean {
  return /^[a-z0-9]{3,24}$/.test(name);
}

export function validateStorageAccountName(name: string): void {
  if (!isValidStorageAccountName(name)) throw StorageResourceErrors.accountNameInvalid(name);
}

export interface AccountKey {
  value: string;
  creationTime: string;
}
export interface AccountKeys {
  key1: AccountKey;
  key2: AccountKey;
}

export interface StorageAccountProperties {
  provisioningState: "Succeeded" | "Deleting";
  creationTime: string;
  primaryLocation: string;
  statusOfPrimary: "available";
  primaryEndpoints: Record<"blob" | "queue" | "table" | "file" | "dfs" | "web", string>;
  keyCreationTime: { key1: string; key2: string };
  allowSharedKeyAccess?: boolean;
  [key: string]: unknown;
}

/** The account as GET shows it. */
export type StorageAccountDocument = ArmDocument & {
  location: string;
  kind: string;
  sku: { name: string; tier: "Standard" | "Premium" };
  tags: Record<string, string>;
  identity?: { type: "None" };
  properties: StorageAccountProperties;
};

/** The account as stored: the document plus its two keys (which only listKeys shows). */
export type StoredStorageAccount = StorageAccountDocument & { accountKeys: AccountKeys };

export interface AccountWrite {
  mode: "put" | "patch";
  id: string;
  name: string;
  resourceGroup: string;
  body: Record<string, unknown>;
}

export interface AccountContext {
  /** ISO time of this write (the emulator clock). */
  now: string;
  /** Public base of the Blob data plane (env STORAGE_URL); Azure's host form when absent. */
  storageUrl?: string;
  /** Two new keys, for a new account. */
  newKeys: () => AccountKeys;
}

/** Azure's 7-digit fraction: 2024-01-01T00:00:00.1230000Z. */
export function azureTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$10000Z");
}

/** A new account key: 64 random bytes, base64 (88 characters, like Azure's). */
export function newAccountKeyValue(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(64));
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * Where the account's services answer. The Blob service is path style on the emulator's Blob data
 * plane, {STORAGE_URL}/{account}/ (the contract with mie-storage). Queue, Table, File, Data Lake
 * and static websites are not served by the emulator; their endpoints are given in the same form
 * on the same base only because clients (az functionapp create) require them to be present.
 */
export function primaryEndpoints(name: string, storageUrl?: string): StorageAccountProperties["primaryEndpoints"] {
  if (storageUrl) {
    const url = `${storageUrl.replace(/\/+$/, "")}/${name}/`;
    return { blob: url, queue: url, table: url, file: url, dfs: url, web: url };
  }
  return {
    blob: `https://${name}.blob.core.windows.net/`,
    queue: `https://${name}.queue.core.windows.net/`,
    table: `https://${name}.table.core.windows.net/`,
    file: `https://${name}.file.core.windows.net/`,
    dfs: `https://${name}.dfs.core.windows.net/`,
    web: `https://${name}.z13.web.core.windows.net/`,
  };
}

function skuTier(name: string): "Standard" | "Premium" {
  return name.startsWith("Premium") ? "Premium" : "Standard";
}

/** The sku a body names (case-insensitive, answered in Azure's casing); undefined when absent. */
function requestedSku(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const name = isObject(value) ? value.name : undefined;
  const known = typeof name === "string" ? SKU_NAMES.find((s) => s.toLowerCase() === name.toLowerCase()) : undefined;
  if (!known) throw StorageResourceErrors.invalidValues(["sku"]);
  return known;
}

function requestedKind(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const known = typeof value === "string" ? KINDS.find((k) => k.toLowerCase() === value.toLowerCase()) : undefined;
  if (!known) throw StorageResourceErrors.invalidValues(["kind"]);
  return known;
}

/** Premium file and block blob accounts need a premium sku; blob storage accounts a standard one. */
function checkKindAndSku(kind: string, sku: string): void {
  const premium = skuTier(sku) === "Premium";
  if ((kind === "FileStorage" || kind === "BlockBlobStorage") && !premium) throw StorageResourceErrors.invalidValues(["kind", "sku"]);
  if (kind === "BlobStorage" && premium) throw StorageResourceErrors.invalidValues(["kind", "sku"]);
}

/** Storage accounts' own identity serves customer-managed keys only; it is not emulated. */
function requestedIdentity(value: unknown): { type: "None" } | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw ArmErrors.invalidRequestContent("identity must be an object");
  const type = value.type;
  if (typeof type !== "string") throw ArmErrors.invalidIdentityType(String(type));
  const normalized = type.replace(/\s+/g, "").toLowerCase();
  if (normalized === "none") return { type: "None" };
  if (["systemassigned", "userassigned", "systemassigned,userassigned"].includes(normalized)) throw StorageResourceErrors.identityNotEmulated(type);
  throw ArmErrors.invalidIdentityType(type);
}

function optionalBoolean(p: Record<string, unknown>, key: string): boolean | undefined {
  const value = p[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw StorageResourceErrors.invalidPropertyValue(value, key);
  return value;
}

function optionalChoice(p: Record<string, unknown>, key: string, allowed: string[]): string | undefined {
  const value = p[key];
  if (value === undefined || value === null) return undefined;
  const known = typeof value === "string" ? allowed.find((a) => a.toLowerCase() === value.toLowerCase()) : undefined;
  if (!known) throw StorageResourceErrors.invalidPropertyValue(value, key);
  return known;
}

/** networkAcls: stored and echoed (the data plane does not filter by network). */
function networkAcls(value: unknown, existing: unknown): Record<string, unknown> {
  const base = isObject(existing) ? existing : { bypass: "AzureServices", virtualNetworkRules: [], ipRules: [], defaultAction: "Allow" };
  if (value === undefined || value === null) return base;
  if (!isObject(value)) throw ArmErrors.invalidRequestContent("properties.networkAcls must be an object");
  const acls: Record<string, unknown> = { ...base, ...value };
  const action = optionalChoice(value, "defaultAction", DEFAULT_ACTIONS);
  acls.defaultAction = action ?? base.defaultAction ?? "Allow";
  if (acls.bypass !== undefined && typeof acls.bypass !== "string") throw StorageResourceErrors.invalidPropertyValue(acls.bypass, "networkAcls.bypass");
  for (const key of ["virtualNetworkRules", "ipRules", "resourceAccessRules"]) {
    if (acls[key] !== undefined && !Array.isArray(acls[key])) throw ArmErrors.invalidRequestContent(`properties.networkAcls.${key} must be an array`);
  }
  acls.virtualNetworkRules ??= [];
  acls.ipRules ??= [];
  return acls;
}

/** Encryption with Microsoft-managed keys; customer-managed keys (Key Vault) are not emulated. */
function encryption(value: unknown, existing: unknown, now: string): Record<string, unknown> {
  if ((value === undefined || value === null) && isObject(existing)) return existing;
  const given = value === undefined || value === null ? {} : value;
  if (!isObject(given)) throw ArmErrors.invalidRequestContent("properties.encryption must be an object");
  if (given.keySource !== undefined && given.keySource !== null && String(given.keySource).toLowerCase() !== "microsoft.storage") {
    throw StorageResourceErrors.invalidPropertyValue(given.keySource, "encryption.keySource");
  }
  const service = { keyType: "Account", enabled: true, lastEnabledTime: now };
  return {
    requireInfrastructureEncryption: given.requireInfrastructureEncryption === true,
    services: { file: service, blob: service },
    keySource: "Microsoft.Storage",
  };
}

/** Properties the service fills in; a body's values for them are ignored. */
const READ_ONLY = new Set([
  "provisioningState", "creationTime", "primaryLocation", "statusOfPrimary", "primaryEndpoints", "keyCreationTime",
  "secondaryLocation", "statusOfSecondary", "secondaryEndpoints", "lastGeoFailoverTime", "geoReplicationStats",
  "blobRestoreStatus", "privateEndpointConnections", "storageAccountSkuConversionStatus", "accountMigrationInProgress",
]);

/**
 * The stored account a PUT (create, or update of an existing account) or PATCH asks for, validated
 * whole before anything is touched. Keys are kept; a new account gets two new ones.
 */
export function desiredAccount(existing: StoredStorageAccount | null, write: AccountWrite, ctx: AccountContext): StoredStorageAccount {
  const { body } = write;
  if (body.properties !== undefined && body.properties !== null && !isObject(body.properties)) {
    throw ArmErrors.invalidRequestContent("properties must be an object");
  }
  const given = (body.properties ?? {}) as Record<string, unknown>;

  let location: string;
  if (write.mode === "put") {
    if (typeof body.location !== "string" || body.location.trim() === "") throw ArmErrors.locationRequired();
    location = normalizeLocation(body.location);
    if (existing && existing.location !== location) {
      throw StorageResourceErrors.locationChange(existing.name, write.resourceGroup, existing.location, location);
    }
  } else {
    if (!existing) throw new Error("PATCH of a missing account reaches desiredAccount");
    location = existing.location;
  }

  const skuName = requestedSku(body.sku) ?? existing?.sku.name;
  const kind = requestedKind(body.kind) ?? existing?.kind;
  const missing = [...(kind ? [] : ["kind"]), ...(skuName ? [] : ["sku"])];
  if (missing.length) throw StorageResourceErrors.invalidValues(missing);
  checkKindAndSku(kind!, skuName!);
  if (existing && skuTier(existing.sku.name) !== skuTier(skuName!)) throw StorageResourceErrors.invalidValues(["sku"]);
  // Only general-purpose v1 and blob storage accounts upgrade, and only to general-purpose v2.
  if (existing && existing.kind !== kind && !(kind === "StorageV2" && ["Storage", "BlobStorage"].includes(existing.kind))) {
    throw StorageResourceErrors.invalidValues(["kind"]);
  }

  const tags = body.tags === undefined ? (existing?.tags ?? {}) : validateTags(body.tags);
  const identity = requestedIdentity(body.identity) ?? existing?.identity;

  const old = existing?.properties ?? ({} as Partial<StorageAccountProperties>);
  const passThrough = Object.fromEntries(Object.entries(given).filter(([k, v]) => !READ_ONLY.has(k) && v !== null && v !== undefined));
  const allowSharedKeyAccess = optionalBoolean(given, "allowSharedKeyAccess") ?? old.allowSharedKeyAccess;
  const keys = existing?.accountKeys ?? ctx.newKeys();
  const accessTier = optionalChoice(given, "accessTier", ACCESS_TIERS) ?? (old.accessTier as string | undefined) ??
    (kind === "StorageV2" || kind === "BlobStorage" ? (skuTier(skuName!) === "Premium" ? "Premium" : "Hot") : undefined);

  const properties: StorageAccountProperties = {
    ...Object.fromEntries(Object.entries(old).filter(([k]) => !READ_ONLY.has(k))),
    ...passThrough,
    keyCreationTime: { key1: keys.key1.creationTime, key2: keys.key2.creationTime },
    privateEndpointConnections: [],
    minimumTlsVersion: optionalChoice(given, "minimumTlsVersion", TLS_VERSIONS) ?? old.minimumTlsVersion ?? "TLS1_2",
    allowBlobPublicAccess: optionalBoolean(given, "allowBlobPublicAccess") ?? old.allowBlobPublicAccess ?? false,
    ...(allowSharedKeyAccess === undefined ? {} : { allowSharedKeyAccess }),
    isHnsEnabled: optionalBoolean(given, "isHnsEnabled") ?? old.isHnsEnabled ?? false,
    networkAcls: networkAcls(given.networkAcls, old.networkAcls),
    supportsHttpsTrafficOnly: optionalBoolean(given, "supportsHttpsTrafficOnly") ?? old.supportsHttpsTrafficOnly ?? true,
    encryption: encryption(given.encryption, old.encryption, ctx.now),
    ...(accessTier ? { accessTier } : {}),
    publicNetworkAccess: optionalChoice(given, "publicNetworkAccess", PUBLIC_NETWORK_ACCESS) ?? old.publicNetworkAccess ?? "Enabled",
    provisioningState: "Succeeded",
    creationTime: old.creationTime ?? ctx.now,
    primaryEndpoints: primaryEndpoints(existing?.name ?? write.name, ctx.storageUrl),
    primaryLocation: location,
    statusOfPrimary: "available",
  };
  delete properties.allowSharedKeyAccess;
  if (allowSharedKeyAccess !== undefined) properties.allowSharedKeyAccess = allowSharedKeyAccess;

  return {
    sku: { name: skuName!, tier: skuTier(skuName!) },
    kind: kind!,
    ...(identity ? { identity } : {}),
    id: existing?.id ?? write.id,
    name: existing?.name ?? write.name,
    type: STORAGE_ACCOUNT_TYPE,
    location,
    tags,
    properties,
    accountKeys: keys,
  };
}

/** The account as GET answers it: everything but the keys. */
export function presentAccount(stored: StoredStorageAccount): StorageAccountDocument {
  const { accountKeys: _keys, ...doc } = stored;
  return doc;
}

/** listKeys' and regenerateKey's answer. */
export function keysBody(stored: StoredStorageAccount) {
  return {
    keys: (["key1", "key2"] as const).map((keyName) => ({
      creationTime: stored.accountKeys[keyName].creationTime,
      keyName,
      value: stored.accountKeys[keyName].value,
      permissions: "FULL",
    })),
  };
}

/** regenerateKey's body: {"keyName": "key1" | "key2"} (case-insensitive, as the service takes it). */
export function requestedKeyName(body: Record<string, unknown>): "key1" | "key2" {
  const keyName = body.keyName;
  if (typeof keyName === "string" && ["key1", "key2"].includes(keyName.toLowerCase())) return keyName.toLowerCase() as "key1" | "key2";
  throw StorageResourceErrors.invalidKeyName(keyName);
}

/** checkNameAvailability's answer for a name, given whether an account holds it. */
export function nameAvailability(name: unknown, taken: boolean) {
  if (typeof name !== "string" || !isValidStorageAccountName(name)) {
    return {
      nameAvailable: false,
      reason: "AccountNameInvalid",
      message: `${String(name)} is not a valid storage account name. Storage account name must be between 3 and 24 characters in length and use numbers and lower-case letters only.`,
    };
  }
  if (taken) return { nameAvailable: false, reason: "AlreadyExists", message: `The storage account named ${name} is already taken.` };
  return { nameAvailable: true };
}
