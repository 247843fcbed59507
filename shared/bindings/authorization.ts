// Key Vault → Resource Manager (entrypoint "AuthorizationService"): data-action decisions over the
// tenant's role assignments; nothing that changes them.
import type { AuthorizationRpc } from "../rpc";

export type AuthorizationBinding = AuthorizationRpc;
