// Resource Manager → Key Vault (entrypoint "VaultAdminService"): vaults configured and removed
// with their Microsoft.KeyVault/vaults resources, and the control API's clock and reset.
import type { EmulatorControlRpc, VaultAdminRpc } from "../rpc";

export type VaultAdminBinding = VaultAdminRpc & EmulatorControlRpc;
