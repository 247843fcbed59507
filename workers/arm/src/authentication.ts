// Who is calling Resource Manager: a bearer token issued by our authority, verified with the
// tenant's published signing keys (shared/access-tokens.ts) and nothing else. Failures are ARM's
// 401s.
import { SigningKeySet, verifyAccessToken, type TokenRejection } from "../../../shared/access-tokens";
import { ArmErrors, type ArmError } from "../../../shared/errors/arm";
import type { ArmEnv } from "./env";
import type { WaitUntil } from "../../../shared/flow";

export interface Caller {
  objectId: string;
  appId: string;
  tenantId: string;
  /** The request's execution context: reports to the console's flow are sent after the answer. */
  keeper?: WaitUntil;
}

const ALLOWED_AUDIENCES = [
  "https://management.azure.com",
  "https://management.azure.com/",
  "https://management.core.windows.net",
  "https://management.core.windows.net/",
];

/** Per isolate; the binding it fetches through is the same for every request. */
let signingKeys: SigningKeySet | null = null;

export async function authenticate(env: ArmEnv, authorization: string | undefined, keeper?: WaitUntil): Promise<Caller> {
  if (!authorization) throw ArmErrors.authenticationMissing();
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) throw ArmErrors.authenticationMalformed();
  signingKeys ??= new SigningKeySet(() => env.AAD.signingKeys(env.TENANT_ID));
  const result = await verifyAccessToken(match[1]!, { keys: signingKeys, tenantId: env.TENANT_ID, audiences: ALLOWED_AUDIENCES });
  if (!result.ok) throw rejectionError(result.rejection, env.TENANT_ID);
  const { objectId, appId, tenantId } = result.caller;
  return { objectId, appId, tenantId, ...(keeper ? { keeper } : {}) };
}

function rejectionError(rejection: TokenRejection, tenantId: string): ArmError {
  switch (rejection.reason) {
    case "malformed":
      return ArmErrors.invalidToken("The token is not a well-formed JWT.");
    case "algorithm":
      return ArmErrors.invalidToken(`The token signing algorithm '${rejection.algorithm}' is not accepted.`);
    case "unknownKey":
      return ArmErrors.invalidToken("The token was not signed by a key of this tenant's authority.");
    case "signature":
      return ArmErrors.invalidToken("The token signature is invalid.");
    case "noExpiry":
      return ArmErrors.invalidToken("The token has no expiry.");
    case "expired":
      return ArmErrors.expiredToken(rejection.expiry, rejection.now);
    case "notYetValid":
      return ArmErrors.invalidToken("The token is not yet valid.");
    case "issuer":
      return ArmErrors.wrongTenant(rejection.issuer, rejection.expectedIssuer, tenantId);
    case "audience":
      return ArmErrors.wrongAudience(rejection.audience);
    case "noObjectId":
      return ArmErrors.invalidToken(
        "The received access token is not valid: at least one of the claims 'puid' or 'altsecid' or 'oid' should be present.",
      );
  }
}
