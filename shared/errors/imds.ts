// IMDS answers errors as flat JSON {error, error_description}; @azure/identity JSON.parses every
// body on this path, so even a 404 must be JSON.

export class ImdsError extends Error {
  readonly status: number;
  readonly error: string;
  readonly extra: Record<string, unknown>;
  constructor(status: number, error: string, description: string, extra: Record<string, unknown> = {}) {
    super(description);
    this.status = status;
    this.error = error;
    this.extra = extra;
  }
  body(): Record<string, unknown> {
    return { error: this.error, error_description: this.message, ...this.extra };
  }
}

export const IMDS_NEWEST_VERSIONS = ["2025-04-07", "2024-07-17", "2024-03-15"];

export const ImdsErrors = {
  metadataHeaderMissing: () => new ImdsError(400, "invalid_request", "Required metadata header not specified"),
  forwardedRequest: () =>
    new ImdsError(400, "invalid_request", "Request contains X-Forwarded-For header. Requests through a proxy are not supported"),
  duplicateQuery: (name: string) =>
    new ImdsError(400, "invalid_request", `Duplicate query parameter '${name}' is not allowed`),
  resourceMissing: () => new ImdsError(400, "invalid_request", "Required query variable 'resource' is missing"),
  apiVersionMissing: () => new ImdsError(400, "invalid_request", "Required query variable 'api-version' is missing"),
  apiVersionInvalid: (version: string) =>
    new ImdsError(400, "invalid_request", `Invalid api-version '${version}'. Use 2018-02-01 or greater for the identity endpoint`),
  identityNotFound: () => new ImdsError(400, "invalid_request", "Identity not found"),
  multipleUserAssigned: () =>
    new ImdsError(
      400,
      "invalid_request",
      "Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request",
    ),
  conflictingSelectors: () =>
    new ImdsError(400, "invalid_request", "Only one of client_id, object_id or msi_res_id may be specified"),
  methodNotAllowed: () => new ImdsError(405, "method_not_allowed", "The requested HTTP method is not supported. Use GET"),
  notFound: () => new ImdsError(404, "not_found", "The requested path was not found"),
  invalidResource: (description: string) => new ImdsError(400, "invalid_resource", description),
  upstream: (description: string) =>
    new ImdsError(500, "unknown", `Failed to retrieve token from the Active directory. ${description}`.trim()),
};
