// JSON values as the template language sees them: type names in Azure's words, case-insensitive
// property lookup, deep equality, null dropping. Every walker here is bounded (`MAX_VALUE_DEPTH`) so
// an absurdly nested value is refused instead of overflowing the stack.

import { ExpressionError } from "./errors";

export type JsonObject = { [key: string]: unknown };

/** Deeper values than this are refused (templates and parameter values are checked at 128). */
export const MAX_VALUE_DEPTH = 512;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value);
}

/** The JToken type name Azure uses in messages. */
export function typeName(value: unknown): string {
  if (value === null || value === undefined) return "Null";
  if (typeof value === "string") return "String";
  if (typeof value === "boolean") return "Boolean";
  if (typeof value === "number") return Number.isInteger(value) ? "Integer" : "Float";
  if (Array.isArray(value)) return "Array";
  return "Object";
}

function tooDeep(): ExpressionError {
  return new ExpressionError(`The value is nested more than ${MAX_VALUE_DEPTH} levels deep`);
}

/** Own property, exact name first, then case-insensitively (template objects are case-insensitive). */
export function findKey(object: JsonObject, key: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(object, key)) return key;
  const lower = key.toLowerCase();
  for (const k of Object.keys(object)) if (k.toLowerCase() === lower) return k;
  return undefined;
}

export function getProperty(object: JsonObject, key: string): unknown {
  const k = findKey(object, key);
  return k === undefined ? undefined : object[k];
}

/** Deep equality of JSON values: numbers by value, strings case-sensitively, objects by key set. */
export function deepEquals(a: unknown, b: unknown, depth = 0): boolean {
  if (depth > MAX_VALUE_DEPTH) throw tooDeep();
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEquals(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) {
      if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
      if (!deepEquals(a[k], b[k], depth + 1)) return false;
    }
    return true;
  }
  return false;
}

/** A fresh copy with every null (and undefined) object member removed, recursively; array items stay. */
export function dropNulls(value: unknown, depth = 0): unknown {
  if (depth > MAX_VALUE_DEPTH) throw tooDeep();
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : dropNulls(item, depth + 1)));
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === null || v === undefined) continue;
      out[k] = dropNulls(v, depth + 1);
    }
    return out;
  }
  return value === undefined ? null : value;
}

/** A fresh deep copy (values handed to the caller never alias the engine's). */
export function cloneValue(value: unknown, depth = 0): unknown {
  if (depth > MAX_VALUE_DEPTH) throw tooDeep();
  if (Array.isArray(value)) return value.map((item) => cloneValue(item, depth + 1));
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = cloneValue(v, depth + 1);
    return out;
  }
  return value === undefined ? null : value;
}

/** Compact JSON (Newtonsoft `Formatting.None`). */
export function compactJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/** How a scalar reads inside a string: booleans as .NET writes them (`True`/`False`), null as empty. */
export function scalarText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return numberText(value);
  return String(value);
}

export function numberText(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) >= 1e21) return BigInt(value).toString();
  return String(value);
}

/**
 * Depth of a JSON value, computed without recursion (so it is safe on hostile input), or
 * `Infinity` as soon as `limit` is exceeded.
 */
export function jsonDepth(value: unknown, limit: number): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (d > max) {
      max = d;
      if (max > limit) return Infinity;
    }
    if (Array.isArray(v)) for (const item of v) stack.push([item, d + 1]);
    else if (isObject(v)) for (const item of Object.values(v)) stack.push([item, d + 1]);
  }
  return max;
}
