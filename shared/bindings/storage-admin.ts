// Resource Manager → Blob data plane (entrypoint "StorageAdminService"): storage accounts
// configured and removed with their Microsoft.Storage/storageAccounts resources, the containers
// ARM manages under blobServices/default, and the control API's clock and reset.
import type { EmulatorControlRpc, StorageAdminRpc } from "../rpc";

export type StorageAdminBinding = StorageAdminRpc & EmulatorControlRpc;
