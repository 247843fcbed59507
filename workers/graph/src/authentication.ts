// Who is calling Graph: a bearer token our authority issued for Microsoft Graph (or for this
// worker's own public URL), verified with the tenant's published signing keys
// (shared/access-tokens.ts) and nothing else. Failures are Graph's 401 InvalidAuthenticationToken.
import { SigningKeySet, verifyAccessToken, type TokenRejection } from "../../../shared/access-tokens";
import { GRAPH_APP_ID, GraphErrors, type GraphError } from "../../../shared/errors/graph";
import type { GraphEnv } from "./env";

export interface Caller {
  objectId: string;
  appId: string;
  tenantId: string;
}

/** What a client may name as Graph's resource: its URI (the SDKs' scope drops the slash) or its app id. */
const GRAPH_AUDIENCES = ["https://graph.microsoft.com", "https://graph.microsoft.com/", GRAPH_APP_ID];

/**
 * Graph's audiences plus this worker's own URL, with and without the slash: a client configured
 * with the emulator's Graph as its Graph resource (az's microsoftGraphResourceId) asks the
 * authority for exactly that, and the token's aud is the resource as sent.
 */
function allowedAudiences(env: GraphEnv): string[] {
  if (!env.GRAPH_URL) return GRAPH_AUDIENCES;
  const own = env.GRAPH_URL.replace(/\/+$/, "");
  return [...GRAPH_AUDIENCES, own, `${own}/`];
}

/** Per isolate; the binding it fetches through is the same for every request. */
let signingKeys: SigningKeySet | null = null;

export async function authenticate(env: GraphEnv, authorization: string | undefined): Promise<Caller> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (!match) throw GraphErrors.tokenMissing();
  signingKeys ??= new SigningKeySet(() => env.AAD.signingKeys(env.TENANT_ID));
  const result = await verifyAccessToken(match[1]!, { keys: signingKeys, tenantId: env.TENANT_ID, audiences: allowedAudiences(env) });
  if (!result.ok) throw rejectionError(result.rejection);
  const { objectId, appId, tenantId } = result.caller;
  return { objectId: objectId.toLowerCase(), appId, tenantId };
}

function rejectionError(rejection: TokenRejection): GraphError {
  switch (rejection.reason) {
    case "malformed":
      return GraphErrors.tokenMalformed();
    case "algorithm":
    case "unknownKey":
    case "signature":
    case "noExpiry":
    case "noObjectId":
      return GraphErrors.tokenInvalid();
    case "expired":
      return GraphErrors.tokenExpired();
    case "notYetValid":
      return GraphErrors.tokenNotYetValid();
    case "issuer":
      return GraphErrors.wrongIssuer();
    case "audience":
      return GraphErrors.wrongAudience();
  }
}
