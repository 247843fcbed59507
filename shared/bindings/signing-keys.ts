// Key Vault → authority (entrypoint "SigningKeys"): the tenant's public token-signing keys, to
// verify bearer tokens; nothing that reads or changes the directory.
import type { PublicJwk } from "../rpc";

export interface SigningKeysBinding {
  /** The tenant's token-signing keys, public parts only (what the JWKS endpoint publishes). */
  signingKeys(tenantId: string): Promise<PublicJwk[]>;
}
