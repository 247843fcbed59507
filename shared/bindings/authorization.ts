// Key Vault and Storage → Resource Manager (entrypoint "AuthorizationService"): decisions over the
// tenant's role assignments; nothing that changes them.
import type { AuthorizationRpc } from "../rpc";

export type AuthorizationBinding = AuthorizationRpc;
