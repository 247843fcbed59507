// Reading the token endpoints' form bodies: at most 1 MB (the declared Content-Length is checked
// before anything is read, a chunked body is cut off at the limit), valid UTF-8, refused in Azure
// AD's error shape. A body that is not a form reads as an empty one, as before: Azure AD then
// names the first parameter it misses (AADSTS900144).
import { AadErrors } from "../../../shared/errors/aad";
import { BodyRefused, TOKEN_MAX_BODY_BYTES, boundedBodies, declaresMoreThan, readBodyText } from "../../../shared/request-limits";

export async function readTokenForm(request: Request): Promise<URLSearchParams> {
  const contentType = request.headers.get("content-type") ?? "";
  if (!contentType.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    if (declaresMoreThan(request, TOKEN_MAX_BODY_BYTES)) throw AadErrors.requestTooLarge(TOKEN_MAX_BODY_BYTES);
    return new URLSearchParams();
  }
  try {
    return new URLSearchParams(await readBodyText(request, TOKEN_MAX_BODY_BYTES));
  } catch (err) {
    if (!(err instanceof BodyRefused)) throw err;
    throw err.refusal.kind === "tooLarge"
      ? AadErrors.requestTooLarge(TOKEN_MAX_BODY_BYTES)
      : AadErrors.malformedRequest("The request body is not valid UTF-8.");
  }
}

/** Middleware: a body declared larger than the token endpoints take is refused before anything reads it. */
export const refuseOversizedBodies = boundedBodies(TOKEN_MAX_BODY_BYTES, () => AadErrors.requestTooLarge(TOKEN_MAX_BODY_BYTES));
