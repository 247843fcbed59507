// Microsoft Graph's error envelope, {"error":{"code","message","innerError":{"date","request-id",
// "client-request-id"}}}, and one factory per answer the Graph worker gives. Clients branch on
// `error.code`; messages follow Graph's wording where it is public, and say so in a comment where
// the text is the emulator's own.

export interface GraphErrorBody {
  error: {
    code: string;
    message: string;
    innerError: { date: string; "request-id": string; "client-request-id": string };
  };
}

/** Microsoft Graph's own application id: the audience of its tokens and the client_id of its challenge. */
export const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

export class GraphError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }

  body(requestId: string, clientRequestId: string, now = new Date()): GraphErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        // Graph prints the date without fraction or zone designator.
        innerError: { date: now.toISOString().replace(/\.\d+Z$/, ""), "request-id": requestId, "client-request-id": clientRequestId },
      },
    };
  }
}

function invalidToken(message: string): GraphError {
  return new GraphError(401, "InvalidAuthenticationToken", message);
}

const badRequest = (message: string) => new GraphError(400, "Request_BadRequest", message);

export const GraphErrors = {
  // 401s: each goes out with the Bearer challenge (the worker adds it).
  tokenMissing: () => invalidToken("Access token is empty."),
  tokenMalformed: () => invalidToken("CompactToken parsing failed with error code: 80049217"),
  tokenInvalid: () => invalidToken("Access token validation failure."),
  tokenExpired: () => invalidToken("Lifetime validation failed, the token is expired."),
  /** The emulator's wording, in the form of the expired one. */
  tokenNotYetValid: () => invalidToken("Lifetime validation failed, the token is not yet valid."),
  wrongAudience: () => invalidToken("Access token validation failure. Invalid audience."),
  wrongIssuer: () => invalidToken("Access token validation failure. Invalid issuer."),

  accessDenied: () => new GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."),

  resourceNotFound: (id: string) =>
    new GraphError(404, "Request_ResourceNotFound", `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`),
  invalidObjectId: (id: string) => badRequest(`Invalid object identifier '${id}'.`),
  /** The emulator's wording: a parameter of an action (getByIds' `ids`) that is missing. */
  parameterRequired: (parameter: string, action: string) => badRequest(`A value is required for parameter '${parameter}' of action '${action}'.`),
  /** The emulator's wording: a parameter of an action of the wrong JSON type. */
  invalidParameterValue: (parameter: string, action: string) => badRequest(`Invalid value specified for parameter '${parameter}' of action '${action}'.`),
  /** The emulator's wording; the limit is Graph's documented one. */
  tooManyIds: (max: number) => badRequest(`Too many object identifiers: getByIds takes at most ${max}.`),
  /** The emulator's wording: a `types` entry that names no directory object type. */
  unknownDirectoryObjectType: (type: string) => badRequest(`Invalid type '${type}' specified: it is not a directory object type.`),

  unsupportedFilterProperty: (property: string, resource: string) =>
    new GraphError(
      400,
      "Request_UnsupportedQuery",
      `Unsupported or invalid query filter clause specified for property '${property}' of resource '${resource}'.`,
    ),
  /** The emulator's wording: Graph answers a clause it cannot parse with a parser message. */
  unsupportedFilter: (filter: string, supported: string) =>
    new GraphError(
      400,
      "Request_UnsupportedQuery",
      `Unsupported query filter '${filter}'. The managed identity emulator supports ${supported}.`,
    ),
  /** The emulator's wording: Graph evaluates these options; the emulator refuses them rather than ignore them. */
  unsupportedQueryOption: (option: string, supported: string) =>
    new GraphError(400, "Request_UnsupportedQuery", `The query option '${option}' is not supported by the managed identity emulator. It supports ${supported}.`),
  invalidPageSize: (value: string) => badRequest(`Invalid page size specified: '${value}'. Must be between 1 and 999 inclusive.`),
  invalidSkipToken: () => badRequest("The $skiptoken is invalid or has expired."),

  invalidJson: () =>
    new GraphError(400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."),
  /** OData's reader text for nesting beyond its limit (the emulator's limit: shared/request-limits.ts). */
  jsonTooDeep: (maxDepth: number) =>
    badRequest(`The maximum recursion depth limit was reached. The depth of nested values in a single property cannot exceed ${maxDepth}.`),
  /** Graph documents 413 for a request over its size limit; the code and wording are the emulator's. */
  requestTooLarge: (limit: number) =>
    new GraphError(413, "RequestEntityTooLarge", `The request size exceeds the maximum limit of ${limit / (1024 * 1024)} MB (${limit} bytes).`),
  propertyRequired: (property: string, resource: string) =>
    badRequest(`A value is required for property '${property}' of resource '${resource}'.`),
  invalidPropertyValue: (message: string) => badRequest(message),
  /** OData's text for a property the type does not have. */
  propertyNotOnType: (property: string, type: string) =>
    new GraphError(
      400,
      "BadRequest",
      `The property '${property}' does not exist on type '${type}'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
    ),
  /** The emulator's wording. */
  propertyReadOnly: (property: string, resource: string) =>
    badRequest(`Property '${property}' of resource '${resource}' is read-only and cannot be changed.`),
  /** The emulator's wording: Graph changes these through their own requests, not through PATCH of the owner. */
  propertyNotUpdatable: (property: string, resource: string, instead: string) =>
    badRequest(`Property '${property}' of resource '${resource}' cannot be changed with PATCH; use ${instead}.`),

  noBackingApplication: (appId: string) =>
    badRequest(`The appId '${appId}' of the service principal does not reference a valid application object.`),
  principalExists: (appId: string) =>
    new GraphError(
      409,
      "Request_MultipleObjectsWithSameKeyValue",
      `The service principal cannot be created, updated, or restored because the service principal name ${appId} is already in use.`,
    ),
  /**
   * Azure does not publish the answer to changing a managed identity's principal through Graph;
   * the wording is the emulator's, naming the rule from the documentation.
   */
  managedIdentityLocked: (id: string) =>
    badRequest(
      `The service principal '${id}' is a managed identity. Managed identities are locked to only be used with Azure resources: only Azure Resource Manager can change or delete it, through the Azure resource it belongs to.`,
    ),
  /** The emulator's wording. */
  passwordNotFound: (keyId: string) => badRequest(`No password credential with keyId '${keyId}' exists on this object.`),

  segmentNotFound: (segment: string) => new GraphError(400, "BadRequest", `Resource not found for the segment '${segment}'.`),
  methodNotAllowed: () => new GraphError(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target."),
  notImplemented: (what: string) => new GraphError(501, "NotImplemented", `${what} is not implemented by the managed identity emulator.`),
  internal: () => new GraphError(500, "generalException", "An internal error occurred. Please retry the request."),
};

/** Graph's 401 challenge: where to get a token, and for which resource. */
export function graphChallenge(loginBase: string): string {
  return `Bearer realm="", authorization_uri="${loginBase}/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"`;
}
