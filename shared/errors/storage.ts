// Azure Storage's errors (the Blob data plane): an XML body
//   <?xml version="1.0" encoding="utf-8"?><Error><Code>…</Code><Message>…\nRequestId:…\nTime:…</Message>[extra]</Error>
// and, always, the same code in the `x-ms-error-code` header: the SDKs read the code from the
// header only (createIfNotExists/deleteIfExists/exists branch on it). HEAD answers carry no body.
// Codes, statuses and messages are Azure's (Blob service and common REST error-code pages);
// where the emulator refuses something Azure would do, the message says so plainly.
import type { Refusal } from "../outcome";

export class StorageError extends Error {
  readonly status: number;
  readonly code: string;
  /** Extra elements after <Message> (e.g. AuthenticationErrorDetail, HeaderName, QueryParameterName). */
  readonly details: Record<string, string>;
  /** Extra response headers (the 401 challenge is added by the worker). */
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, details: Record<string, string> = {}, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.headers = headers;
  }

  /** Storage's edge: a refusal of an account object (shared/outcome.ts) as Storage's error. */
  static fromRefusal(refusal: Refusal): StorageError {
    return new StorageError(refusal.status ?? 500, refusal.code, refusal.message ?? refusal.code);
  }

  /** The refusal form of this error, to leave a Durable Object. */
  toRefusal(): Refusal {
    return { code: this.code, status: this.status, message: this.message };
  }
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/** The XML body of an error, as the service writes it (RequestId and Time inside the message). */
export function storageErrorBody(error: StorageError, requestId: string, time: Date): string {
  const extra = Object.entries(error.details)
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join("");
  return (
    `<?xml version="1.0" encoding="utf-8"?><Error><Code>${escapeXml(error.code)}</Code>` +
    `<Message>${escapeXml(error.message)}\nRequestId:${requestId}\nTime:${time.toISOString().replace(/\.(\d{3})Z$/, ".$10000Z")}</Message>${extra}</Error>`
  );
}

const e = (status: number, code: string, message: string, details?: Record<string, string>) => new StorageError(status, code, message, details);

export const StorageErrors = {
  // ---- authentication (401s go out with the Bearer challenge; the worker adds it) ----
  noAuthentication: () =>
    e(401, "NoAuthenticationInformation", "Server failed to authenticate the request. Please refer to the information in the www-authenticate header."),
  invalidToken: (detail: string) =>
    e(401, "InvalidAuthenticationInfo", "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.", {
      AuthenticationErrorDetail: detail,
    }),
  malformedAuthorization: () =>
    e(400, "InvalidAuthenticationInfo", "Authentication information is not given in the correct format. Check the value of Authorization header."),
  bearerNotSupportedInVersion: () => e(400, "InvalidAuthenticationInfo", "Authentication scheme Bearer is not supported in this version."),
  authenticationFailed: (detail: string) =>
    e(
      403,
      "AuthenticationFailed",
      "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.",
      { AuthenticationErrorDetail: detail },
    ),
  keyBasedAuthenticationNotPermitted: () => e(403, "KeyBasedAuthenticationNotPermitted", "Key based authentication is not permitted on this storage account."),
  /** Shared access signatures are not emulated: refused rather than ignored (an ignored sig would read as anonymous). */
  sasNotEmulated: () =>
    e(
      403,
      "AuthenticationFailed",
      "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.",
      { AuthenticationErrorDetail: "Shared access signatures (sig=) are not supported by the emulator; use Azure AD (Bearer) or Shared Key." },
    ),
  authorizationPermissionMismatch: () =>
    e(403, "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using this permission."),
  /** Anonymous access to private data (Azure answers ResourceNotFound so as not to reveal it exists). */
  publicAccessNotPermitted: () => e(409, "PublicAccessNotPermitted", "Public access is not permitted on this storage account."),

  // ---- addressing ----
  /** An unknown account: in Azure its host name does not resolve; here the one host answers 404. */
  accountNotFound: () => e(404, "ResourceNotFound", "The specified resource does not exist."),
  resourceNotFound: () => e(404, "ResourceNotFound", "The specified resource does not exist."),
  containerNotFound: () => e(404, "ContainerNotFound", "The specified container does not exist."),
  blobNotFound: () => e(404, "BlobNotFound", "The specified blob does not exist."),
  containerAlreadyExists: () => e(409, "ContainerAlreadyExists", "The specified container already exists."),
  containerBeingDeleted: () => e(409, "ContainerBeingDeleted", "The specified container is being deleted. Try operation later."),
  blobAlreadyExists: () => e(409, "BlobAlreadyExists", "The specified blob already exists."),

  // ---- input ----
  invalidResourceName: () => e(400, "InvalidResourceName", "The specifed resource name contains invalid characters."),
  outOfRangeInput: () => e(400, "OutOfRangeInput", "One of the request inputs is out of range."),
  invalidInput: () => e(400, "InvalidInput", "One of the request inputs is not valid."),
  invalidHeaderValue: (header: string, value: string) =>
    e(400, "InvalidHeaderValue", "The value for one of the HTTP headers is not in the correct format.", { HeaderName: header, HeaderValue: value }),
  missingRequiredHeader: (header: string) =>
    e(400, "MissingRequiredHeader", "An HTTP header that's mandatory for this request is not specified.", { HeaderName: header }),
  missingRequiredQueryParameter: (name: string) =>
    e(400, "MissingRequiredQueryParameter", "A query parameter that's mandatory for this request is not specified.", { QueryParameterName: name }),
  missingContentLength: () => e(411, "MissingContentLengthHeader", "The Content-Length header was not specified."),
  invalidQueryParameterValue: (name: string, value: string, reason?: string) =>
    e(400, "InvalidQueryParameterValue", "Value for one of the query parameters specified in the request URI is invalid.", {
      QueryParameterName: name,
      QueryParameterValue: value,
      ...(reason ? { Reason: reason } : {}),
    }),
  outOfRangeQueryParameterValue: (name: string, value: string, min: number, max: number) =>
    e(400, "OutOfRangeQueryParameterValue", "One of the query parameters specified in the request URI is outside the permissible range.", {
      QueryParameterName: name,
      QueryParameterValue: value,
      MinimumAllowed: String(min),
      MaximumAllowed: String(max),
    }),
  invalidMetadata: () => e(400, "InvalidMetadata", "The metadata specified is invalid. It has characters that are not permitted."),
  metadataTooLarge: () => e(400, "MetadataTooLarge", "The size of the specified metadata exceeds the maximum size permitted."),
  invalidXml: () => e(400, "InvalidXmlDocument", "XML specified is not syntactically valid."),
  invalidBlockId: () => e(400, "InvalidBlockId", "The specified block ID is invalid. The block ID must be Base64-encoded."),
  invalidBlobOrBlock: () => e(400, "InvalidBlobOrBlock", "The specified blob or block content is invalid."),
  invalidBlockList: () => e(400, "InvalidBlockList", "The specified block list is invalid."),
  blockCountExceedsLimit: () => e(409, "BlockCountExceedsLimit", "The committed block count cannot exceed the maximum limit of 50,000 blocks."),
  uncommittedBlockCountExceedsLimit: () =>
    e(409, "BlockCountExceedsLimit", "The uncommitted block count cannot exceed the maximum limit of 100,000 blocks."),
  blockListTooLong: () => e(400, "BlockListTooLong", "The block list may not contain more than 50,000 blocks."),
  md5Mismatch: (expected: string, computed: string) =>
    e(400, "Md5Mismatch", "The MD5 value specified in the request did not match with the MD5 value calculated by the server.", {
      UserSpecifiedMd5: expected,
      ServerCalculatedMd5: computed,
    }),
  requestBodyTooLarge: (limit: number) =>
    e(413, "RequestBodyTooLarge", "The request body is too large and exceeds the maximum permissible limit.", { MaxLimit: String(limit) }),
  invalidRange: () => e(416, "InvalidRange", "The range specified is invalid for the current size of the resource."),
  conditionNotMet: () => e(412, "ConditionNotMet", "The condition specified using HTTP conditional header(s) is not met."),
  unsupportedHttpVerb: (verb: string) => e(405, "UnsupportedHttpVerb", "The resource doesn't support specified Http Verb.", { HeaderName: verb }),
  unsupportedQueryParameter: (name: string) =>
    e(400, "UnsupportedQueryParameter", "One of the query parameters specified in the request URI is not supported.", { QueryParameterName: name }),

  // ---- what the emulator does not do ----
  /** Azure's NotImplemented; the message names what is not emulated so nobody mistakes it for a service fault. */
  notImplemented: (what: string) =>
    e(501, "NotImplemented", `The requested operation is not implemented on the specified resource. (Emulator: ${what} is not emulated.)`),

  // ---- the server ----
  internal: () => e(500, "InternalError", "The server encountered an internal error. Please retry the request."),
  /** A concurrent write moved the data under an operation; the SDKs retry 500s. */
  operationConflict: () => e(500, "InternalError", "The server encountered an internal error. Please retry the request."),
};
