// The template functions that depend on nothing but their arguments. Semantics follow Azure's
// documentation and Microsoft's MIT-licensed port of the expression engine (Azure Policy linter,
// `ExpressionBuiltInFunctions`), with ARM's documented case rules where they differ: contains() and
// replace() compare strings case-sensitively, indexOf/lastIndexOf/startsWith/endsWith do not.
//
// Functions that need the deployment (parameters, variables, copyIndex, resourceId…, reference,
// resourceGroup, subscription, tenant, deployment, guid, uniqueString, utcNow, newGuid) and the lazy
// if() live in the engine; their arities are listed here so one table knows every supported name.

import { ExpressionError, functionFailed } from "./errors";
import {
  compactJson,
  deepEquals,
  findKey,
  isInteger,
  isObject,
  MAX_VALUE_DEPTH,
  numberText,
  scalarText,
  typeName,
  type JsonObject,
} from "./values";

export interface Arity {
  min: number;
  max: number;
}

type PureFunction = (args: unknown[], name: string) => unknown;

const MANY = Number.POSITIVE_INFINITY;

/** Functions the engine evaluates itself (lower-case name → arity). */
export const CONTEXT_FUNCTIONS: Record<string, Arity> = {
  parameters: { min: 1, max: 1 },
  variables: { min: 1, max: 1 },
  copyindex: { min: 0, max: 2 },
  resourceid: { min: 2, max: MANY },
  subscriptionresourceid: { min: 2, max: MANY },
  tenantresourceid: { min: 2, max: MANY },
  extensionresourceid: { min: 3, max: MANY },
  reference: { min: 1, max: 3 },
  resourcegroup: { min: 0, max: 0 },
  subscription: { min: 0, max: 0 },
  tenant: { min: 0, max: 0 },
  deployment: { min: 0, max: 0 },
  guid: { min: 1, max: MANY },
  uniquestring: { min: 1, max: MANY },
  if: { min: 3, max: 3 },
  utcnow: { min: 0, max: 1 },
  newguid: { min: 0, max: 0 },
};

function fail(name: string, detail: string): ExpressionError {
  return functionFailed(name, detail);
}

function isText(value: unknown): value is string {
  return typeof value === "string";
}

function str(name: string, value: unknown, position: string): string {
  if (typeof value !== "string") throw fail(name, `the ${position} parameter must be a string, not '${typeName(value)}'`);
  return value;
}

function int(name: string, value: unknown, position: string): number {
  if (!isInteger(value)) throw fail(name, `the ${position} parameter must be an integer, not '${typeName(value)}'`);
  return value;
}

function checked(name: string, value: number): number {
  if (!Number.isSafeInteger(value)) throw fail(name, "the result overflows the integer range");
  return value;
}

const ORDINALS = ["first", "second", "third", "fourth", "fifth"];
function nth(i: number): string {
  return ORDINALS[i] ?? `#${i + 1}`;
}

// ---- strings -------------------------------------------------------------------------------

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8");

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(name: string, text: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text.replace(/\s/g, ""));
  } catch {
    throw fail(name, "the input is not a valid base64 string");
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function parseJson(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw fail(name, "the input is not valid JSON");
  }
}

/** Invariant-culture string ordering, as .NET compares for less()/greater(). */
const collator = new Intl.Collator("en", { sensitivity: "variant" });

/** .NET's Uri.EscapeDataString: everything but unreserved characters is percent-encoded. */
function escapeDataString(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

// ---- format() --------------------------------------------------------------------------------

function groupDigits(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function fixed(value: number, decimals: number): string {
  return Math.abs(value) >= 1e21 ? numberText(value) : value.toFixed(decimals);
}

function formatNumber(value: number, spec: string): string {
  const m = /^([A-Za-z])(\d{0,2})$/.exec(spec);
  if (m) {
    const letter = m[1]!;
    const precision = m[2] === "" ? undefined : Number(m[2]);
    switch (letter.toUpperCase()) {
      case "N": {
        const text = fixed(Math.abs(value), precision ?? 2);
        const [whole, frac] = text.split(".");
        return `${value < 0 && Number(text) !== 0 ? "-" : ""}${groupDigits(whole!)}${frac ? `.${frac}` : ""}`;
      }
      case "F":
        return fixed(value, precision ?? 2);
      case "D":
        if (!Number.isInteger(value)) break;
        return `${value < 0 ? "-" : ""}${String(Math.abs(value)).padStart(precision ?? 0, "0")}`;
      case "X": {
        if (!Number.isInteger(value)) break;
        const hex = BigInt.asUintN(64, BigInt(value)).toString(16).padStart(precision ?? 0, "0");
        return letter === "X" ? hex.toUpperCase() : hex;
      }
      case "G":
        return numberText(value);
      case "P": {
        const text = fixed(Math.abs(value * 100), precision ?? 2);
        const [whole, frac] = text.split(".");
        return `${value < 0 ? "-" : ""}${groupDigits(whole!)}${frac ? `.${frac}` : ""} %`;
      }
      case "E": {
        const [mantissa, exponent] = value.toExponential(precision ?? 6).split("e");
        const e = Number(exponent);
        const text = `${mantissa}${letter}${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(3, "0")}`;
        return text;
      }
    }
    throw new ExpressionError(`Invalid format function parameter: the format specifier '${spec}' is not supported`);
  }
  // Custom numeric formats made of 0, #, ',' and '.' ("000", "#,##0", "0.00").
  const custom = /^([0#,]*)(?:\.([0#]*))?$/.exec(spec);
  if (custom) {
    const intPart = custom[1]!;
    const fracPart = custom[2] ?? "";
    const minInt = (intPart.match(/0/g) ?? []).length;
    const minFrac = (fracPart.match(/0/g) ?? []).length;
    const maxFrac = fracPart.length;
    let text = fixed(Math.abs(value), maxFrac);
    let [whole, frac = ""] = text.split(".");
    while (frac.length > minFrac && frac.endsWith("0")) frac = frac.slice(0, -1);
    if (whole === "0" && minInt === 0) whole = "";
    whole = whole!.padStart(minInt, "0");
    if (intPart.includes(",")) whole = groupDigits(whole);
    text = `${whole}${frac ? `.${frac}` : ""}`;
    return `${value < 0 && Number(text.replace(/,/g, "")) !== 0 ? "-" : ""}${text}`;
  }
  throw new ExpressionError(`Invalid format function parameter: the format specifier '${spec}' is not supported`);
}

function formatArgument(value: unknown, spec: string | undefined): string {
  if (Array.isArray(value) || isObject(value)) return compactJson(value).replace(/"/g, "'");
  if (typeof value === "number" && spec !== undefined && spec !== "") return formatNumber(value, spec);
  return scalarText(value);
}

/** .NET composite formatting: {index[,alignment][:format]}, {{ and }} escapes. */
export function composite(format: string, args: unknown[]): string {
  let out = "";
  let i = 0;
  const bad = (why: string) => new ExpressionError(`Invalid format function parameter: ${why}`);
  while (i < format.length) {
    const c = format[i]!;
    if (c === "}") {
      if (format[i + 1] === "}") {
        out += "}";
        i += 2;
        continue;
      }
      throw bad("Input string was not in a correct format");
    }
    if (c !== "{") {
      out += c;
      i++;
      continue;
    }
    if (format[i + 1] === "{") {
      out += "{";
      i += 2;
      continue;
    }
    const close = format.indexOf("}", i);
    if (close < 0) throw bad("Input string was not in a correct format");
    const item = /^\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?(?::(.*))?$/s.exec(format.slice(i + 1, close));
    if (!item) throw bad("Input string was not in a correct format");
    const index = Number(item[1]);
    if (index >= args.length) {
      throw bad("Index (zero based) must be greater than or equal to zero and less than the size of the argument list");
    }
    let text = formatArgument(args[index], item[3]);
    if (item[2] !== undefined) {
      const width = Number(item[2]);
      text = width >= 0 ? text.padStart(width) : text.padEnd(-width);
    }
    out += text;
    i = close + 1;
  }
  return out;
}

// ---- union / intersection ---------------------------------------------------------------------

function mergeObjects(target: JsonObject, patch: JsonObject, depth: number): JsonObject {
  if (depth > MAX_VALUE_DEPTH) throw new ExpressionError(`The value is nested more than ${MAX_VALUE_DEPTH} levels deep`);
  const out: JsonObject = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    const existing = findKey(out, k);
    if (existing === undefined) {
      out[k] = v;
    } else {
      const current = out[existing];
      out[existing] = isObject(current) && isObject(v) ? mergeObjects(current, v, depth + 1) : v;
    }
  }
  return out;
}

function sameTypes(name: string, args: unknown[]): "array" | "object" {
  const allArrays = args.every(Array.isArray);
  const allObjects = args.every(isObject);
  if (!allArrays && !allObjects) throw fail(name, "all parameters must be arrays or all must be objects");
  return allArrays ? "array" : "object";
}

function distinct(items: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const item of items) if (!out.some((o) => deepEquals(o, item))) out.push(item);
  return out;
}

// ---- the table ----------------------------------------------------------------------------------

function compare(name: string, a: unknown, b: unknown): number {
  if (isText(a) || isText(b)) {
    if (!isText(a) || !isText(b)) throw fail(name, "the parameters must both be strings or both be numbers");
    return collator.compare(a, b);
  }
  if (typeof a !== "number" || typeof b !== "number") throw fail(name, "the parameters must both be strings or both be numbers");
  return a < b ? -1 : a > b ? 1 : 0;
}

function numbers(name: string, args: unknown[]): number[] {
  const list = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  if (list.length === 0) throw fail(name, "the array is empty");
  for (const v of list) if (typeof v !== "number") throw fail(name, `expects integers, not '${typeName(v)}'`);
  return list as number[];
}

const PURE: Record<string, { arity: Arity; fn: PureFunction }> = {};

function define(names: string, min: number, max: number, fn: PureFunction): void {
  for (const name of names.split(",")) PURE[name.toLowerCase()] = { arity: { min, max }, fn };
}

define("concat", 1, MANY, (args, name) => {
  if (args.every(Array.isArray)) return (args as unknown[][]).flat(1);
  let out = "";
  for (const a of args) {
    if (a === null || a === undefined) continue;
    if (typeof a === "string" || typeof a === "number" || typeof a === "boolean") out += scalarText(a);
    else throw fail(name, `the parameters must all be arrays or all be strings, integers or booleans; got '${typeName(a)}'`);
  }
  return out;
});

define("format", 1, MANY, (args, name) => composite(str(name, args[0], "first"), args.slice(1)));

define("base64", 1, 1, (args, name) => toBase64(encoder.encode(str(name, args[0], "first"))));
define("base64ToString", 1, 1, (args, name) => decoder.decode(fromBase64(name, str(name, args[0], "first"))));
define("base64ToJson", 1, 1, (args, name) => parseJson(name, decoder.decode(fromBase64(name, str(name, args[0], "first")))));

define("padLeft", 2, 3, (args, name) => {
  const value = args[0];
  if (typeof value !== "string" && !isInteger(value)) throw fail(name, "the first parameter must be a string or an integer");
  const width = int(name, args[1], "second");
  if (width < 0 || width > 16) throw fail(name, `the padding width '${width}' must be between 0 and 16`);
  const pad = args[2] === undefined || args[2] === null ? " " : str(name, args[2], "third");
  if (pad.length !== 1) throw fail(name, "the padding character must be a single character");
  return scalarText(value).padStart(width, pad);
});

define("replace", 3, 3, (args, name) => {
  const s = str(name, args[0], "first");
  const oldValue = str(name, args[1], "second");
  const newValue = str(name, args[2], "third");
  if (oldValue === "") throw fail(name, "the second parameter cannot be empty");
  return s.split(oldValue).join(newValue);
});

define("toLower", 1, 1, (args, name) => (args[0] === null ? "" : str(name, args[0], "first").toLowerCase()));
define("toUpper", 1, 1, (args, name) => (args[0] === null ? "" : str(name, args[0], "first").toUpperCase()));
define("trim", 1, 1, (args, name) => str(name, args[0], "first").trim());

define("length", 1, 1, (args, name) => {
  const v = args[0];
  if (v === null || v === undefined) return 0;
  if (typeof v === "string") return v.length;
  if (Array.isArray(v)) return v.length;
  if (isObject(v)) return Object.keys(v).length;
  throw fail(name, `the parameter must be a string, an array or an object, not '${typeName(v)}'`);
});

define("split", 2, 2, (args, name) => {
  const input = args[0];
  if (input === null) return [];
  const s = str(name, input, "first");
  const delimiter = args[1];
  let delimiters: string[];
  if (typeof delimiter === "string") delimiters = [delimiter];
  else if (Array.isArray(delimiter) && delimiter.every(isText)) delimiters = delimiter as string[];
  else if (delimiter === null) return [s];
  else throw fail(name, "the second parameter must be a string or an array of strings");
  delimiters = delimiters.filter((d) => d !== "");
  if (delimiters.length === 0) return [s];
  const out: string[] = [];
  let start = 0;
  let i = 0;
  while (i <= s.length) {
    const hit = delimiters.find((d) => s.startsWith(d, i));
    if (hit !== undefined && i < s.length) {
      out.push(s.slice(start, i));
      i += hit.length;
      start = i;
    } else {
      i++;
    }
  }
  out.push(s.slice(start));
  return out;
});

define("join", 2, 2, (args, name) => {
  const items = args[0];
  if (!Array.isArray(items)) throw fail(name, "the first parameter must be an array");
  const delimiter = str(name, args[1], "second");
  return items
    .map((item) => {
      if (typeof item === "string" || typeof item === "number" || typeof item === "boolean") return scalarText(item);
      throw fail(name, `the array contains an item of type '${typeName(item)}'`);
    })
    .join(delimiter);
});

define("add", 2, 2, (args, name) => checked(name, int(name, args[0], "first") + int(name, args[1], "second")));
define("sub", 2, 2, (args, name) => checked(name, int(name, args[0], "first") - int(name, args[1], "second")));
define("mul", 2, 2, (args, name) => checked(name, int(name, args[0], "first") * int(name, args[1], "second")));
define("div", 2, 2, (args, name) => {
  const a = int(name, args[0], "first");
  const b = int(name, args[1], "second");
  if (b === 0) throw fail(name, "cannot divide by zero");
  return Math.trunc(a / b);
});
define("mod", 2, 2, (args, name) => {
  const a = int(name, args[0], "first");
  const b = int(name, args[1], "second");
  if (b === 0) throw fail(name, "cannot divide by zero");
  return a % b;
});

define("string", 1, 1, (args) => {
  const v = args[0];
  if (Array.isArray(v) || isObject(v)) return compactJson(v);
  return scalarText(v);
});

define("int", 1, 1, (args, name) => {
  const v = args[0];
  if (isInteger(v)) return v;
  if (typeof v === "string" && /^\s*[+-]?\d+\s*$/.test(v)) {
    const n = Number(v.trim());
    if (Number.isSafeInteger(n)) return n;
  }
  if (typeof v === "number") return Math.trunc(v);
  throw fail(name, `the value '${scalarText(v)}' cannot be converted to an integer`);
});

define("bool", 1, 1, (args, name) => {
  const v = args[0];
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") {
    const t = v.trim().toLowerCase();
    if (t === "true") return true;
    if (t === "false") return false;
  }
  throw fail(name, `the value '${scalarText(v)}' cannot be converted to a boolean`);
});

define("json", 1, 1, (args, name) => {
  if (args[0] === null) return {};
  return parseJson(name, str(name, args[0], "first"));
});

define("uri", 2, 2, (args, name) => {
  const base = str(name, args[0], "first");
  const relative = str(name, args[1], "second");
  let baseUrl: URL;
  try {
    baseUrl = new URL(base);
  } catch {
    throw fail(name, `the base URI '${base}' is not an absolute URI`);
  }
  try {
    return new URL(relative, baseUrl).href;
  } catch {
    throw fail(name, "unable to create the URI");
  }
});
define("uriComponent", 1, 1, (args, name) => escapeDataString(str(name, args[0], "first")));
define("uriComponentToString", 1, 1, (args, name) => {
  try {
    return decodeURIComponent(str(name, args[0], "first").replace(/\+/g, " "));
  } catch {
    throw fail(name, "the input is not a valid URI component");
  }
});
define("dataUri", 1, 1, (args) => {
  const v = args[0];
  const text = typeof v === "string";
  const data = Array.isArray(v) || isObject(v) ? compactJson(v) : scalarText(v);
  return `data:${text ? "text/plain;charset=utf8" : "application/json;charset=utf8"};base64,${toBase64(encoder.encode(data))}`;
});
define("dataUriToString", 1, 1, (args, name) => {
  const uri = str(name, args[0], "first");
  const comma = uri.indexOf(",");
  if (!uri.toLowerCase().startsWith("data:") || comma < 0) throw fail(name, "the input is not a valid data URI");
  const meta = uri.slice(5, comma);
  const data = uri.slice(comma + 1);
  if (/;base64$/i.test(meta)) return decoder.decode(fromBase64(name, data));
  try {
    return decodeURIComponent(data.replace(/\+/g, " "));
  } catch {
    throw fail(name, "the input is not a valid data URI");
  }
});

define("substring", 2, 3, (args, name) => {
  const s = args[0] === null ? "" : str(name, args[0], "first");
  const start = int(name, args[1], "second");
  if (start < 0) throw fail(name, `the start index '${start}' must be greater than or equal to zero`);
  if (start > s.length) throw fail(name, `the start index '${start}' exceeds the string length '${s.length}'`);
  if (args.length === 2) return s.slice(start);
  const length = int(name, args[2], "third");
  if (length < 0) throw fail(name, `the length '${length}' must be greater than or equal to zero`);
  if (start + length > s.length) throw fail(name, "the index and length parameters must refer to a location within the string");
  return s.slice(start, start + length);
});

define("take", 2, 2, (args, name) => {
  const v = args[0];
  const n = Math.max(0, int(name, args[1], "second"));
  if (v === null) return null;
  if (typeof v === "string" || Array.isArray(v)) return v.slice(0, n);
  throw fail(name, "the first parameter must be an array or a string");
});
define("skip", 2, 2, (args, name) => {
  const v = args[0];
  const n = Math.max(0, int(name, args[1], "second"));
  if (v === null) return null;
  if (typeof v === "string" || Array.isArray(v)) return v.slice(n);
  throw fail(name, "the first parameter must be an array or a string");
});

define("empty", 1, 1, (args, name) => {
  const v = args[0];
  if (v === null || v === undefined) return true;
  if (typeof v === "string" || Array.isArray(v)) return v.length === 0;
  if (isObject(v)) return Object.keys(v).length === 0;
  throw fail(name, `the parameter must be a string, an array, an object or null, not '${typeName(v)}'`);
});

define("contains", 2, 2, (args, name) => {
  const container = args[0];
  const item = args[1];
  if (Array.isArray(container)) return container.some((c) => deepEquals(c, item));
  if (isObject(container)) {
    if (!isText(item)) throw fail(name, "an object can only be searched for a string key");
    return findKey(container, item) !== undefined;
  }
  if (typeof container === "string") {
    if (!isText(item) && typeof item !== "number") throw fail(name, "a string can only be searched for a string");
    return container.includes(scalarText(item));
  }
  throw fail(name, `the first parameter must be an array, an object or a string, not '${typeName(container)}'`);
});

define("intersection", 2, MANY, (args, name) => {
  if (sameTypes(name, args) === "array") {
    const [first, ...rest] = args as unknown[][];
    return distinct(first!).filter((item) => rest.every((r) => r.some((x) => deepEquals(x, item))));
  }
  const [first, ...rest] = args as JsonObject[];
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(first!)) {
    if (rest.every((r) => Object.prototype.hasOwnProperty.call(r, k) && deepEquals(r[k], v))) out[k] = v;
  }
  return out;
});

define("union", 2, MANY, (args, name) => {
  if (sameTypes(name, args) === "array") return distinct((args as unknown[][]).flat(1));
  return (args as JsonObject[]).reduce<JsonObject>((acc, o) => mergeObjects(acc, o, 0), {});
});

define("first", 1, 1, (args, name) => {
  const v = args[0];
  if (v === null) return null;
  if (Array.isArray(v)) return v.length > 0 ? v[0] : null;
  if (typeof v === "string") return v.slice(0, 1);
  throw fail(name, "the parameter must be an array or a string");
});
define("last", 1, 1, (args, name) => {
  const v = args[0];
  if (v === null) return null;
  if (Array.isArray(v)) return v.length > 0 ? v[v.length - 1] : null;
  if (typeof v === "string") return v.slice(-1);
  throw fail(name, "the parameter must be an array or a string");
});

define("indexOf", 2, 2, (args, name) => {
  const [container, item] = args;
  if (container === null) return -1;
  if (Array.isArray(container)) return container.findIndex((c) => deepEquals(c, item));
  if (typeof container === "string") return container.toLowerCase().indexOf(str(name, item, "second").toLowerCase());
  throw fail(name, "the first parameter must be an array or a string");
});
define("lastIndexOf", 2, 2, (args, name) => {
  const [container, item] = args;
  if (container === null) return -1;
  if (Array.isArray(container)) {
    for (let i = container.length - 1; i >= 0; i--) if (deepEquals(container[i], item)) return i;
    return -1;
  }
  if (typeof container === "string") {
    const needle = str(name, item, "second").toLowerCase();
    if (needle === "") return container.length === 0 ? 0 : container.length - 1;
    return container.toLowerCase().lastIndexOf(needle);
  }
  throw fail(name, "the first parameter must be an array or a string");
});
define("startsWith", 2, 2, (args, name) =>
  str(name, args[0], "first").toLowerCase().startsWith(str(name, args[1], "second").toLowerCase()),
);
define("endsWith", 2, 2, (args, name) =>
  str(name, args[0], "first").toLowerCase().endsWith(str(name, args[1], "second").toLowerCase()),
);

define("min", 1, MANY, (args, name) => Math.min(...numbers(name, args)));
define("max", 1, MANY, (args, name) => Math.max(...numbers(name, args)));

define("range", 2, 2, (args, name) => {
  const start = int(name, args[0], "first");
  const count = int(name, args[1], "second");
  if (count < 0 || count > 10_000) throw fail(name, `the count '${count}' must be between 0 and 10000`);
  if (start + count - 1 > 2_147_483_647) throw fail(name, "the range exceeds the integer range");
  return Array.from({ length: count }, (_, i) => start + i);
});

define("array", 1, 1, (args) => (Array.isArray(args[0]) ? args[0] : [args[0]]));
define("createArray", 0, MANY, (args) => [...args]);
define("createObject", 0, MANY, (args, name) => {
  if (args.length % 2 !== 0) throw fail(name, `the function requires an even number of parameters, not '${args.length}'`);
  const out: JsonObject = {};
  const seen = new Set<string>();
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i];
    if (!isText(key)) throw fail(name, `the property name at position '${i}' must be a string, not '${typeName(key)}'`);
    if (seen.has(key)) throw fail(name, `the property name '${key}' is given more than once`);
    seen.add(key);
    out[key] = args[i + 1];
  }
  return out;
});
define("coalesce", 1, MANY, (args) => args.find((a) => a !== null && a !== undefined) ?? null);

define("equals", 2, 2, (args) => {
  const [a, b] = args;
  if (typeof a === "number" && typeof b === "number") return a === b;
  return deepEquals(a, b);
});
define("less", 2, 2, (args, name) => compare(name, args[0], args[1]) < 0);
define("lessOrEquals", 2, 2, (args, name) => compare(name, args[0], args[1]) <= 0);
define("greater", 2, 2, (args, name) => compare(name, args[0], args[1]) > 0);
define("greaterOrEquals", 2, 2, (args, name) => compare(name, args[0], args[1]) >= 0);

function bools(name: string, args: unknown[]): boolean[] {
  args.forEach((a, i) => {
    if (typeof a !== "boolean") throw fail(name, `the ${nth(i)} parameter must be a boolean, not '${typeName(a)}'`);
  });
  return args as boolean[];
}
define("not", 1, 1, (args, name) => !bools(name, args)[0]);
define("and", 2, MANY, (args, name) => bools(name, args).every(Boolean));
define("or", 2, MANY, (args, name) => bools(name, args).some(Boolean));
define("true", 0, 0, () => true);
define("false", 0, 0, () => false);
define("null", 0, 0, () => null);

define("items", 1, 1, (args, name) => {
  const v = args[0];
  if (!isObject(v)) throw fail(name, `the parameter must be an object, not '${typeName(v)}'`);
  return Object.keys(v)
    .sort((a, b) => {
      const x = a.toUpperCase();
      const y = b.toUpperCase();
      return x < y ? -1 : x > y ? 1 : 0;
    })
    .map((key) => ({ key, value: v[key] }));
});
define("objectKeys", 1, 1, (args, name) => {
  const v = args[0];
  if (!isObject(v)) throw fail(name, `the parameter must be an object, not '${typeName(v)}'`);
  return Object.keys(v);
});
define("flatten", 1, 1, (args, name) => {
  const v = args[0];
  if (!Array.isArray(v) || !v.every(Array.isArray)) throw fail(name, "the parameter must be an array of arrays");
  return (v as unknown[][]).flat(1);
});

define("tryGet", 2, MANY, (args, name) => {
  let current: unknown = args[0];
  for (let i = 1; i < args.length; i++) {
    const key = args[i];
    if (!isText(key) && !isInteger(key)) throw fail(name, `the ${nth(i)} parameter must be a string or an integer`);
    if (isObject(current) && isText(key)) {
      const k = findKey(current, key);
      current = k === undefined ? null : current[k];
    } else if (Array.isArray(current) && isInteger(key)) {
      current = key >= 0 && key < current.length ? current[key] : null;
    } else {
      current = null;
    }
    if (current === null || current === undefined) return null;
  }
  return current;
});

/** The pure function with this (case-insensitive) name, if supported. */
export function pureFunction(name: string): { arity: Arity; fn: PureFunction } | undefined {
  return PURE[name.toLowerCase()];
}

/** Arity of any supported function, or undefined for names the engine does not know. */
export function arityOf(name: string): Arity | undefined {
  const lower = name.toLowerCase();
  return CONTEXT_FUNCTIONS[lower] ?? PURE[lower]?.arity;
}

/** The canonical spelling used in messages. */
export function arityMessage(name: string, arity: Arity, given: number): string {
  if (arity.min === arity.max) return `function requires ${arity.min} argument(s) while ${given} were provided`;
  if (arity.max === MANY) return `function requires at least ${arity.min} argument(s) while ${given} were provided`;
  return `function requires between ${arity.min} and ${arity.max} argument(s) while ${given} were provided`;
}
