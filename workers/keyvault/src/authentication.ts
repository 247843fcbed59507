// Who is calling the vault: a bearer token of our authority for https://vault.azure.net, issued in
// the vault's tenant, verified with the tenant's published keys only (shared/access-tokens.ts, the
// same checks Resource Manager makes). Failures are Key Vault's 401s; the worker adds the challenge.
import { SigningKeySet, verifyAccessToken, type TokenRejection } from "../../../shared/access-tokens";
import { KeyVaultErrors, type KeyVaultError } from "../../../shared/errors/keyvault";
import { keyVaultResource } from "../../../shared/vault-uri";
import type { KeyVaultEnv } from "./env";

export interface VaultCaller {
  objectId: string;
  appId: string;
  tenantId: string;
}

/**
 * Key Vault's resource, as clients request it (…/.default) and as it lands in `aud`: Azure's, and
 * this cloud's own (https://{keyVaultDns}, what a host-named vault's challenge names).
 */
function audiences(env: KeyVaultEnv): string[] {
  const own = env.VAULT_DNS_SUFFIX ? [keyVaultResource(env.VAULT_DNS_SUFFIX, env.VAULT_URL)] : [];
  return ["https://vault.azure.net", ...own].flatMap((resource) => [resource, `${resource}/`]);
}

/** Per isolate; the binding it fetches through is the same for every request. */
let signingKeys: SigningKeySet | null = null;

export async function authenticate(env: KeyVaultEnv, authorization: string | undefined, vaultTenantId: string): Promise<VaultCaller> {
  // Key Vault also takes PoP tokens; the authority issues none, so anything but Bearer is "missing".
  const match = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  if (!match) throw KeyVaultErrors.missingToken();
  signingKeys ??= new SigningKeySet(() => env.AAD.signingKeys(env.TENANT_ID));
  const result = await verifyAccessToken(match[1]!, { keys: signingKeys, tenantId: vaultTenantId, audiences: audiences(env) });
  if (!result.ok) throw rejectionError(result.rejection);
  const { objectId, appId, tenantId } = result.caller;
  return { objectId, appId, tenantId };
}

function rejectionError(rejection: TokenRejection): KeyVaultError {
  switch (rejection.reason) {
    case "malformed":
      return KeyVaultErrors.invalidToken("the token is not a well-formed JWT.");
    case "algorithm":
      return KeyVaultErrors.invalidToken(`the signing algorithm '${rejection.algorithm}' is not accepted.`);
    case "unknownKey":
      return KeyVaultErrors.unknownSigningKey(rejection.encodedHeader);
    case "signature":
      return KeyVaultErrors.invalidToken("the signature is invalid.");
    case "noExpiry":
      return KeyVaultErrors.invalidToken("the token has no expiry.");
    case "expired":
      return KeyVaultErrors.expiredToken();
    case "notYetValid":
      return KeyVaultErrors.invalidToken("the token is not yet valid.");
    case "issuer":
      return KeyVaultErrors.wrongIssuer(rejection.expectedIssuer, rejection.issuer);
    case "audience":
      return KeyVaultErrors.wrongAudience(rejection.audience);
    case "noObjectId":
      return KeyVaultErrors.invalidToken("the token names no caller (oid).");
  }
}
