import type { FlowEnv } from "../../../shared/flow";
import type { GraphControlBinding } from "../../../shared/bindings/graph-control";
import type { ManagedIdentityDirectoryBinding } from "../../../shared/bindings/managed-identity-directory";
import type { MetadataServiceBinding } from "../../../shared/bindings/metadata-service";
import type { StorageAdminBinding } from "../../../shared/bindings/storage-admin";
import type { VaultAdminBinding } from "../../../shared/bindings/vault-admin";

export interface ArmEnv extends FlowEnv {
  RESOURCES: DurableObjectNamespace;
  VIRTUAL_MACHINES: DurableObjectNamespace;
  USER_ASSIGNED_IDENTITIES: DurableObjectNamespace;
  /** Microsoft.Web sites (SiteObject, keyed by lower-cased id): a site, its identities and settings. */
  SITES: DurableObjectNamespace;
  SUBSCRIPTIONS: DurableObjectNamespace;
  AUTHORIZATION: DurableObjectNamespace;
  /** Operating state (shared/emulator-state.ts): the emulator clock's offset of record. */
  EMULATOR: DurableObjectNamespace;
  /** RSA key pairs for new principals' certificates, generated ahead (CredentialKeyPool, one per tenant). */
  CREDENTIAL_KEY_POOL: DurableObjectNamespace;
  AAD: ManagedIdentityDirectoryBinding;
  IMDS: MetadataServiceBinding;
  KEYVAULT: VaultAdminBinding;
  /** The Blob data plane (mie-storage): storage accounts and ARM's containers. */
  STORAGE: StorageAdminBinding;
  /** Graph's control entrypoint (the emulator clock); absent where Graph is not deployed. */
  GRAPH?: GraphControlBinding;
  TENANT_ID: string;
  SUBSCRIPTION_ID: string;
  ADMIN_CLIENT_ID: string;
  RBAC_ENFORCEMENT: string;
  /** "on" only in tests started with `testFailpoints`: enables the fault seam of failpoints.ts. */
  TEST_FAILPOINTS?: string;
  ARM_URL?: string;
  LOGIN_URL?: string;
  IMDS_URL?: string;
  /** Public base of Microsoft Graph, named by the cloud metadata. */
  GRAPH_URL?: string;
  /** Vaults also answer at {name}.{VAULT_DNS_SUFFIX} (the metadata's suffixes.keyVaultDns). */
  VAULT_DNS_SUFFIX?: string;
  /** Public base of the Key Vault data plane, for vaults' properties.vaultUri (shared/vault-uri.ts). */
  VAULT_URL?: string;
  /** Public base of the Blob data plane: accounts' primaryEndpoints are {STORAGE_URL}/{account}/ (Azure's host form when absent). */
  STORAGE_URL?: string;
  /** Blob services also answer at {account}.blob.{STORAGE_DNS_SUFFIX} (the metadata's suffixes.storage). */
  STORAGE_DNS_SUFFIX?: string;
  /** off | info | debug (knob MIE_LOG, shared/request-log.ts). */
  LOG?: string;
}
