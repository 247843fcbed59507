// Microsoft.KeyVault/vaults documents: what a PUT or PATCH body becomes (Azure's defaults, its
// validation, the settings that cannot be undone), what the Key Vault data plane is told about
// the vault, and how a vault is deleted. Only RBAC vaults are emulated: access policies are
// refused, and enableRbacAuthorization defaults to true (Azure's default from API 2026-02-01 and
// `az keyvault create`'s since CLI 2.61; older APIs default to false, which would mean a vault
// nobody can read).
import { VaultResourceErrors } from "../../../../../shared/errors/keyvault";
import { ArmErrors } from "../../../../../shared/errors/arm";
import { resourceKey } from "../../../../../shared/resource-id";
import type { VaultConfiguration } from "../../../../../shared/rpc";
import { stubOf } from "../../../../../shared/durable";
import { azureVaultUri, vaultUri } from "../../../../../shared/vault-uri";
import { subscriptionIndex } from "../../arm-request";
import type { ArmEnv } from "../../env";
import { asResult, errorMessage, type OperationResult } from "../../operation";
import { isObject, mergePatch, normalizeLocation, validateTags } from "../../request-body";
import type { ArmDocument, ResourceObject } from "../resources/resource-object";

export const VAULT_TYPE = "Microsoft.KeyVault/vaults";

/** 3-24 letters, digits and hyphens; starts with a letter, ends with a letter or digit, no "--". */
const VAULT_NAME = /^[a-zA-Z](?:[a-zA-Z0-9]|-(?!-)){1,22}[a-zA-Z0-9]$/;

export function validateVaultName(name: string): void {
  if (!VAULT_NAME.test(name)) throw VaultResourceErrors.invalidVaultName(name);
}

export interface VaultProperties {
  sku: { family: "A"; name: "standard" | "premium" };
  tenantId: string;
  accessPolicies: unknown[];
  enabledForDeployment: boolean;
  enabledForDiskEncryption: boolean;
  enabledForTemplateDeployment: boolean;
  enableSoftDelete: boolean;
  softDeleteRetentionInDays: number;
  enableRbacAuthorization: boolean;
  enablePurgeProtection?: true;
  vaultUri: string;
  provisioningState: "Succeeded";
  publicNetworkAccess: string;
  [key: string]: unknown;
}

export type VaultDocument = ArmDocument & { location: string; tags: Record<string, string>; properties: VaultProperties };

export interface VaultWrite {
  mode: "put" | "patch";
  id: string;
  name: string;
  resourceGroup: string;
  body: Record<string, unknown>;
}

export function vaultDocumentObject(env: ArmEnv, id: string) {
  return stubOf<ResourceObject>(env.RESOURCES, resourceKey(id));
}

/** The document a PUT (replace) or PATCH (merge) asks for, validated against the existing one. */
export function desiredVault(env: ArmEnv, existing: VaultDocument | null, write: VaultWrite): VaultDocument {
  const { body } = write;
  if (body.properties !== undefined && body.properties !== null && !isObject(body.properties)) {
    throw ArmErrors.invalidRequestContent("properties must be an object");
  }
  const tags = body.tags === undefined ? undefined : validateTags(body.tags);
  let location: string;
  let requested: Record<string, unknown>;
  if (write.mode === "put") {
    if (typeof body.location !== "string" || body.location.trim() === "") throw ArmErrors.locationRequired();
    location = normalizeLocation(body.location);
    if (existing && existing.location !== location) {
      throw VaultResourceErrors.locationChange(existing.name, write.resourceGroup, existing.location, location);
    }
    requested = (body.properties as Record<string, unknown> | undefined) ?? {};
  } else {
    if (!existing) throw new Error("PATCH of a missing vault reaches desiredVault");
    location = existing.location;
    requested = mergePatch(existing.properties, body.properties ?? {}) as Record<string, unknown>;
  }
  const properties = vaultProperties(env, existing, requested, write.name);
  return {
    id: existing?.id ?? write.id,
    name: existing?.name ?? write.name,
    type: VAULT_TYPE,
    location,
    tags: tags ?? (write.mode === "patch" ? existing!.tags : {}),
    properties,
  };
}

function vaultProperties(env: ArmEnv, existing: VaultDocument | null, p: Record<string, unknown>, name: string): VaultProperties {
  if (p.tenantId === undefined || p.tenantId === null || p.tenantId === "") throw VaultResourceErrors.tenantRequired();
  if (typeof p.tenantId !== "string" || p.tenantId.toLowerCase() !== env.TENANT_ID.toLowerCase()) {
    throw VaultResourceErrors.foreignTenant(String(p.tenantId), env.TENANT_ID);
  }
  const sku = validateSku(p.sku);

  const accessPolicies = p.accessPolicies ?? [];
  if (!Array.isArray(accessPolicies)) throw ArmErrors.invalidRequestContent("properties.accessPolicies must be an array");
  if (p.enableRbacAuthorization === false || accessPolicies.length > 0) throw VaultResourceErrors.accessPoliciesNotEmulated();
  if (p.enableRbacAuthorization !== undefined && p.enableRbacAuthorization !== null && typeof p.enableRbacAuthorization !== "boolean") {
    throw ArmErrors.invalidRequestContent("properties.enableRbacAuthorization must be a boolean");
  }

  const enableSoftDelete = optionalBoolean(p, "enableSoftDelete") ?? true;
  if (existing?.properties.enableSoftDelete && !enableSoftDelete) throw VaultResourceErrors.softDeleteIrreversible();

  const retention = p.softDeleteRetentionInDays ?? existing?.properties.softDeleteRetentionInDays ?? 90;
  if (typeof retention !== "number" || !Number.isInteger(retention) || retention < 7 || retention > 90) {
    throw VaultResourceErrors.invalidRetention(retention);
  }
  if (existing && existing.properties.softDeleteRetentionInDays !== retention) {
    throw VaultResourceErrors.retentionImmutable(existing.properties.softDeleteRetentionInDays);
  }

  const purgeProtection = optionalBoolean(p, "enablePurgeProtection");
  if (existing?.properties.enablePurgeProtection && purgeProtection === false) throw VaultResourceErrors.purgeProtectionIrreversible();
  const enablePurgeProtection = purgeProtection ?? existing?.properties.enablePurgeProtection ?? false;
  if (enablePurgeProtection && !enableSoftDelete) {
    throw VaultResourceErrors.badRequest("Purge protection can only be enabled on a vault with soft delete enabled.");
  }

  const passThrough = Object.fromEntries(
    ["networkAcls", "enabledForDeployment", "enabledForDiskEncryption", "enabledForTemplateDeployment", "publicNetworkAccess"]
      .filter((k) => p[k] !== undefined && p[k] !== null)
      .map((k) => [k, p[k]]),
  );
  return {
    enabledForDeployment: false,
    enabledForDiskEncryption: false,
    enabledForTemplateDeployment: false,
    publicNetworkAccess: "Enabled",
    ...passThrough,
    sku,
    tenantId: env.TENANT_ID,
    accessPolicies: [],
    enableSoftDelete,
    softDeleteRetentionInDays: retention,
    enableRbacAuthorization: true,
    ...(enablePurgeProtection ? { enablePurgeProtection: true as const } : {}),
    vaultUri: env.VAULT_URL ? vaultUri(env.VAULT_URL, name) : azureVaultUri(name),
    provisioningState: "Succeeded",
  };
}

function validateSku(value: unknown): VaultProperties["sku"] {
  if (value === undefined || value === null) throw VaultResourceErrors.skuRequired();
  if (!isObject(value)) throw VaultResourceErrors.invalidSku("sku must be an object");
  if (typeof value.family !== "string" || value.family.toUpperCase() !== "A") {
    throw VaultResourceErrors.invalidSku(`family '${String(value.family)}' is not 'A'`);
  }
  const name = typeof value.name === "string" ? value.name.toLowerCase() : "";
  if (name !== "standard" && name !== "premium") {
    throw VaultResourceErrors.invalidSku(`name '${String(value.name)}' is not 'standard' or 'premium'`);
  }
  return { family: "A", name };
}

function optionalBoolean(p: Record<string, unknown>, key: string): boolean | undefined {
  const value = p[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw ArmErrors.invalidRequestContent(`properties.${key} must be a boolean`);
  return value;
}

/** What the data plane needs to know about the vault. */
export function vaultConfiguration(doc: VaultDocument): VaultConfiguration {
  return {
    resourceId: doc.id,
    name: doc.name,
    tenantId: doc.properties.tenantId,
    location: doc.location,
    enableSoftDelete: doc.properties.enableSoftDelete,
    softDeleteRetentionInDays: doc.properties.softDeleteRetentionInDays,
    enablePurgeProtection: doc.properties.enablePurgeProtection === true,
  };
}

/**
 * Tells the data plane about the vault. Its per-name object is the global registry of vault names
 * and refuses a name another vault holds (one object, one decision: no race between two PUTs).
 */
export async function configureDataPlane(env: ArmEnv, doc: VaultDocument): Promise<void> {
  let outcome;
  try {
    outcome = await env.KEYVAULT.configureVault(vaultConfiguration(doc));
  } catch (err) {
    throw ArmErrors.dependencyFailed("configuring the vault's data plane", errorMessage(err));
  }
  // Resource Manager's edge: the data plane's refusal in ARM's words.
  if (!outcome.ok) throw VaultResourceErrors.vaultAlreadyExists(doc.name);
}

/**
 * Deletes a vault: its data plane first (secrets and the name's claim), then the document, so a
 * failure leaves a document whose next DELETE finishes the job. Soft-deleted vaults (deletedVaults)
 * are not emulated: the name is free at once.
 */
export function deleteVault(env: ArmEnv, id: string): Promise<OperationResult> {
  return asResult(async () => {
    const object = vaultDocumentObject(env, id);
    const doc = await object.read();
    if (!doc) return { status: 204 };
    try {
      await env.KEYVAULT.removeVault(doc.name);
    } catch (err) {
      throw ArmErrors.dependencyFailed("removing the vault's data plane", errorMessage(err));
    }
    await subscriptionIndex(env).remove(doc.id);
    await object.erase();
    return { status: 200 };
  });
}
