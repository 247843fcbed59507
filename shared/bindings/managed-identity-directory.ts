// Resource Manager → authority (entrypoint "ManagedIdentityDirectory"): the principals of managed
// identities (created and deleted with their resources), their federated credentials, the
// signing keys, and the control API's clock and reset. No application or secret of the directory.
import type { EmulatorControlRpc, FederatedCredential, ManagedIdentityPrincipalInput, ServicePrincipalView } from "../rpc";
import type { SigningKeysBinding } from "./signing-keys";

export interface ManagedIdentityDirectoryBinding extends SigningKeysBinding, EmulatorControlRpc {
  createManagedIdentityPrincipal(input: ManagedIdentityPrincipalInput): Promise<ServicePrincipalView>;
  /** Idempotent: deleting a principal that is already gone is not an error. */
  deleteServicePrincipal(tenantId: string, objectId: string): Promise<{ deleted: boolean }>;
  getServicePrincipal(tenantId: string, objectId: string): Promise<ServicePrincipalView | null>;
  /** Replaces the federated identity credentials a managed identity's principal trusts. */
  setFederatedCredentials(tenantId: string, objectId: string, credentials: FederatedCredential[]): Promise<void>;
}
