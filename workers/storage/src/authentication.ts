// Who is calling: one of
//   Bearer     a token of our authority (shared/access-tokens.ts: our keys only), for Storage
//              (https://storage.azure.com[/], its app id, or the account's own URLs), issued in
//              the account's tenant; authorized per operation through Resource Manager (RBAC);
//   SharedKey  HMAC with key1 or key2 (shared-key.ts): the account owner, no RBAC; refused
//              before the MAC is checked when the account disallows Shared Key;
//   anonymous  no Authorization header: only reads of public containers (publicAccess Blob or
//              Container), everything else 401 NoAuthenticationInformation with the challenge.
// Shared access signatures (sig= in the query) are refused: not emulated.
import { SigningKeySet, verifyAccessToken, type TokenRejection } from "../../../shared/access-tokens";
import { StorageErrors, type StorageError } from "../../../shared/errors/storage";
import type { StorageAccountConfiguration } from "../../../shared/rpc";
import type { StorageEnv } from "./env";
import { parseSharedKey, verifySharedKey } from "./shared-key";

export type StorageCaller =
  | { kind: "bearer"; objectId: string; appId: string; tenantId: string }
  | { kind: "sharedKey" }
  | { kind: "anonymous" };

/** Azure Storage's resource and app id, as tokens carry them in `aud`. */
export const STORAGE_RESOURCE = "https://storage.azure.com";
export const STORAGE_APP_ID = "e406a681-f3d4-42a8-90b6-c2b029497af1";
/** The oldest x-ms-version that takes Bearer tokens. */
export const BEARER_MIN_VERSION = "2017-11-09";

/** This cloud's blob DNS for an account, with the data plane's port unless default: "{a}.blob.localhost:8448". */
export function hostStyleAccountHost(account: string, env: Pick<StorageEnv, "STORAGE_DNS_SUFFIX" | "STORAGE_URL">): string | null {
  if (!env.STORAGE_DNS_SUFFIX) return null;
  const suffix = env.STORAGE_DNS_SUFFIX.replace(/^\.+|\/+$/g, "").toLowerCase();
  const port = env.STORAGE_URL ? new URL(env.STORAGE_URL).port : "";
  return `${account}.blob.${suffix}${port ? `:${port}` : ""}`;
}

export function audiences(env: StorageEnv, account: string, requestOrigin: string): string[] {
  const base = (env.STORAGE_URL ?? requestOrigin).replace(/\/+$/, "");
  const host = hostStyleAccountHost(account, env);
  const resources = [STORAGE_RESOURCE, `${base}/${account}`, ...(host ? [`https://${host}`] : []), `https://${account}.blob.core.windows.net`];
  return [...resources.flatMap((r) => [r, `${r}/`]), STORAGE_APP_ID];
}

/** Per isolate; the binding it fetches through is the same for every request. */
let signingKeys: SigningKeySet | null = null;

export interface AuthenticationInput {
  env: StorageEnv;
  account: StorageAccountConfiguration;
  request: Request;
  url: URL;
  /** x-ms-version as sent (null: none). */
  version: string | null;
}

export async function authenticate(input: AuthenticationInput): Promise<StorageCaller> {
  const { env, account, request, url } = input;
  if (url.searchParams.has("sig")) throw StorageErrors.sasNotEmulated();
  const authorization = request.headers.get("authorization");
  if (authorization === null || authorization.trim() === "") return { kind: "anonymous" };

  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (bearer) {
    if (input.version === null) throw StorageErrors.missingRequiredHeader("x-ms-version");
    if (input.version < BEARER_MIN_VERSION) throw StorageErrors.bearerNotSupportedInVersion();
    signingKeys ??= new SigningKeySet(() => env.AAD.signingKeys(env.TENANT_ID));
    const result = await verifyAccessToken(bearer[1]!, {
      keys: signingKeys,
      tenantId: account.tenantId,
      audiences: audiences(env, account.name.toLowerCase(), url.origin),
    });
    if (!result.ok) throw rejectionError(result.rejection);
    const { objectId, appId, tenantId } = result.caller;
    return { kind: "bearer", objectId, appId, tenantId };
  }

  if (/^SharedKey\s/i.test(authorization)) {
    const parsed = parseSharedKey(authorization);
    if (!parsed) throw StorageErrors.malformedAuthorization();
    if (!account.allowSharedKeyAccess) throw StorageErrors.keyBasedAuthenticationNotPermitted();
    if (!request.headers.get("x-ms-date") && !request.headers.get("date")) {
      throw StorageErrors.authenticationFailed("Request date header not specified.");
    }
    await verifySharedKey(account.name.toLowerCase(), parsed.account, parsed.signature, [account.keys.key1, account.keys.key2], {
      method: request.method,
      header: (name) => request.headers.get(name),
      headers: request.headers,
      path: url.pathname,
      search: url.search,
    });
    return { kind: "sharedKey" };
  }

  if (/^SharedKeyLite\s/i.test(authorization)) {
    throw StorageErrors.authenticationFailed("SharedKeyLite is not supported by the emulator; use SharedKey or Azure AD (Bearer).");
  }
  throw StorageErrors.malformedAuthorization();
}

/** Azure's AuthenticationErrorDetail wordings for rejected tokens (Azure AD's validation messages). */
function rejectionError(rejection: TokenRejection): StorageError {
  switch (rejection.reason) {
    case "malformed":
      return StorageErrors.invalidToken("Signature validation failed. The token is not a well-formed JWT.");
    case "algorithm":
    case "unknownKey":
    case "signature":
      return StorageErrors.invalidToken("Signature validation failed. Signature verification failed.");
    case "noExpiry":
      return StorageErrors.invalidToken("Lifetime validation failed. The token is missing an Expiration Time.");
    case "expired":
      return StorageErrors.invalidToken("Lifetime validation failed. The token is expired.");
    case "notYetValid":
      return StorageErrors.invalidToken("Lifetime validation failed. The token is not yet valid.");
    case "issuer":
      return StorageErrors.invalidToken("Issuer validation failed. Issuer did not match.");
    case "audience":
      return StorageErrors.invalidToken("Audience validation failed. Audience did not match.");
    case "noObjectId":
      return StorageErrors.invalidToken("The token names no caller (oid).");
  }
}

/** The Bearer challenge of every 401: unquoted values (the JS SDK's parser takes nothing else). */
export function storageChallenge(loginUrl: string | undefined, tenantId: string): string {
  const authority = (loginUrl ?? "https://login.microsoftonline.com").replace(/\/+$/, "");
  return `Bearer authorization_uri=${authority}/${tenantId}/oauth2/authorize resource_id=${STORAGE_RESOURCE}`;
}
