// Reading request bodies the way Resource Manager does: malformed JSON and wrong shapes are the
// caller's mistake (400 InvalidRequestContent), never a 500. Bodies are bounded (4 MB, JSON at
// most 64 levels deep: shared/request-limits.ts) and must be JSON (else 415) before anything
// looks at them; names, tags and the envelope's well-known properties are checked here too.
import { ArmErrors } from "../../../shared/errors/arm";
import {
  ARM_MAX_BODY_BYTES,
  BodyRefused,
  MAX_JSON_DEPTH,
  boundedBodies,
  hasControlCharacters,
  isJsonMediaType,
  mediaType,
  printable,
  readBodyText,
  tooDeep,
} from "../../../shared/request-limits";
import { toStrictJson } from "./lenient-json";

export function isObject(value: unknown): value is Record<string, any> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The body's text: JSON by its Content-Type (absent counts as JSON), at most 4 MB, valid UTF-8. */
export async function readBody(request: Request): Promise<string> {
  const type = mediaType(request);
  if (type !== null && !isJsonMediaType(type)) throw ArmErrors.unsupportedMediaType(request.headers.get("content-type")!.trim());
  try {
    return await readBodyText(request, ARM_MAX_BODY_BYTES);
  } catch (err) {
    if (!(err instanceof BodyRefused)) throw err;
    throw err.refusal.kind === "tooLarge" ? ArmErrors.requestEntityTooLarge(ARM_MAX_BODY_BYTES) : ArmErrors.notUtf8();
  }
}

export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  const text = await readBody(request);
  if (text.trim() === "") return {};
  if (tooDeep(text)) throw ArmErrors.jsonTooDeep(MAX_JSON_DEPTH);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    // What ARM's own parser also takes (comments, bare property names, trailing commas; see lenient-json.ts).
    const strict = toStrictJson(text);
    try {
      if (strict === null) throw err;
      parsed = JSON.parse(strict);
    } catch {
      throw ArmErrors.invalidRequestContent(err instanceof Error ? err.message : "malformed JSON");
    }
  }
  if (!isObject(parsed)) throw ArmErrors.invalidRequestContent("The request body must be a JSON object.");
  return parsed;
}

/** Azure's tag limits: 50 tags; names 1-512 characters without <>%&\?/ or control characters; values at most 256. */
const MAX_TAGS = 50;
const MAX_TAG_NAME = 512;
const MAX_TAG_VALUE = 256;
const RESERVED_TAG_CHARACTERS = /[<>%&\\?/]/;

export function validateTags(value: unknown): Record<string, string> {
  if (value === null) return {};
  if (!isObject(value)) throw ArmErrors.invalidRequestContent("tags must be an object of string values");
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") throw ArmErrors.invalidRequestContent(`the value of tag '${printable(k.slice(0, 128))}' must be a string`);
    tags[k] = v;
  }
  const names = Object.keys(tags);
  if (names.length > MAX_TAGS) throw ArmErrors.invalidParameter(`The number of tags cannot exceed ${MAX_TAGS}.`, "InvalidTagCount");
  const reserved = names.filter((k) => RESERVED_TAG_CHARACTERS.test(k) || hasControlCharacters(k));
  if (reserved.length) throw ArmErrors.invalidTagNameCharacters(reserved.map((k) => printable(k.slice(0, 128))));
  for (const [k, v] of Object.entries(tags)) {
    if (k.trim() === "") throw ArmErrors.invalidTagName("The tag name must be non-null, non-empty and non-whitespace only. Please provide an actual value.");
    if (k.length > MAX_TAG_NAME) throw ArmErrors.invalidTagName(`The tag name '${k.slice(0, 64)}…' exceeds the maximum length of ${MAX_TAG_NAME} characters.`);
    if (v.length > MAX_TAG_VALUE) throw ArmErrors.invalidTagValueLength(k, MAX_TAG_VALUE);
    if (hasControlCharacters(v)) throw ArmErrors.invalidParameter(`The value of tag '${k}' has control characters.`, "InvalidTagValue");
  }
  return tags;
}

/** Resource names never hold control or format characters (NUL, line breaks, U+202E…), whatever the type's own rule. */
export function refuseControlCharacters(name: string): void {
  if (hasControlCharacters(name)) {
    throw ArmErrors.invalidResourceName(`Resource name '${printable(name)}' is invalid. The name cannot contain control characters.`);
  }
}

/**
 * The envelope every resource body shares, typed before any provider reads it: location a
 * string, tags an object of strings (validateTags), identity, properties, sku and plan objects,
 * identity.type and kind strings, zones an array of strings. Null is "not given" throughout.
 */
export function validateEnvelope(body: Record<string, unknown>): void {
  const wrongType = (path: string, expected: string) =>
    ArmErrors.invalidRequestContent(`Error converting value ${describe(body, path)} to type '${expected}'. Path '${path}'`);
  const given = (v: unknown) => v !== undefined && v !== null;
  if (given(body.location) && typeof body.location !== "string") throw wrongType("location", "System.String");
  if (body.tags !== undefined) validateTags(body.tags);
  for (const key of ["properties", "identity", "sku", "plan"]) {
    if (given(body[key]) && !isObject(body[key])) throw wrongType(key, "Object");
  }
  if (given(body.kind) && typeof body.kind !== "string") throw wrongType("kind", "System.String");
  if (given(body.managedBy) && typeof body.managedBy !== "string") throw wrongType("managedBy", "System.String");
  if (given(body.zones) && (!Array.isArray(body.zones) || body.zones.some((z) => typeof z !== "string"))) throw wrongType("zones", "System.String[]");
  if (isObject(body.identity)) {
    const identity = body.identity;
    if (given(identity.type) && typeof identity.type !== "string") throw wrongType("identity.type", "System.String");
    if (given(identity.userAssignedIdentities) && !isObject(identity.userAssignedIdentities)) throw wrongType("identity.userAssignedIdentities", "Object");
  }
}

/** A value as Json.NET quotes it in a conversion error. */
function describe(body: Record<string, unknown>, path: string): string {
  const value = path.split(".").reduce<unknown>((v, key) => (isObject(v) ? v[key] : undefined), body);
  if (Array.isArray(value)) return "array";
  if (isObject(value)) return "object";
  return JSON.stringify(value) ?? String(value);
}

/** ARM stores locations as lower-case names without spaces ("West US" → "westus"). */
export function normalizeLocation(location: string): string {
  return location.replace(/\s+/g, "").toLowerCase();
}

/** JSON merge patch (RFC 7386): objects merge, null removes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/**
 * Middleware: a body declared larger than Resource Manager's 4 MB is refused (413) before
 * authentication or anything else reads it; chunked bodies are counted as readBody streams them.
 */
export const refuseOversizedBodies = boundedBodies(ARM_MAX_BODY_BYTES, () => ArmErrors.requestEntityTooLarge(ARM_MAX_BODY_BYTES));
