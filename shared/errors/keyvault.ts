import type { Refusal } from "../outcome";
// Key Vault's errors: the data plane's envelope {"error":{"code","message","innererror"?}} with
// one factory per answer the service gives, and the Microsoft.KeyVault resource provider's
// errors, which travel in Resource Manager's envelope. Wording follows Azure where it is known
// (recordings of the SDKs' tests, public issue reports); where no public text exists the
// message is the emulator's and says so in a comment.
import { ArmError, ArmErrors } from "./arm";

export interface KeyVaultErrorBody {
  error: { code: string; message: string; innererror?: { code: string } };
}

export interface SerializedKeyVaultError {
  status: number;
  code: string;
  message: string;
  innerCode?: string;
}

export class KeyVaultError extends Error {
  readonly status: number;
  readonly code: string;
  readonly innerCode?: string;
  constructor(status: number, code: string, message: string, innerCode?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.innerCode = innerCode;
  }
  body(): KeyVaultErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.innerCode ? { innererror: { code: this.innerCode } } : {}) } };
  }
  /** A plain object that crosses an RPC boundary intact (Error subclasses do not). */
  toJSON(): SerializedKeyVaultError {
    return { status: this.status, code: this.code, message: this.message, ...(this.innerCode ? { innerCode: this.innerCode } : {}) };
  }
  static from(serialized: SerializedKeyVaultError): KeyVaultError {
    return new KeyVaultError(serialized.status, serialized.code, serialized.message, serialized.innerCode);
  }
  /** Key Vault's edge: a refusal of the vault's object (shared/outcome.ts) as Key Vault's error. */
  static fromRefusal(refusal: Refusal): KeyVaultError {
    return new KeyVaultError(refusal.status ?? 500, refusal.code, refusal.message ?? refusal.code, refusal.detail);
  }
}

const NOT_FOUND_HINT =
  "If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182";

export interface ForbiddenContext {
  appId: string;
  objectId: string;
  tenantId: string;
  action: string;
  /** The resource id the action was checked at (printed lower-case, as Key Vault does). */
  resource: string;
  vault: string;
  location: string;
}

function unauthorized(message: string): KeyVaultError {
  return new KeyVaultError(401, "Unauthorized", message);
}

export const KeyVaultErrors = {
  // 401s. Each goes out with the Bearer challenge (the worker adds it).
  missingToken: () => unauthorized("AKV10000: Request is missing a Bearer or PoP token."),
  wrongAudience: (audience: string) => unauthorized(`AKV10022: Invalid audience. Expected https://vault.azure.net, found: ${audience}.`),
  wrongIssuer: (expectedIssuer: string, issuer: string) =>
    unauthorized(`AKV10032: Invalid issuer. Expected one of ${expectedIssuer}, found ${issuer}.`),
  unknownSigningKey: (encodedHeader: string) =>
    unauthorized(`AKV10046: Unable to resolve the key used for signature validation. EncodedJwtHeader: '${encodedHeader}'.`),
  expiredToken: () => unauthorized("[TokenExpired] Error validating token: 'S2S12086'."),
  /** No public wording for these rejections: the emulator's own, in the same bracketed form. */
  invalidToken: (detail: string) => unauthorized(`[InvalidToken] Error validating token: ${detail}`),

  forbiddenByRbac: (c: ForbiddenContext) =>
    new KeyVaultError(
      403,
      "Forbidden",
      [
        "Caller is not authorized to perform action on resource.",
        "If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.",
        `Caller: appid=${c.appId};oid=${c.objectId};iss=https://sts.windows.net/${c.tenantId}/`,
        `Action: '${c.action}'`,
        `Resource: '${c.resource.toLowerCase()}'`,
        "Assignment: (not found)",
        "DenyAssignmentId: null",
        "DecisionReason: 'DeniedWithNoValidRBAC' ",
        `Vault: ${c.vault};location=${c.location}`,
        "",
      ].join("\r\n"),
      "ForbiddenByRbac",
    ),
  secretDisabled: (operation: string) =>
    new KeyVaultError(403, "Forbidden", `Operation ${operation} is not allowed on a disabled secret.`, "SecretDisabled"),
  purgeProtected: () =>
    new KeyVaultError(
      403,
      "Forbidden",
      'Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.',
      "PurgeProtectionEnabled",
    ),

  secretNotFound: (name: string, version?: string) =>
    new KeyVaultError(
      404,
      "SecretNotFound",
      `A secret with (name/id) ${version ? `${name}/${version}` : name} was not found in this key vault. ${NOT_FOUND_HINT}`,
    ),
  deletedSecretNotFound: (name: string) => new KeyVaultError(404, "SecretNotFound", `Deleted Secret not found: ${name}`),
  secretDeletedButRecoverable: (name: string) =>
    new KeyVaultError(
      409,
      "Conflict",
      `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
      "ObjectIsDeletedButRecoverable",
    ),

  badParameter: (message: string) => new KeyVaultError(400, "BadParameter", message),
  invalidName: (name: string) => new KeyVaultError(400, "BadParameter", `The request URI contains an invalid name: ${name}`),
  missingApiVersion: () => new KeyVaultError(400, "BadParameter", "The api-version query parameter is missing."),
  unsupportedApiVersion: (version: string, latest: string) =>
    new KeyVaultError(
      400,
      "BadParameter",
      `The specified version (${version}) is not recognized. Consider using the latest supported version (${latest}).`,
    ),
  /** Azure's DNS would not resolve the host; there is no service answer to copy. */
  vaultNotFound: (name: string) =>
    new KeyVaultError(
      404,
      "VaultNotFound",
      `The vault '${name}' does not exist. Create it with Resource Manager (Microsoft.KeyVault/vaults) and address it at its properties.vaultUri.`,
    ),
  notFound: (path: string) => new KeyVaultError(404, "NotFound", `The requested path '${path}' is not served by the Key Vault data plane.`),
  methodNotAllowed: (method: string) =>
    new KeyVaultError(405, "MethodNotAllowed", `The requested method '${method}' is not allowed on this resource.`),
  /** No public Key Vault text exists for an oversized body: the code is the status's name, the wording the emulator's. */
  requestTooLarge: (limit: number) =>
    new KeyVaultError(413, "RequestEntityTooLarge", `The request body is too large: at most ${limit} bytes are accepted.`),
  internal: () => new KeyVaultError(500, "InternalServerError", "An unexpected error occurred while processing the request."),
};

/** Key Vault's challenge: the vault tenant's authority and the one resource its tokens are for. */
export function keyVaultChallenge(authority: string, resource = "https://vault.azure.net"): string {
  return `Bearer authorization="${authority}", resource="${resource}"`;
}

/** The Microsoft.KeyVault resource provider's refusals, in Resource Manager's envelope. */
export const VaultResourceErrors = {
  invalidVaultName: (name: string) =>
    ArmErrors.invalidParameter(
      `The vault name '${name}' is invalid. A vault's name must be between 3-24 alphanumeric characters. The name must begin with a letter, end with a letter or digit, and not contain consecutive hyphens. Follow this link for more information: https://go.microsoft.com/fwlink/?linkid=2147742`,
      "VaultNameNotValid",
    ),
  vaultAlreadyExists: (name: string) =>
    new ArmError(
      409,
      "VaultAlreadyExists",
      `The vault name '${name}' is already in use. Vault names are globally unique so it is possible that the name is already taken. If you are sure that the vault name was not taken then it is possible that a vault with the same name was recently deleted but not purged after being placed in a recoverable state. If the vault is in a recoverable state then the vault will need to be purged before reusing the name. For more information on soft delete and purging a vault follow this link https://go.microsoft.com/fwlink/?linkid=2147740.`,
    ),
  badRequest: (message: string) => new ArmError(400, "BadRequest", message),
  tenantRequired: () => new ArmError(400, "BadRequest", "The parameter 'properties.tenantId' is required."),
  foreignTenant: (tenantId: string, ourTenant: string) =>
    new ArmError(
      400,
      "BadRequest",
      `The tenant '${tenantId}' is not the tenant of this subscription. This emulator has one tenant, '${ourTenant}'; use it as properties.tenantId.`,
    ),
  skuRequired: () => new ArmError(400, "BadRequest", "The parameter 'properties.sku' is required: {\"family\":\"A\",\"name\":\"standard\"|\"premium\"}."),
  invalidSku: (detail: string) => new ArmError(400, "BadRequest", `The key vault sku is invalid: ${detail}.`),
  invalidRetention: (value: unknown) =>
    new ArmError(
      400,
      "BadRequest",
      `The parameter softDeleteRetentionInDays has an invalid value '${String(value)}'. The value must be an integer between 7 and 90.`,
    ),
  softDeleteIrreversible: () =>
    new ArmError(
      400,
      "BadRequest",
      'The property "enableSoftDelete" has been set to true for this vault. It cannot be set to false.',
    ),
  purgeProtectionIrreversible: () =>
    new ArmError(
      400,
      "BadRequest",
      'The property "enablePurgeProtection" cannot be set to false. Enabling the purge protection for a vault is an irreversible action.',
    ),
  retentionImmutable: (current: number) =>
    new ArmError(
      400,
      "BadRequest",
      `The property "softDeleteRetentionInDays" cannot be changed once the vault is created (it is ${current}).`,
    ),
  accessPoliciesNotEmulated: () =>
    new ArmError(
      501,
      "NotImplemented",
      "Key Vault access policies are not emulated by the managed identity emulator: set properties.enableRbacAuthorization to true and leave accessPolicies empty, then grant data access with role assignments (e.g. Key Vault Secrets User).",
    ),
  locationChange: (name: string, resourceGroup: string, existing: string, requested: string) =>
    new ArmError(
      409,
      "InvalidResourceLocation",
      `The resource '${name}' already exists in location '${existing}' in resource group '${resourceGroup}'. A resource with the same name cannot be created in location '${requested}'. Please select a new resource name.`,
    ),
};

/** The prefix of the RPC error the data plane throws when a vault name belongs to another vault. */

