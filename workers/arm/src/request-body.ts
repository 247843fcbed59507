// Reading request bodies the way Resource Manager does: malformed JSON and wrong shapes are the
// caller's mistake (400 InvalidRequestContent), never a 500.
import { ArmErrors } from "../../../shared/errors/arm";
import { toStrictJson } from "./lenient-json";

export function isObject(value: unknown): value is Record<string, any> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  const text = await request.text();
  if (text.trim() === "") return {};
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

export function validateTags(value: unknown): Record<string, string> {
  if (value === null) return {};
  if (!isObject(value)) throw ArmErrors.invalidRequestContent("tags must be an object of string values");
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") throw ArmErrors.invalidRequestContent(`the value of tag '${k}' must be a string`);
    tags[k] = v;
  }
  if (Object.keys(tags).length > 50) throw ArmErrors.invalidParameter("The number of tags cannot exceed 50.", "InvalidTagCount");
  return tags;
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
