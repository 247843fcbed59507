// The App Service identity endpoint's errors: its token service (Kestrel) answers
// {"statusCode": n, "message": "…", "correlationId": "<guid>"}; msal-node copies message and
// correlationId into its error. Never 404 or 410: @azure/identity retries those for ~25 s on every
// managed-identity source (reference: appservice-storage-deployments.md §1.4).

export class AppServiceIdentityError extends Error {
  readonly status: number;
  readonly retryAfterSeconds?: number;
  constructor(status: number, message: string, retryAfterSeconds?: number) {
    super(message);
    this.status = status;
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = retryAfterSeconds;
  }

  response(): Response {
    const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
    if (this.retryAfterSeconds !== undefined) headers["retry-after"] = String(this.retryAfterSeconds);
    return new Response(JSON.stringify({ statusCode: this.status, message: this.message, correlationId: crypto.randomUUID() }), {
      status: this.status,
      headers,
    });
  }
}

/** The protocol versions App Service serves: 2019-08-01 (IDENTITY_*) and the legacy 2017-09-01 (MSI_*). */
export const APP_SERVICE_IDENTITY_VERSIONS = ["2019-08-01", "2017-09-01"] as const;

export const AppServiceIdentityErrors = {
  /** Azure's own words for every "no such identity here" (no identity, no match, several user-assigned and none chosen). */
  unableToLoadIdentity: () => new AppServiceIdentityError(400, "Unable to load the proper Managed Identity."),
  apiVersionMissing: () => new AppServiceIdentityError(400, "The api-version query parameter is required (2019-08-01, or 2017-09-01 with the secret header)."),
  apiVersionInvalid: (version: string) =>
    new AppServiceIdentityError(400, `The api-version '${version}' is not supported. Use 2019-08-01 (or 2017-09-01 with the secret header).`),
  resourceMissing: () => new AppServiceIdentityError(400, "The resource query parameter is required."),
  conflictingSelectors: () =>
    new AppServiceIdentityError(400, "Only one of client_id, principal_id (object_id) or mi_res_id may be specified."),
  /** The SSRF guard: the secret App Service injected (IDENTITY_HEADER / MSI_SECRET) must come back. */
  headerMissing: (header: string) => new AppServiceIdentityError(401, `The ${header} header is required.`),
  headerMismatch: (header: string) => new AppServiceIdentityError(401, `The ${header} header does not match this site's identity endpoint secret.`),
  methodNotAllowed: () => new AppServiceIdentityError(405, "The requested HTTP method is not supported. Use GET."),
  /** Azure answers a vague 500 for an unknown resource; a client's mistake is a 400 here (README, Differences). */
  invalidResource: (description: string) => new AppServiceIdentityError(400, description || "The resource is not known to the tenant."),
  upstream: (description: string) => new AppServiceIdentityError(500, `Failed to acquire a token from Azure AD. ${description}`.trim()),
  /** An injected fault (PUT {arm}/emulator/faults/{name} with service imds and the site's id as scope). */
  fault: (status: number, name: string, retryAfterSeconds?: number) =>
    new AppServiceIdentityError(status, `${FAULT_MESSAGES[status] ?? "The identity endpoint failed."} (emulator fault '${name}')`, retryAfterSeconds),
};

const FAULT_MESSAGES: Record<number, string> = {
  429: "Too many requests. Retry after the interval the Retry-After header names.",
  410: "The identity endpoint is being updated.",
  500: "Failed to acquire a token from Azure AD.",
  503: "The identity endpoint is temporarily unavailable.",
};
