// Authorization of data-plane operations (vaults in RBAC mode): each operation is one data action,
// checked by Resource Manager over the caller's role assignments at the secret's scope
// ({vault id}/secrets/{name}) or, for lists, the vault's. Control-plane roles (Owner,
// Contributor) hold no data actions, so they read nothing here, as in Azure.
import { KeyVaultErrors } from "../../../shared/errors/keyvault";
import type { VaultConfiguration } from "../../../shared/rpc";
import type { VaultCaller } from "./authentication";
import type { KeyVaultEnv } from "./env";

const SECRETS = "Microsoft.KeyVault/vaults/secrets";

export const DataActions = {
  getSecret: `${SECRETS}/getSecret/action`,
  readMetadata: `${SECRETS}/readMetadata/action`,
  setSecret: `${SECRETS}/setSecret/action`,
  update: `${SECRETS}/update/action`,
  delete: `${SECRETS}/delete`,
  recover: `${SECRETS}/recover/action`,
  purge: `${SECRETS}/purge/action`,
} as const;

export function secretScope(vault: VaultConfiguration, name: string): string {
  return `${vault.resourceId}/secrets/${name}`;
}

/** Throws Key Vault's 403 ForbiddenByRbac unless Resource Manager grants `action` at `scope`. */
export async function authorizeDataAction(
  env: KeyVaultEnv,
  caller: VaultCaller,
  vault: VaultConfiguration,
  action: string,
  scope: string,
): Promise<void> {
  const { allowed } = await env.ARM.checkDataAction(caller.objectId, action, scope);
  if (allowed) return;
  throw KeyVaultErrors.forbiddenByRbac({
    appId: caller.appId,
    objectId: caller.objectId,
    tenantId: caller.tenantId,
    action,
    resource: scope,
    vault: vault.name,
    location: vault.location,
  });
}
