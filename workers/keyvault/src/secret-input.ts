// Reading what clients send about secrets: names in the path, SecretSetParameters (PUT) and
// SecretUpdateParameters (PATCH). Malformed input is Key Vault's 400 BadParameter, never a 500.
import { KeyVaultErrors } from "../../../shared/errors/keyvault";
import { BodyRefused, KEYVAULT_MAX_BODY_BYTES, MAX_JSON_DEPTH, boundedBodies, isJsonMediaType, mediaType, readBodyText, tooDeep } from "../../../shared/request-limits";
import type { SecretInput, SecretPatch } from "./vault-object";

/** Key Vault object names: 1-127 letters, digits and dashes. */
const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
/** Key Vault's limits: 25 KB per value, 15 tags of at most 512 characters per value and 256 per name. */
const MAX_VALUE_LENGTH = 25 * 1024;
const MAX_TAGS = 15;

export function requireSecretName(name: string): string {
  if (!SECRET_NAME.test(name)) throw KeyVaultErrors.invalidName(name);
  return name;
}

/** Versions are 32 lower-case hex digits; anything else cannot name one (404, as Key Vault answers). */
export function isVersion(segment: string): boolean {
  return /^[0-9a-f]{32}$/i.test(segment);
}

async function readObject(request: Request): Promise<Record<string, unknown>> {
  // A body is read only as JSON (absent Content-Type counts as JSON); the wording is the emulator's.
  const type = mediaType(request);
  if (type !== null && !isJsonMediaType(type)) {
    throw KeyVaultErrors.badParameter(`The content type '${request.headers.get("content-type")!.trim()}' is not supported. Use application/json.`);
  }
  let text: string;
  try {
    text = await readBodyText(request, KEYVAULT_MAX_BODY_BYTES);
  } catch (err) {
    if (!(err instanceof BodyRefused)) throw err;
    throw err.refusal.kind === "tooLarge"
      ? KeyVaultErrors.requestTooLarge(KEYVAULT_MAX_BODY_BYTES)
      : KeyVaultErrors.badParameter("The request body is not valid UTF-8.");
  }
  if (tooDeep(text)) throw KeyVaultErrors.badParameter(`The request body nests JSON deeper than ${MAX_JSON_DEPTH} levels.`);
  let parsed: unknown;
  try {
    parsed = text.trim() === "" ? undefined : JSON.parse(text);
  } catch {
    throw KeyVaultErrors.badParameter("The request body is not valid JSON.");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw KeyVaultErrors.badParameter("The request body must be a JSON object.");
  }
  return parsed as Record<string, unknown>;
}

function tags(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw KeyVaultErrors.badParameter("tags must be an object of string values.");
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_TAGS) throw KeyVaultErrors.badParameter(`A secret can have at most ${MAX_TAGS} tags.`);
  for (const [k, v] of entries) {
    if (typeof v !== "string") throw KeyVaultErrors.badParameter(`The value of tag '${k}' must be a string.`);
    if (k.length > 256 || v.length > 512) throw KeyVaultErrors.badParameter(`Tag '${k.slice(0, 64)}' is too long.`);
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

function unixTime(value: unknown, field: string): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  if (typeof value !== "number" || !Number.isFinite(value)) throw KeyVaultErrors.badParameter(`attributes.${field} must be a number of seconds since 1970.`);
  return Math.floor(value);
}

function attributes(body: Record<string, unknown>): Pick<SecretInput, "enabled" | "nbf" | "exp"> {
  const value = body.attributes;
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw KeyVaultErrors.badParameter("attributes must be an object.");
  const a = value as Record<string, unknown>;
  if (a.enabled !== undefined && a.enabled !== null && typeof a.enabled !== "boolean") {
    throw KeyVaultErrors.badParameter("attributes.enabled must be a boolean.");
  }
  const nbf = unixTime(a.nbf, "nbf");
  const exp = unixTime(a.exp, "exp");
  return {
    ...(typeof a.enabled === "boolean" ? { enabled: a.enabled } : {}),
    ...(nbf !== undefined ? { nbf } : {}),
    ...(exp !== undefined ? { exp } : {}),
  };
}

function contentType(body: Record<string, unknown>): string | undefined {
  if (body.contentType === undefined || body.contentType === null) return undefined;
  if (typeof body.contentType !== "string") throw KeyVaultErrors.badParameter("contentType must be a string.");
  return body.contentType;
}

export async function readSecretSet(request: Request): Promise<SecretInput> {
  const body = await readObject(request);
  if (typeof body.value !== "string") throw KeyVaultErrors.badParameter("The parameter 'value' is required and must be a string.");
  if (body.value.length > MAX_VALUE_LENGTH) throw KeyVaultErrors.badParameter(`The secret value exceeds the maximum size of ${MAX_VALUE_LENGTH} characters.`);
  const type = contentType(body);
  const t = tags(body.tags);
  return { value: body.value, ...(type !== undefined ? { contentType: type } : {}), ...(t ? { tags: t } : {}), ...attributes(body) };
}

export async function readSecretUpdate(request: Request): Promise<SecretPatch> {
  const body = await readObject(request);
  const type = contentType(body);
  const t = tags(body.tags);
  return { ...(type !== undefined ? { contentType: type } : {}), ...(t ? { tags: t } : {}), ...attributes(body) };
}

/** Middleware: a body declared larger than the data plane takes is refused before anything reads it. */
export const refuseOversizedBodies = boundedBodies(KEYVAULT_MAX_BODY_BYTES, () => KeyVaultErrors.requestTooLarge(KEYVAULT_MAX_BODY_BYTES));
