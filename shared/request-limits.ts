// Bounds on what a client can make a worker read or walk: request bodies are read against a byte
// limit (the declared Content-Length first, then counted while streaming, so a chunked body is
// cut off at the limit and never held whole), and JSON nesting is measured by a flat scan before
// anything recursive (JSON.stringify, structured clone over RPC, merge patches) meets it.
// Each service maps the refusals to its own error shape; the limits themselves are here, once.

/** Resource Manager's documented request limit: 4 MB per request body. */
export const ARM_MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Microsoft Graph's documented request limit: 4 MB. */
export const GRAPH_MAX_BODY_BYTES = 4 * 1024 * 1024;
/**
 * Key Vault documents 25 KB per secret value (checked on the value itself); the body around it
 * (JSON escapes can make a 25 KB value six times longer, plus 15 tags and attributes) is capped
 * at 256 KB.
 */
export const KEYVAULT_MAX_BODY_BYTES = 256 * 1024;
/**
 * Blob Storage's largest single request: Put Blob takes up to 5000 MiB (service versions
 * 2019-12-12 on), Put Block 4000 MiB. Bodies stream to R2; nothing holds them whole.
 */
export const STORAGE_MAX_BODY_BYTES = 5000 * 1024 * 1024;
/** The token endpoints take small forms (a client assertion is a few KB): 1 MB is far beyond any real one. */
export const TOKEN_MAX_BODY_BYTES = 1024 * 1024;
/**
 * Deepest JSON nesting accepted: 64 levels, the default MaxDepth of Json.NET (13.0.1 on), the
 * parser Azure's .NET services read bodies with. Real documents (ARM templates included) stay far
 * below it; a 10,000-deep body is refused before it is parsed.
 */
export const MAX_JSON_DEPTH = 64;

/** Why a body was refused: each service words these in its own shape. */
export type BodyRefusal = { kind: "tooLarge"; limit: number } | { kind: "notUtf8" };

export class BodyRefused extends Error {
  readonly refusal: BodyRefusal;
  constructor(refusal: BodyRefusal) {
    super(refusal.kind === "tooLarge" ? `The request body exceeds ${refusal.limit} bytes.` : "The request body is not valid UTF-8.");
    this.refusal = refusal;
  }
}

/** The declared Content-Length, when there is a well-formed one. */
export function declaredLength(request: Request): number | null {
  const header = request.headers.get("content-length");
  if (header === null || !/^\s*\d+\s*$/.test(header)) return null;
  return Number(header);
}

/** Whether the request declares a body longer than `limit` (a check that reads nothing). */
export function declaresMoreThan(request: Request, limit: number): boolean {
  const length = declaredLength(request);
  return length !== null && length > limit;
}

/**
 * Middleware for a worker's app: a body declared longer than `limit` is refused (`tooLarge()`)
 * before anything reads it; after the answer, what the handler left unread of the body (an early
 * 401 or 404) is read and dropped, up to `limit`. workerd resets a connection whose request body
 * was not read, and a reset can lose the answer on its way back to the client.
 */
export function boundedBodies(limit: number, tooLarge: () => Error) {
  return async (c: { req: { raw: Request } }, next: () => Promise<void>): Promise<void> => {
    if (declaresMoreThan(c.req.raw, limit)) throw tooLarge();
    await next();
    const request = c.req.raw;
    if (!request.body || request.bodyUsed || request.body.locked) return;
    try {
      const reader = request.body.getReader();
      let total = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > limit) {
          await reader.cancel();
          break;
        }
      }
    } catch {
      /* the client went away: nothing to answer */
    }
  };
}

/**
 * The body's bytes, refusing (BodyRefused "tooLarge") a declared length over `limit` before
 * reading, and a streamed body as soon as it passes `limit` (the rest is never read).
 */
export async function readBodyBytes(request: Request, limit: number): Promise<Uint8Array> {
  if (declaresMoreThan(request, limit)) throw new BodyRefused({ kind: "tooLarge", limit });
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new BodyRefused({ kind: "tooLarge", limit });
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** The body as text: at most `limit` bytes of valid UTF-8 (else BodyRefused). */
export async function readBodyText(request: Request, limit: number): Promise<string> {
  const bytes = await readBodyBytes(request, limit);
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new BodyRefused({ kind: "notUtf8" });
  }
}

/**
 * How deeply `text` nests arrays and objects, stopping as soon as it passes `max` (then max + 1).
 * A flat scan that skips strings; it does not validate the JSON (JSON.parse does that after).
 */
export function jsonDepth(text: string, max = MAX_JSON_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > max) return deepest;
      }
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return deepest;
}

export function tooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  return jsonDepth(text, max) > max;
}

/**
 * Control and format characters (Unicode Cc and Cf: NUL, line breaks, bidirectional overrides
 * such as U+202E, zero-width characters, the BOM) and unpaired surrogates: never part of a name.
 */
const CONTROL = /[\p{Cc}\p{Cf}\p{Cs}]/u;

export function hasControlCharacters(value: string): boolean {
  return CONTROL.test(value);
}

/** A value with its control characters spelled as \uXXXX, for error messages people read. */
export function printable(value: string): string {
  return value.replace(/[\p{Cc}\p{Cf}\p{Cs}]/gu, (ch) => `\\u${ch.codePointAt(0)!.toString(16).padStart(4, "0")}`);
}

/**
 * The media type of a Content-Type header (lower-case, without parameters), or null when absent.
 * JSON is application/json, text/json or any application/…+json.
 */
export function mediaType(request: Request): string | null {
  const header = request.headers.get("content-type");
  if (header === null) return null;
  return header.split(";")[0]!.trim().toLowerCase();
}

export function isJsonMediaType(type: string): boolean {
  return type === "application/json" || type === "text/json" || /^application\/[^/]+\+json$/.test(type);
}
