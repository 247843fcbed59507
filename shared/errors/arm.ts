// Resource Manager's error envelope, and one factory per error code ARM returns.
// SDKs branch on `error.code`; the messages follow Azure's wording where it is known.

export interface ArmErrorBody {
  error: { code: string; message: string; target?: string; details?: ArmErrorBody["error"][] };
}

export class ArmError extends Error {
  readonly status: number;
  readonly code: string;
  /** For 401s: the error_description of the WWW-Authenticate challenge the worker adds. */
  readonly challenge?: string;
  constructor(status: number, code: string, message: string, challenge?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.challenge = challenge;
  }
  body(): ArmErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
  /** A plain object that crosses an RPC boundary intact (Error subclasses do not). */
  toJSON(): SerializedArmError {
    return { status: this.status, code: this.code, message: this.message };
  }
  static from(serialized: SerializedArmError): ArmError {
    return new ArmError(serialized.status, serialized.code, serialized.message);
  }
}

export interface SerializedArmError {
  status: number;
  code: string;
  message: string;
}

const NOT_FOUND_HINT = "For more details please go to https://aka.ms/ARMResourceNotFoundFix";

export const ArmErrors = {
  missingApiVersion: () =>
    new ArmError(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests."),
  invalidApiVersion: (version: string, supported: readonly string[], resourceType: string) =>
    new ArmError(
      400,
      "InvalidApiVersionParameter",
      `The api-version '${version}' is invalid. The supported versions are '${supported.join(",")}'. The supported locations are ''. (resource type '${resourceType}')`,
    ),
  noRegisteredProvider: (version: string, resourceType: string, supported: readonly string[]) =>
    new ArmError(
      400,
      "NoRegisteredProviderFound",
      `No registered resource provider found for location '' and API version '${version}' for type '${resourceType}'. The supported api-versions are '${supported.join(", ")}'.`,
    ),
  subscriptionNotFound: (subscriptionId: string) =>
    new ArmError(404, "SubscriptionNotFound", `The subscription '${subscriptionId}' could not be found.`),
  missingSubscription: () =>
    new ArmError(404, "MissingSubscription", "The request did not have a subscription or a valid tenant level resource provider."),
  deploymentNotFound: (name: string) => new ArmError(404, "DeploymentNotFound", `Deployment '${name}' could not be found.`),
  resourceGroupNotFound: (name: string) =>
    new ArmError(404, "ResourceGroupNotFound", `Resource group '${name}' could not be found.`),
  resourceNotFound: (namespaceType: string, name: string, resourceGroup: string) =>
    new ArmError(
      404,
      "ResourceNotFound",
      `The Resource '${namespaceType}/${name}' under resource group '${resourceGroup}' was not found. ${NOT_FOUND_HINT}`,
    ),
  parentResourceNotFound: (type: string, parentId: string) =>
    new ArmError(
      404,
      "ParentResourceNotFound",
      `Failed to perform 'write' on resource(s) of type '${type}', because the parent resource '${parentId}' could not be found.`,
    ),
  invalidRequestContent: (detail: string) =>
    new ArmError(400, "InvalidRequestContent", `The request content was invalid and could not be deserialized: '${detail}'.`),
  invalidParameter: (message: string, code = "InvalidParameter") => new ArmError(400, code, message),
  invalidResourceName: (message: string) => new ArmError(400, "InvalidResourceName", message),
  resourceGroupNameInvalid: (name: string) =>
    new ArmError(
      400,
      "InvalidResourceGroupName",
      `The resource group name '${name}' is invalid. It must be 1-90 characters of letters, digits, underscores, periods, hyphens and parentheses, and cannot end in a period.`,
    ),
  locationRequired: () =>
    new ArmError(400, "LocationRequired", "The location property is required for this definition."),
  invalidIdentityType: (value: string) =>
    new ArmError(
      400,
      "InvalidIdentityType",
      `The identity type '${value}' is invalid. Allowed values are 'SystemAssigned', 'UserAssigned', 'SystemAssigned, UserAssigned' and 'None'.`,
    ),
  // Request limits and shapes (shared/request-limits.ts). The 413's code is the status's name
  // (no public ARM text exists for it); the 415 is ARM's own wording.
  requestEntityTooLarge: (limit: number) =>
    new ArmError(413, "RequestEntityTooLarge", `The request content size exceeds the maximum size of ${limit / (1024 * 1024)} MB (${limit} bytes).`),
  unsupportedMediaType: (type: string) =>
    new ArmError(415, "UnsupportedMediaType", `The content media type '${type}' is not supported. Only 'application/json' is supported.`),
  /** Json.NET's own text for nesting beyond its MaxDepth, inside ARM's InvalidRequestContent. */
  jsonTooDeep: (maxDepth: number) =>
    new ArmError(400, "InvalidRequestContent", `The request content was invalid and could not be deserialized: 'The reader's MaxDepth of ${maxDepth} has been exceeded.'.`),
  notUtf8: () =>
    new ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized: 'The request body is not valid UTF-8.'."),
  invalidTagNameCharacters: (names: string[]) =>
    new ArmError(400, "InvalidTagNameCharacters", `The tag names '${names.join(",")}' have reserved characters '<,>,%,&,\\,?,/' or control characters.`),
  invalidTagName: (message: string) => new ArmError(400, "InvalidTagName", message),
  invalidTagValueLength: (name: string, limit: number) =>
    new ArmError(400, "InvalidTagValueLength", `The value of tag '${name}' exceeds the maximum length of ${limit} characters.`),
  conflict: (code: string, message: string) => new ArmError(409, code, message),
  methodNotAllowed: (method: string) =>
    new ArmError(405, "MethodNotAllowed", `The requested method '${method}' is not allowed on this resource.`),
  invalidResourceType: (type: string) =>
    new ArmError(
      400,
      "InvalidResourceType",
      `The resource type '${type}' could not be found in the namespace '${type.split("/")[0]}' for api version of this request.`,
    ),
  notImplemented: (what: string) =>
    new ArmError(501, "NotImplemented", `${what} is not implemented by the managed identity emulator.`),
  dependencyFailed: (step: string, detail: string) =>
    new ArmError(
      500,
      "InternalServerError",
      `The operation failed while ${step}: ${detail}. Nothing was left half-done; retry the request.`,
    ),
  authenticationMissing: () => authenticationFailed("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.", "The authentication failed because of missing 'Authorization' header."),
  authenticationMalformed: () =>
    authenticationFailed("AuthenticationFailedInvalidHeader", "Authentication failed. The 'Authorization' header is provided in an invalid format.", "The authentication failed because of an invalid 'Authorization' header."),
  invalidToken: (detail: string) => authenticationFailed("InvalidAuthenticationToken", `The access token is invalid. ${detail}`.trim(), "The access token is invalid."),
  expiredToken: (expiry: Date, now: Date) =>
    authenticationFailed(
      "ExpiredAuthenticationToken",
      `The access token expiry UTC time '${armClock(expiry)}' is earlier than current UTC time '${armClock(now)}'.`,
      "The access token has expired.",
    ),
  wrongAudience: (audience: string) =>
    authenticationFailed(
      "InvalidAuthenticationTokenAudience",
      `The access token has been obtained for wrong audience or resource '${audience}'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.`,
      "The access token has been obtained for wrong audience or resource.",
    ),
  wrongTenant: (issuer: string, expectedIssuer: string, tenantId: string) =>
    authenticationFailed(
      "InvalidAuthenticationTokenTenant",
      `The access token is from the wrong issuer '${issuer}'. It must match the tenant '${expectedIssuer}' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/${tenantId}' to get the token.`,
      "The access token is from the wrong issuer.",
    ),
  authorizationFailed: (clientId: string, objectId: string, action: string, scope: string) =>
    new ArmError(
      403,
      "AuthorizationFailed",
      `The client '${clientId}' with object id '${objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    ),
  linkedAuthorizationFailed: (clientId: string, objectId: string, action: string, scope: string, linkedAction: string, linkedScopes: string[]) =>
    new ArmError(
      403,
      "LinkedAuthorizationFailed",
      `The client '${clientId}' with object id '${objectId}' has permission to perform action '${action}' on scope '${scope}'; however, it does not have permission to perform action '${linkedAction}' on the linked scope(s) '${linkedScopes.join(",")}' or the linked scope(s) are invalid.`,
    ),
};

function authenticationFailed(code: string, message: string, challengeDescription: string): ArmError {
  return new ArmError(401, code, message, challengeDescription);
}

/** ARM's 401 challenge, pointing at the authority of the subscription's tenant. */
export function armChallenge(authority: string, error: ArmError): string {
  return `Bearer authorization_uri="${authority}", error="invalid_token", error_description="${error.challenge ?? error.message}"`;
}

/** ARM prints times in the US invariant format: 11/27/2026 5:06:02 AM. */
function armClock(date: Date): string {
  const h = date.getUTCHours();
  const hour12 = h % 12 === 0 ? 12 : h % 12;
  const two = (n: number) => String(n).padStart(2, "0");
  return `${date.getUTCMonth() + 1}/${date.getUTCDate()}/${date.getUTCFullYear()} ${hour12}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} ${h < 12 ? "AM" : "PM"}`;
}

/** Microsoft.Authorization's own errors. */
export const AuthorizationErrors = {
  invalidRoleAssignmentId: (name: string) =>
    new ArmError(400, "InvalidRoleAssignmentId", `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`),
  roleAssignmentNotFound: (name: string) =>
    new ArmError(404, "RoleAssignmentNotFound", `The role assignment '${name}' is not found.`),
  roleAssignmentExists: (existingName: string) =>
    new ArmError(
      409,
      "RoleAssignmentExists",
      `The role assignment already exists. The ID of the existing role assignment is ${existingName.replace(/-/g, "")}.`,
    ),
  updateNotPermitted: () =>
    new ArmError(400, "RoleAssignmentUpdateNotPermitted", "Tenant ID, application ID, principal ID, and scope are not allowed to be updated."),
  roleDefinitionDoesNotExist: (id: string) =>
    new ArmError(400, "RoleDefinitionDoesNotExist", `The specified role definition with ID '${id}' does not exist.`),
  roleDefinitionNotFound: (id: string) =>
    new ArmError(404, "RoleDefinitionDoesNotExist", `The specified role definition with ID '${id}' does not exist.`),
  invalidPrincipalId: (id: string) =>
    new ArmError(400, "InvalidPrincipalId", `A valid principal ID must be provided for role assignment. The value '${id}' is not valid.`),
  principalNotFound: (id: string, tenantId: string) =>
    new ArmError(
      400,
      "PrincipalNotFound",
      `Principal ${id.replace(/-/g, "")} does not exist in the directory ${tenantId}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype`,
    ),
  roleDefinitionNameExists: (roleName: string) =>
    new ArmError(409, "RoleDefinitionWithSameNameExists", `A custom role with the same name '${roleName}' already exists in this directory. Use a different name.`),
  roleDefinitionHasAssignments: () =>
    new ArmError(409, "RoleDefinitionHasAssignments", "There are existing role assignments referencing role (code: RoleDefinitionHasAssignments)."),
  scopeNotAssignable: (scope: string, roleName: string) =>
    new ArmError(
      403,
      "RoleAssignmentScopeNotAssignableToRoleDefinition",
      `The role '${roleName}' is not available to be assigned at the requested scope '${scope}'.`,
    ),
  invalidRoleDefinition: (message: string) => new ArmError(400, "InvalidRoleDefinition", message),
  unsupportedFilter: (filter: string) =>
    new ArmError(400, "UnsupportedQuery", `The filter '${filter}' is not supported. Supported filters are atScope(), principalId eq '{id}', assignedTo('{id}') and roleName eq '{name}'.`),
};
