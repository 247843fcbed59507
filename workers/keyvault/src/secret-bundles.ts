// What Key Vault answers about secrets: SecretBundle (one version, with its value), SecretItem
// (list entries: no value, and no version in the id unless versions are listed) and the deleted
// variants with recoveryId and dates. Ids follow shared/vault-uri.ts: {base}/secrets/{name}/{version}.
import type { VaultConfiguration } from "../../../shared/rpc";
import type { DeletedSecretRecord, SecretVersionRecord } from "./vault-object";

/** What every answer about a vault's secrets needs: the data-plane base and the vault's settings. */
export interface VaultView {
  /** Public data-plane base, no trailing slash (ids are built on it). */
  base: string;
  vault: VaultConfiguration;
}

/** How deleted secrets can come back, from the vault's soft-delete settings (Key Vault's DeletionRecoveryLevel). */
export function recoveryLevel(vault: VaultConfiguration): string {
  if (!vault.enableSoftDelete) return "Purgeable";
  const customized = vault.softDeleteRetentionInDays < 90 ? "CustomizedRecoverable" : "Recoverable";
  return vault.enablePurgeProtection ? customized : `${customized}+Purgeable`;
}

function attributes(view: VaultView, record: SecretVersionRecord) {
  return {
    enabled: record.enabled,
    ...(record.nbf !== null ? { nbf: record.nbf } : {}),
    ...(record.exp !== null ? { exp: record.exp } : {}),
    created: record.created,
    updated: record.updated,
    recoveryLevel: recoveryLevel(view.vault),
    ...(view.vault.enableSoftDelete ? { recoverableDays: view.vault.softDeleteRetentionInDays } : {}),
  };
}

function described(record: SecretVersionRecord) {
  return {
    ...(record.contentType !== null ? { contentType: record.contentType } : {}),
    ...(record.tags !== null ? { tags: record.tags } : {}),
  };
}

export function secretId(view: VaultView, name: string, version?: string): string {
  return `${view.base}/secrets/${name}${version ? `/${version}` : ""}`;
}

/** GET and PUT answer the value; PATCH, DELETE and recover answer the same bundle without it. */
export function secretBundle(view: VaultView, record: SecretVersionRecord, withValue: boolean) {
  return {
    ...(withValue ? { value: record.value } : {}),
    ...described(record),
    id: secretId(view, record.name, record.version),
    attributes: attributes(view, record),
  };
}

export function secretItem(view: VaultView, record: SecretVersionRecord, versioned: boolean) {
  return {
    ...described(record),
    id: secretId(view, record.name, versioned ? record.version : undefined),
    attributes: attributes(view, record),
  };
}

function deletion(view: VaultView, deleted: DeletedSecretRecord) {
  return {
    recoveryId: `${view.base}/deletedsecrets/${deleted.latest.name}`,
    deletedDate: deleted.deletedDate,
    scheduledPurgeDate: deleted.scheduledPurgeDate,
  };
}

/** The DELETE answer and GET /deletedsecrets/{name}; without recoveryId when the vault has no soft delete. */
export function deletedSecretBundle(view: VaultView, deleted: DeletedSecretRecord, recoverable = true) {
  return { ...(recoverable ? deletion(view, deleted) : {}), ...secretBundle(view, deleted.latest, false) };
}

export function deletedSecretItem(view: VaultView, deleted: DeletedSecretRecord) {
  return { ...deletion(view, deleted), ...secretItem(view, deleted.latest, false) };
}
