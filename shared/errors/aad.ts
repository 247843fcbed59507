// Azure AD's token-endpoint error shape: {error, error_description (AADSTS code first, then the
// trace lines), error_codes, timestamp, trace_id, correlation_id, error_uri}.

export class AadError extends Error {
  readonly status: number;
  readonly error: string;
  readonly aadsts: number;
  constructor(status: number, error: string, aadsts: number, description: string) {
    super(`AADSTS${aadsts}: ${description}`);
    this.status = status;
    this.error = error;
    this.aadsts = aadsts;
  }

  body(correlationId: string = crypto.randomUUID()): Record<string, unknown> {
    const traceId = crypto.randomUUID();
    const timestamp = new Date().toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
    return {
      error: this.error,
      error_description: `${this.message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [this.aadsts],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${this.aadsts}`,
    };
  }
}

export const AadErrors = {
  tenantNotFound: (tenant: string) =>
    new AadError(
      400,
      "invalid_request",
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    ),
  tenantIdentifierInvalid: (tenant: string) =>
    new AadError(
      400,
      "invalid_request",
      900023,
      `Specified tenant identifier '${tenant}' is neither a valid DNS name, nor a valid external domain.`,
    ),
  missingParameter: (name: string) =>
    new AadError(400, "invalid_request", 900144, `The request body must contain the following parameter: '${name}'.`),
  unsupportedGrantType: (grant: string) =>
    new AadError(
      400,
      "unsupported_grant_type",
      70003,
      `The app requested an unsupported grant type '${grant}'. This emulator supports the client_credentials grant.`,
    ),
  resourceNotSupportedOnV2: () =>
    new AadError(400, "invalid_request", 901002, "The 'resource' request parameter isn't supported."),
  invalidScopeV2: (scope: string) =>
    new AadError(
      400,
      "invalid_scope",
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    ),
  multipleResources: () =>
    new AadError(400, "invalid_scope", 700022, "The provided value for the input parameter scope is not valid because it contains more than one resource."),
  resourceNotFound: (resource: string, tenant: string) =>
    new AadError(
      400,
      "invalid_resource",
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    ),
  applicationNotFound: (clientId: string, tenant: string) =>
    new AadError(
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    ),
  invalidClientSecret: (clientId: string) =>
    new AadError(
      401,
      "invalid_client",
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
    ),
  missingCredential: () =>
    new AadError(
      401,
      "invalid_client",
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    ),
  invalidAssertionType: (value: string) =>
    new AadError(
      400,
      "invalid_request",
      50027,
      `The client_assertion_type '${value}' is not supported. Use 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.`,
    ),
  malformedAssertion: (detail: string) =>
    new AadError(400, "invalid_client", 50027, `JWT token is invalid or malformed. ${detail}`.trim()),
  assertionKeyNotFound: (thumbprint: string, clientId: string) =>
    new AadError(
      401,
      "invalid_client",
      700027,
      `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${thumbprint}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${clientId}'.]`,
    ),
  assertionBadSignature: () =>
    new AadError(401, "invalid_client", 700027, "Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value.]"),
  assertionUnsupportedAlgorithm: (alg: string) =>
    new AadError(401, "invalid_client", 700027, `Client assertion failed signature validation. [Reason - Unsupported asymmetric signing algorithm '${alg}'.]`),
  assertionSubjectMismatch: () =>
    new AadError(
      400,
      "invalid_client",
      700021,
      "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials .",
    ),
  assertionAudienceInvalid: (audience: string, expected: string) =>
    new AadError(
      400,
      "invalid_client",
      700212,
      `The audience '${audience}' of the client assertion is not valid. Expected the token endpoint '${expected}'.`,
    ),
  assertionTimeInvalid: (now: number, nbf: number | undefined, exp: number | undefined) =>
    new AadError(
      400,
      "invalid_client",
      700024,
      `Client assertion is not within its valid time range. Current time: ${iso(now)}, assertion valid from ${nbf ? iso(nbf) : "(not set)"}, expiry time of assertion ${exp ? iso(exp) : "(not set)"}. Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials .`,
    ),
  /** AADSTS9002313 is Azure AD's answer to a request it cannot read at all. */
  malformedRequest: (detail: string) =>
    new AadError(400, "invalid_request", 9002313, `Invalid request. Request is malformed or invalid. ${detail}`.trim()),
  /**
   * No public answer exists for an oversized token request; the emulator's: 413 with the code of
   * Azure AD's over-long request (AADSTS90015 is its "query string is too long").
   */
  requestTooLarge: (limit: number) =>
    new AadError(413, "invalid_request", 90015, `The request body is too long: at most ${limit} bytes are accepted.`),
  secretNotAllowedForManagedIdentity: (clientId: string) =>
    new AadError(
      401,
      "invalid_client",
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
    ),
};

function iso(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d+Z$/, "Z");
}

export const FederationErrors = {
  noMatchingIssuer: (issuer: string) =>
    new AadError(
      400,
      "invalid_request",
      700211,
      `No matching federated identity record found for presented assertion issuer '${issuer}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
    ),
  noMatchingRecord: (issuer: string, subject: string, audience: string) =>
    new AadError(
      400,
      "invalid_request",
      70021,
      `No matching federated identity record found for presented assertion. Assertion Issuer: '${issuer}'. Assertion Subject: '${subject}'. Assertion Audience: '${audience}'. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
    ),
  issuerUnreachable: (issuer: string, detail: string) =>
    new AadError(400, "invalid_request", 50166, `Request to External OIDC endpoint failed. Issuer: '${issuer}'. ${detail}`),
  badSignature: (issuer: string) =>
    new AadError(
      400,
      "invalid_client",
      700027,
      `Client assertion failed signature validation. [Reason - The key was not found or the signature did not verify against the keys of issuer '${issuer}'.]`,
    ),
};
