// The ARM JSON template engine: validates a template and its parameters, expands resources into a
// plan in dependency order, and evaluates resource bodies and outputs on demand (reference() goes
// through the caller's TemplateRuntime). Pure: no I/O of its own, WebCrypto only for guid().
//
// Evaluation order follows Azure: parameters (request values, then defaults, which may be
// expressions over other parameters) → variables (over parameters and other variables, cycles
// refused) → resources (copy loops expanded; name/type/apiVersion/condition/scope/dependsOn
// evaluated at prepare time, bodies at apply time) → outputs.

import {
  EXPRESSIONS_HELP,
  ExpressionError,
  PARAMETERS_HELP,
  PASS_PARAMETERS_HELP,
  RESOURCES_HELP,
  TEMPLATE_HELP,
  TemplateError,
  functionFailed,
  functionNotExpected,
  unknownFunction,
  validationFailed,
  withHelp,
} from "./errors";
import { callsIn, classify, parseExpression, type Expr } from "./expression";
import { CONTEXT_FUNCTIONS, arityMessage, arityOf, pureFunction } from "./functions";
import { deterministicGuid, uniqueString } from "./hash";
import { formatUtc } from "./dates";
import {
  cloneValue,
  deepEquals,
  dropNulls,
  findKey,
  getProperty,
  isInteger,
  isObject,
  jsonDepth,
  scalarText,
  typeName,
  type JsonObject,
} from "./values";

// ---- public types --------------------------------------------------------------------------------

export interface DeploymentScope {
  subscriptionId: string;
  tenantId: string;
  subscriptionDisplayName: string;
  deploymentName: string;
  /** Present for resource-group deployments; absent at subscription scope. */
  resourceGroup?: { id: string; name: string; location: string; tags?: Record<string, string>; managedBy?: string };
  /** deployment().location at subscription scope (the deployment's own `location`). */
  deploymentLocation?: string;
  /** tenant().displayName; "Default Directory" when absent. */
  tenantDisplayName?: string;
  /** tenant().countryCode; "US" when absent. */
  tenantCountryCode?: string;
}

export interface TemplateRuntime {
  /** The resource's full document as a GET with that api-version would answer (id, name, type, location, tags, sku, kind, identity, properties…), or null if it does not exist. */
  readResource(id: string, apiVersion: string | undefined): Promise<Record<string, unknown> | null>;
}

export interface PlannedResource {
  /** Full resource id (resourceId() form for the deployment's scope; extension resources — a `scope` property, or the legacy nested `{ns}/{type}/providers/roleAssignments` form — become `{scope}/providers/Microsoft.Authorization/roleAssignments/{name}`). */
  id: string;
  /** The resource type (for extension resources the extension's type, e.g. Microsoft.Authorization/roleAssignments). */
  type: string;
  /** The resource name (for extension resources the extension's own name, e.g. the role assignment's GUID). */
  name: string;
  apiVersion: string;
  /** Ids of the template resources this one depends on (explicit dependsOn in every form, implicit from reference(), from a nested parent and from an in-template scope). */
  dependsOn: string[];
  /** false when `condition` evaluated false: skipped. */
  condition: boolean;
  /** Unique within the deployment: `resources[i]`, `resources[i]#k` for copy index k, `resources[i].resources[j]` for nested children. */
  symbol: string;
}

export interface PreparedDeployment {
  /** Parameters as the deployment GET echoes them: {name: {type: "String"|"Int"|"Bool"|"Object"|"Array"|"SecureString"|"SecureObject", value?}} — secure ones without value. */
  parameters: Record<string, { type: string; value?: unknown }>;
  /** Expanded (copy loops), in a valid application order (topological by dependsOn, stable by template order). */
  resources: PlannedResource[];
  /** The resource's body with every expression evaluated (reference() resolved through the runtime), JSON nulls dropped from objects recursively; top-level keys among location, tags, sku, kind, identity, properties, plan, zones, managedBy. */
  evaluate(resource: PlannedResource, runtime: TemplateRuntime): Promise<Record<string, unknown>>;
  /** Outputs as the deployment GET echoes them: {name: {type: "String"|..., value}}; secure outputs without value; outputs whose condition is false are left out. */
  outputs(runtime: TemplateRuntime): Promise<Record<string, { type: string; value?: unknown }>>;
}

// ---- limits and tables ---------------------------------------------------------------------------

const LIMITS = { parameters: 256, variables: 256, resources: 800, outputs: 64, copyCount: 800 };
const MAX_TEMPLATE_BYTES = 4 * 1024 * 1024;
/** JSON nesting of the template and of parameter values. */
const MAX_TEMPLATE_DEPTH = 128;
/** Logical evaluation depth (nested calls, variables evaluated from variables…): far below the stack. */
const MAX_EVAL_DEPTH = 600;

const PARAMETER_TYPES: Record<string, string> = {
  string: "String",
  securestring: "SecureString",
  int: "Int",
  bool: "Bool",
  object: "Object",
  secureobject: "SecureObject",
  array: "Array",
};

const BODY_KEYS = ["location", "tags", "sku", "kind", "identity", "properties", "plan", "zones", "managedBy"] as const;
/** Resource members where reference() is allowed (not name, type, apiVersion, location, copy, condition, dependsOn, scope). */
const REFERENCE_ALLOWED = new Set(["tags", "sku", "kind", "identity", "properties", "plan", "zones", "managedby"]);
const PREPARE_KEYS = ["name", "type", "apiVersion", "copy", "condition", "dependsOn", "scope"];

const PARAMETERS_LINK = "https://aka.ms/arm-template/#parameters";
const VARIABLES_LINK = "https://aka.ms/arm-template/#variables";
const OUTPUTS_LINK = "https://aka.ms/arm-template/#outputs";
const REFERENCE_LINK = "https://aka.ms/arm-template-expressions/#reference";
const COMMON_ERRORS_LINK = "https://aka.ms/arm-common-errors";
const NOT_FOUND_LINK = "https://aka.ms/ARMResourceNotFoundFix";

// ---- internal types ------------------------------------------------------------------------------

interface Loop {
  /** Lower-case loop name; undefined for an output's copy. */
  name?: string;
  index: number;
  kind: "resource" | "property" | "variable" | "output";
}

interface Ctx {
  allowReference: boolean;
  allowNow: boolean;
  allowVariables: boolean;
  loops: Loop[];
  runtime?: TemplateRuntime;
  /** Logical nesting of this evaluation, shared by every context derived from it (variables evaluated on demand included). */
  depth: { n: number };
}

function newDepth(): { n: number } {
  return { n: 0 };
}

interface Rules {
  allowReference: boolean;
  allowNow: boolean;
  allowVariables: boolean;
}

interface ParameterDef {
  name: string;
  type: string;
  def: JsonObject;
  state: "pending" | "evaluating" | "done";
  value?: unknown;
}

interface VariableDef {
  name: string;
  /** The raw value, or for a copy-defined variable its `{name,count,input}` spec. */
  raw: unknown;
  copy: boolean;
  state: "pending" | "evaluating" | "done";
  value?: unknown;
}

interface Instance {
  planned: PlannedResource;
  template: JsonObject;
  loops: Loop[];
  order: number;
  label: string;
  rawType: string;
  rawName: string;
  /** Lower-case keys a dependsOn entry may use for this resource. */
  keys: string[];
  copyKey?: string;
  parent?: Instance;
  /** Resource the extension applies to, when that is an id (for implicit ordering). */
  targetId?: string;
  explicitDependsOn: unknown;
  serialPredecessors: Instance[];
  depSet: Set<Instance>;
}

function isSecure(type: string): boolean {
  return type === "SecureString" || type === "SecureObject";
}

function resourceLabelMessage(label: string, reason: string, help: string): string {
  return `The template resource '${label}' at line '1' and column '1' is not valid: ${withHelp(reason, help)}`;
}

function valueMatchesType(type: string, value: unknown): boolean {
  switch (type) {
    case "String":
    case "SecureString":
      return typeof value === "string";
    case "Int":
      return isInteger(value);
    case "Bool":
      return typeof value === "boolean";
    case "Object":
    case "SecureObject":
      return isObject(value);
    case "Array":
      return Array.isArray(value);
  }
  return false;
}

/** Azure's name for the value types a parameter or output type accepts, for messages. */
function expectedTypeName(type: string): string {
  switch (type) {
    case "String":
    case "SecureString":
      return "String";
    case "Int":
      return "Integer";
    case "Bool":
      return "Boolean";
    case "Object":
    case "SecureObject":
      return "Object";
    default:
      return "Array";
  }
}

function shortValue(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function interleave(typeSegments: string[], nameSegments: string[]): string {
  const parts: string[] = [typeSegments[0]!];
  for (let i = 1; i < typeSegments.length; i++) parts.push(typeSegments[i]!, nameSegments[i - 1]!);
  return parts.join("/");
}

function trimId(id: string): string {
  return id.length > 1 ? id.replace(/\/+$/, "") : id;
}

// ---- the engine ----------------------------------------------------------------------------------

class Engine {
  private readonly parameterDefs = new Map<string, ParameterDef>();
  private readonly variableDefs = new Map<string, VariableDef>();
  private readonly instances: Instance[] = [];
  private readonly keyIndex = new Map<string, Instance[]>();
  private readonly copyIndex = new Map<string, Instance[]>();
  private readonly now = new Date();
  private bound = false;

  constructor(
    private readonly template: JsonObject,
    private readonly scope: DeploymentScope,
    private readonly givenParameters: unknown,
  ) {}

  // ---- scope helpers --------------------------------------------------------------------------

  private get scopeRoot(): string {
    return this.scope.resourceGroup
      ? `/subscriptions/${this.scope.subscriptionId}/resourceGroups/${this.scope.resourceGroup.name}`
      : `/subscriptions/${this.scope.subscriptionId}`;
  }

  private section(key: string): unknown {
    const k = findKey(this.template, key);
    return k === undefined ? undefined : this.template[k];
  }

  // ---- shape and limits ------------------------------------------------------------------------

  checkShape(): void {
    const languageVersion = this.section("languageVersion");
    const resources = this.section("resources");
    const symbolic = typeof languageVersion === "string" && !languageVersion.startsWith("1");
    if (symbolic || (resources !== undefined && resources !== null && !Array.isArray(resources))) {
      throw validationFailed(
        withHelp("The template language version '2.0' (symbolic resource names) is not supported by this emulator; use an array of resources", TEMPLATE_HELP),
      );
    }
    const functions = this.section("functions");
    if (Array.isArray(functions) && functions.length > 0) {
      throw validationFailed(withHelp("User-defined template functions are not supported by this emulator", EXPRESSIONS_HELP));
    }
    for (const key of ["parameters", "variables", "outputs"]) {
      const value = this.section(key);
      if (value !== undefined && value !== null && !isObject(value)) {
        throw validationFailed(withHelp(`The template section '${key}' must be a JSON object`, TEMPLATE_HELP), key);
      }
    }
    const count = (key: string) => {
      const value = this.section(key);
      return isObject(value) ? Object.keys(value).length : 0;
    };
    const limit = (what: string, limitValue: number, actual: number, link: string) => {
      if (actual > limitValue) {
        throw validationFailed(withHelp(`The number of template ${what} limit exceeded. Limit: '${limitValue}' and actual: '${actual}'`, link), what);
      }
    };
    limit("parameters", LIMITS.parameters, count("parameters"), PARAMETERS_LINK);
    limit("variables", LIMITS.variables, count("variables"), VARIABLES_LINK);
    limit("outputs", LIMITS.outputs, count("outputs"), OUTPUTS_LINK);
    let templateResources = 0;
    const countResources = (list: unknown, depth: number) => {
      if (!Array.isArray(list) || depth > 10) return;
      for (const r of list) {
        templateResources++;
        if (isObject(r)) countResources(getProperty(r, "resources"), depth + 1);
      }
    };
    countResources(resources, 0);
    limit("resources", LIMITS.resources, templateResources, RESOURCES_HELP);
  }

  // ---- static scan -----------------------------------------------------------------------------

  private checkCall(call: Extract<Expr, { kind: "call" }>, rules: Rules): void {
    const lower = call.name.toLowerCase();
    const arity = arityOf(lower);
    if (!arity) throw unknownFunction(call.name);
    if (lower === "reference" && !rules.allowReference) throw functionNotExpected(call.name);
    if ((lower === "utcnow" || lower === "newguid") && !rules.allowNow) {
      throw functionNotExpected(call.name, "The function can only be used in the default value of a parameter");
    }
    if (lower === "variables" && !rules.allowVariables) throw functionNotExpected(call.name);
    if (call.args.length < arity.min || call.args.length > arity.max) {
      throw functionFailed(call.name, arityMessage(call.name, arity, call.args.length));
    }
    const first = call.args[0];
    if (first?.kind === "string") {
      if (lower === "parameters" && !this.parameterDefs.has(first.value.toLowerCase())) throw this.parameterNotFound(first.value);
      if (lower === "variables" && !this.variableDefs.has(first.value.toLowerCase())) throw this.variableNotFound(first.value);
    }
  }

  /** Parses every expression string in a JSON value and checks its functions; throws the first problem. */
  private scan(value: unknown, rules: Rules): void {
    const stack: unknown[] = [value];
    while (stack.length > 0) {
      const v = stack.pop();
      if (typeof v === "string") {
        const c = classify(v);
        if (c.kind === "expression") for (const call of callsIn(parseExpression(c.source))) this.checkCall(call, rules);
      } else if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
      } else if (isObject(v)) {
        // Property names may be expressions too (userAssignedIdentities keyed by resourceId(…)).
        const entries = Object.entries(v);
        for (let i = entries.length - 1; i >= 0; i--) stack.push(entries[i]![1], entries[i]![0]);
      }
    }
  }

  /** Declares parameters and variables (names only) so the scan can check parameters('x')/variables('x'). */
  declare(): void {
    const parameters = this.section("parameters");
    if (isObject(parameters)) {
      for (const [name, def] of Object.entries(parameters)) {
        if (!isObject(def)) throw validationFailed(withHelp(`The template parameter '${name}' is not valid: its definition must be a JSON object`, PARAMETERS_LINK));
        const rawType = getProperty(def, "type");
        const type = typeof rawType === "string" ? PARAMETER_TYPES[rawType.toLowerCase()] : undefined;
        if (!type) {
          throw validationFailed(
            withHelp(
              `The template parameter '${name}' has an invalid type '${scalarText(rawType)}'. The supported types are 'String, SecureString, Int, Bool, Object, SecureObject, Array'`,
              PARAMETERS_LINK,
            ),
            `parameters.${name}`,
          );
        }
        if (!this.parameterDefs.has(name.toLowerCase())) this.parameterDefs.set(name.toLowerCase(), { name, type, def, state: "pending" });
      }
    }
    const variables = this.section("variables");
    if (isObject(variables)) {
      for (const [name, raw] of Object.entries(variables)) {
        if (name.toLowerCase() === "copy" && Array.isArray(raw)) {
          for (const spec of raw) {
            const copyName = isObject(spec) ? getProperty(spec, "name") : undefined;
            if (typeof copyName !== "string" || copyName === "") {
              throw validationFailed(withHelp("The template variable 'copy' is not valid: every copy entry needs a 'name'", VARIABLES_LINK), "variables.copy");
            }
            this.variableDefs.set(copyName.toLowerCase(), { name: copyName, raw: spec, copy: true, state: "pending" });
          }
          continue;
        }
        if (!this.variableDefs.has(name.toLowerCase())) this.variableDefs.set(name.toLowerCase(), { name, raw, copy: false, state: "pending" });
      }
      if (this.variableDefs.size > LIMITS.variables) {
        throw validationFailed(
          withHelp(`The number of template variables limit exceeded. Limit: '${LIMITS.variables}' and actual: '${this.variableDefs.size}'`, VARIABLES_LINK),
        );
      }
    }
  }

  /** The static check: every expression in the template parses and names only supported functions, in allowed places. */
  async scanTemplate(): Promise<void> {
    for (const p of this.parameterDefs.values()) {
      const defaultKey = findKey(p.def, "defaultValue");
      if (defaultKey === undefined) continue;
      this.asParameter(p.name, () => this.scan(p.def[defaultKey], { allowReference: false, allowNow: true, allowVariables: false }));
    }
    for (const v of this.variableDefs.values()) {
      this.asVariable(v.name, () => this.scan(v.raw, { allowReference: false, allowNow: false, allowVariables: true }));
    }
    const resources = this.section("resources");
    if (Array.isArray(resources)) {
      const visit = async (list: unknown[], prefix: string): Promise<void> => {
        for (let i = 0; i < list.length; i++) {
          const r = list[i];
          const symbol = `${prefix}resources[${i}]`;
          if (!isObject(r)) throw validationFailed(withHelp(`The template resource '${symbol}' is not valid: a resource must be a JSON object`, RESOURCES_HELP), symbol);
          try {
            for (const [key, value] of Object.entries(r)) {
              const lower = key.toLowerCase();
              if (lower === "resources" || lower === "comments" || lower === "metadata") continue;
              const isBody = BODY_KEYS.some((b) => b.toLowerCase() === lower);
              if (!isBody && !PREPARE_KEYS.some((k) => k.toLowerCase() === lower)) continue;
              this.scan(evaluated(r, key, value), { allowReference: REFERENCE_ALLOWED.has(lower), allowNow: false, allowVariables: true });
            }
          } catch (e) {
            if (e instanceof ExpressionError) {
              await this.tryBind();
              throw validationFailed(resourceLabelMessage(await this.labelFor(r, symbol), e.message, e.help), symbol);
            }
            throw e;
          }
          const nested = getProperty(r, "resources");
          if (Array.isArray(nested)) await visit(nested, `${symbol}.`);
        }
      };
      await visit(resources, "");
    }
    const outputs = this.section("outputs");
    if (isObject(outputs)) {
      for (const [name, def] of Object.entries(outputs)) {
        this.asOutputAtPrepare(name, () => this.scan(def, { allowReference: true, allowNow: false, allowVariables: true }));
      }
    }
  }

  /** The resource's evaluated name for messages, or its symbol when that cannot be had. */
  private async labelFor(resource: JsonObject, symbol: string): Promise<string> {
    const name = getProperty(resource, "name");
    if (typeof name !== "string") return symbol;
    const c = classify(name);
    if (c.kind === "literal") return c.value;
    try {
      if (!this.bound || !this.variablesDone) return symbol;
      const copy = getProperty(resource, "copy");
      const loops: Loop[] = [];
      if (isObject(copy)) {
        const copyName = getProperty(copy, "name");
        loops.push({ name: typeof copyName === "string" ? copyName.toLowerCase() : undefined, index: 0, kind: "resource" });
      }
      const value = await this.evalValue(name, { allowReference: false, allowNow: false, allowVariables: true, loops, depth: newDepth() }, 0);
      return typeof value === "string" ? value : symbol;
    } catch {
      return symbol;
    }
  }

  // ---- error wrapping --------------------------------------------------------------------------

  private asParameter<T>(name: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof ExpressionError) {
        throw validationFailed(`The template parameter '${name}' is not valid: ${withHelp(e.message, e.help)}`, `parameters.${name}`);
      }
      throw e;
    }
  }

  private asVariable<T>(name: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof ExpressionError) {
        throw validationFailed(`The template variable '${name}' is not valid: ${withHelp(e.message, e.help)}`, `variables.${name}`);
      }
      throw e;
    }
  }

  private asOutputAtPrepare<T>(name: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof ExpressionError) {
        throw validationFailed(`The template output '${name}' is not valid: ${withHelp(e.message, e.help)}`, `outputs.${name}`);
      }
      throw e;
    }
  }

  private async wrapAsync<T>(fn: () => Promise<T>, wrap: (e: ExpressionError) => TemplateError): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ExpressionError) throw wrap(e);
      if (e instanceof RangeError) throw wrap(new ExpressionError("The template is nested too deeply to evaluate"));
      throw e;
    }
  }

  private parameterNotFound(name: string): ExpressionError {
    return new ExpressionError(`The template parameter '${name}' is not found`, PARAMETERS_LINK);
  }

  private variableNotFound(name: string): ExpressionError {
    return new ExpressionError(`The template variable '${name}' is not found`, VARIABLES_LINK);
  }

  // ---- parameters ------------------------------------------------------------------------------

  private given = new Map<string, { name: string; value: unknown }>();

  async bindParameters(): Promise<void> {
    if (this.bound) return;
    const parameters = this.givenParameters;
    if (parameters !== undefined && parameters !== null && !isObject(parameters)) {
      throw validationFailed(withHelp("The deployment parameters must be a JSON object of the form {\"name\":{\"value\":…}}", PASS_PARAMETERS_HELP), "parameters");
    }
    const unknown: string[] = [];
    for (const [name, entry] of Object.entries(parameters ?? {})) {
      if (!this.parameterDefs.has(name.toLowerCase())) {
        unknown.push(name);
        continue;
      }
      if (!isObject(entry)) {
        throw validationFailed(withHelp(`The value of the deployment parameter '${name}' must be a JSON object with a 'value' property`, PASS_PARAMETERS_HELP), `parameters.${name}`);
      }
      if (findKey(entry, "reference") !== undefined && findKey(entry, "value") === undefined) {
        throw validationFailed(
          withHelp(`The deployment parameter '${name}' is a Key Vault reference; Key Vault references in parameters are not supported by this emulator`, PASS_PARAMETERS_HELP),
          `parameters.${name}`,
        );
      }
      const value = getProperty(entry, "value");
      if (jsonDepth(value, MAX_TEMPLATE_DEPTH) === Infinity) {
        throw validationFailed(withHelp(`The value of the deployment parameter '${name}' is nested too deeply`, PASS_PARAMETERS_HELP), `parameters.${name}`);
      }
      if (value !== undefined && value !== null) this.given.set(name.toLowerCase(), { name, value });
    }
    if (unknown.length > 0) {
      const declared = [...this.parameterDefs.values()].map((p) => p.name).join(", ");
      throw validationFailed(
        withHelp(
          `The template parameters '${unknown.join(", ")}' in the parameters file are not valid; they are not present in the original template and can therefore not be provided at deployment time. The only supported parameters for this template are '${declared}'`,
          PASS_PARAMETERS_HELP,
        ),
        "parameters",
      );
    }
    for (const key of this.parameterDefs.keys()) await this.parameterValue(key, newDepth());
    this.bound = true;
  }

  /** Binds parameters and variables if that succeeds, so a message can name a resource by its evaluated name. */
  private async tryBind(): Promise<void> {
    try {
      await this.bindParameters();
      await this.evaluateVariables();
    } catch {
      // The label falls back to the resource's symbol.
    }
  }

  private async parameterValue(key: string, depth: { n: number }): Promise<unknown> {
    const p = this.parameterDefs.get(key);
    if (!p) throw this.parameterNotFound(key);
    if (p.state === "done") return p.value;
    if (p.state === "evaluating") throw new ExpressionError(`The template parameter '${p.name}' refers to itself through its default value`, PARAMETERS_LINK);
    p.state = "evaluating";
    let value: unknown;
    const given = this.given.get(key);
    if (given) {
      value = given.value;
    } else {
      const defaultKey = findKey(p.def, "defaultValue");
      if (defaultKey === undefined) {
        throw validationFailed(
          withHelp(`The value for the template parameter '${p.name}' at line '1' and column '1' is not provided`, PARAMETERS_HELP),
          `parameters.${p.name}`,
        );
      }
      value = await this.wrapAsync(
        () => this.evalValue(p.def[defaultKey], { allowReference: false, allowNow: true, allowVariables: false, loops: [], depth }, 0),
        (e) => validationFailed(`The template parameter '${p.name}' is not valid: ${withHelp(e.message, e.help)}`, `parameters.${p.name}`),
      );
    }
    this.validateParameter(p, value);
    p.value = value;
    p.state = "done";
    return value;
  }

  private validateParameter(p: ParameterDef, value: unknown): void {
    const secure = isSecure(p.type);
    const fail = (why: string) =>
      validationFailed(
        withHelp(
          `The provided value${secure ? "" : ` '${shortValue(value)}'`} for the template parameter '${p.name}' at line '1' and column '1' is not valid. ${why}`,
          PARAMETERS_HELP,
        ),
        `parameters.${p.name}`,
      );
    if (!valueMatchesType(p.type, value)) {
      throw validationFailed(
        withHelp(
          `Template parameter '${p.name}' was provided an invalid value. Expected a value of type '${expectedTypeName(p.type)}', but received a value of type '${typeName(value)}'`,
          PARAMETERS_HELP,
        ),
        `parameters.${p.name}`,
      );
    }
    const allowed = getProperty(p.def, "allowedValues");
    if (Array.isArray(allowed)) {
      const candidates = p.type === "Array" ? (value as unknown[]) : [value];
      for (const candidate of candidates) {
        if (!allowed.some((a) => deepEquals(a, candidate))) {
          throw fail(`The parameter value is not part of the allowed value(s): '${allowed.map((a) => scalarText(typeof a === "object" ? JSON.stringify(a) : a)).join(",")}'`);
        }
      }
    }
    const minValue = getProperty(p.def, "minValue");
    const maxValue = getProperty(p.def, "maxValue");
    if (typeof value === "number") {
      if (typeof minValue === "number" && value < minValue) throw fail(`The parameter value is less than the minimum value allowed: '${minValue}'`);
      if (typeof maxValue === "number" && value > maxValue) throw fail(`The parameter value is greater than the maximum value allowed: '${maxValue}'`);
    }
    const minLength = getProperty(p.def, "minLength");
    const maxLength = getProperty(p.def, "maxLength");
    if (typeof value === "string" || Array.isArray(value)) {
      if (typeof minLength === "number" && value.length < minLength) throw fail(`The length of the parameter value is less than the minimum length allowed: '${minLength}'`);
      if (typeof maxLength === "number" && value.length > maxLength) throw fail(`The length of the parameter value is greater than the maximum length allowed: '${maxLength}'`);
    }
  }

  echoParameters(): Record<string, { type: string; value?: unknown }> {
    const out: Record<string, { type: string; value?: unknown }> = {};
    for (const p of this.parameterDefs.values()) {
      out[p.name] = isSecure(p.type) ? { type: p.type } : { type: p.type, value: cloneValue(p.value) };
    }
    return out;
  }

  // ---- variables -------------------------------------------------------------------------------

  private variablesDone = false;

  async evaluateVariables(): Promise<void> {
    if (this.variablesDone) return;
    for (const key of this.variableDefs.keys()) await this.variableValue(key, newDepth());
    this.variablesDone = true;
  }

  private async variableValue(key: string, depth: { n: number }): Promise<unknown> {
    const v = this.variableDefs.get(key);
    if (!v) throw this.variableNotFound(key);
    if (v.state === "done") return v.value;
    if (v.state === "evaluating") {
      throw new ExpressionError(`Circular reference detected among the template variables: the variable '${v.name}' depends on itself`, VARIABLES_LINK);
    }
    v.state = "evaluating";
    const ctx: Ctx = { allowReference: false, allowNow: false, allowVariables: true, loops: [], depth };
    const value = await this.wrapAsync(
      async () => (v.copy ? this.evalCopyArray(v.raw as JsonObject, ctx, 0, "variable") : this.evalValue(v.raw, ctx, 0)),
      (e) => validationFailed(`The template variable '${v.name}' is not valid: ${withHelp(e.message, e.help)}`, `variables.${v.name}`),
    );
    v.value = value;
    v.state = "done";
    return value;
  }

  // ---- evaluation ------------------------------------------------------------------------------

  private enter(ctx: Ctx): void {
    if (ctx.depth.n >= MAX_EVAL_DEPTH) {
      throw new ExpressionError(`The template expressions are nested more than ${MAX_EVAL_DEPTH} levels deep`);
    }
    ctx.depth.n++;
  }

  private leave(ctx: Ctx): void {
    ctx.depth.n--;
  }

  /** Evaluates a template JSON value: expression strings, `[[` escapes, property copy loops. */
  async evalValue(value: unknown, ctx: Ctx, depth: number): Promise<unknown> {
    if (depth > MAX_TEMPLATE_DEPTH) throw new ExpressionError(`The template value is nested more than ${MAX_TEMPLATE_DEPTH} levels deep`);
    if (typeof value === "string") {
      const c = classify(value);
      if (c.kind === "literal") return c.value;
      return this.evalExpr(parseExpression(c.source), ctx);
    }
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      for (const item of value) out.push(await this.evalValue(item, ctx, depth + 1));
      return out;
    }
    if (isObject(value)) {
      this.enter(ctx);
      try {
        const out: JsonObject = {};
        const copyKey = findKey(value, "copy");
        const copies = copyKey !== undefined ? value[copyKey] : undefined;
        const isPropertyCopy = Array.isArray(copies) && copies.length > 0 && copies.every((c) => isObject(c) && findKey(c, "input") !== undefined);
        for (const [k, v] of Object.entries(value)) {
          if (isPropertyCopy && k === copyKey) continue;
          out[await this.evalKey(k, ctx)] = await this.evalValue(v, ctx, depth + 1);
        }
        if (isPropertyCopy) {
          for (const spec of copies as JsonObject[]) {
            const name = getProperty(spec, "name");
            if (typeof name !== "string" || name === "") throw new ExpressionError("A property copy loop needs a 'name'");
            out[name] = await this.evalCopyArray(spec, ctx, depth + 1, "property");
          }
        }
        return out;
      } finally {
        this.leave(ctx);
      }
    }
    return value;
  }

  /**
   * A property name: ARM evaluates expressions there too, as templates key
   * `identity.userAssignedIdentities` by `[resourceId(…)]`; the result must be a string.
   */
  private async evalKey(key: string, ctx: Ctx): Promise<string> {
    const c = classify(key);
    if (c.kind === "literal") return c.value;
    const value = await this.evalExpr(parseExpression(c.source), ctx);
    if (typeof value !== "string") throw new ExpressionError(`The property name expression '${key}' must evaluate to a string, not ${typeName(value)}`);
    return value;
  }

  /** `{name?, count, input}` → array of `input` evaluated for each index. */
  private async evalCopyArray(spec: JsonObject, ctx: Ctx, depth: number, kind: Loop["kind"]): Promise<unknown[]> {
    const name = getProperty(spec, "name");
    const count = await this.copyCount(getProperty(spec, "count"), ctx, depth);
    const inputKey = findKey(spec, "input");
    if (inputKey === undefined) throw new ExpressionError(`The copy loop '${scalarText(name)}' needs an 'input'`);
    const out: unknown[] = [];
    for (let i = 0; i < count; i++) {
      const loops = [...ctx.loops, { name: typeof name === "string" ? name.toLowerCase() : undefined, index: i, kind }];
      out.push(await this.evalValue(spec[inputKey], { ...ctx, loops }, depth + 1));
    }
    return out;
  }

  private async copyCount(raw: unknown, ctx: Ctx, depth: number): Promise<number> {
    const count = await this.evalValue(raw, { ...ctx, allowReference: false }, depth + 1);
    if (!isInteger(count) || count < 0 || count > LIMITS.copyCount) {
      throw new ExpressionError(`The copy count must be a non-negative integer no greater than '${LIMITS.copyCount}', not '${scalarText(count)}'`);
    }
    return count;
  }

  private async evalExpr(expr: Expr, ctx: Ctx): Promise<unknown> {
    this.enter(ctx);
    try {
      switch (expr.kind) {
        case "string":
        case "int":
          return expr.value;
        case "call":
          return await this.call(expr, ctx);
        case "member":
          return this.member(await this.evalExpr(expr.target, ctx), expr.name);
        case "index": {
          const target = await this.evalExpr(expr.target, ctx);
          const index = await this.evalExpr(expr.index, ctx);
          if (Array.isArray(target)) {
            if (!isInteger(index)) throw new ExpressionError(`The language expression array index '${scalarText(index)}' is not an integer`);
            if (index < 0 || index >= target.length) throw new ExpressionError(`The language expression property array index '${index}' is out of bounds`);
            return target[index];
          }
          if (typeof index === "string") return this.member(target, index);
          throw new ExpressionError(`The language expression property '${scalarText(index)}' can't be evaluated on a value of type '${typeName(target)}'`);
        }
      }
    } finally {
      this.leave(ctx);
    }
  }

  private member(target: unknown, name: string): unknown {
    if (isObject(target)) {
      const key = findKey(target, name);
      if (key === undefined) {
        throw new ExpressionError(`The language expression property '${name}' doesn't exist, available properties are '${Object.keys(target).join(", ")}'`);
      }
      return target[key];
    }
    if (target === null || target === undefined) throw new ExpressionError(`The language expression property '${name}' can't be evaluated`);
    throw new ExpressionError(`The language expression property '${name}' can't be evaluated, property name must be applied to an object, not a value of type '${typeName(target)}'`);
  }

  private async call(call: Extract<Expr, { kind: "call" }>, ctx: Ctx): Promise<unknown> {
    const name = call.name;
    const lower = name.toLowerCase();
    const arity = arityOf(lower);
    if (!arity) throw unknownFunction(name);
    if (call.args.length < arity.min || call.args.length > arity.max) throw functionFailed(name, arityMessage(name, arity, call.args.length));
    if (lower === "if") {
      const condition = await this.evalExpr(call.args[0]!, ctx);
      if (typeof condition !== "boolean") throw functionFailed(name, `the condition must be a boolean, not '${typeName(condition)}'`);
      return this.evalExpr(call.args[condition ? 1 : 2]!, ctx);
    }
    if (lower === "reference" && (!ctx.allowReference || !ctx.runtime)) throw functionNotExpected(name);
    if ((lower === "utcnow" || lower === "newguid") && !ctx.allowNow) {
      throw functionNotExpected(name, "The function can only be used in the default value of a parameter");
    }
    if (lower === "variables" && !ctx.allowVariables) throw functionNotExpected(name);
    const args: unknown[] = [];
    for (const a of call.args) args.push(await this.evalExpr(a, ctx));
    if (!(lower in CONTEXT_FUNCTIONS)) return pureFunction(lower)!.fn(args, name);
    const text = (i: number, what = "string"): string => {
      const v = args[i];
      if (typeof v !== "string") throw functionFailed(name, `the parameter at position '${i + 1}' must be a ${what}, not '${typeName(v)}'`);
      return v;
    };
    switch (lower) {
      case "parameters":
        return this.parameterValue(text(0).toLowerCase(), ctx.depth);
      case "variables":
        return this.variableValue(text(0).toLowerCase(), ctx.depth);
      case "copyindex":
        return this.copyIndexValue(name, args, ctx);
      case "resourceid":
        return this.resourceIdFunction(name, args);
      case "subscriptionresourceid": {
        const typeAt = args.findIndex((a) => typeof a === "string" && a.includes("/"));
        if (typeAt < 0 || typeAt > 1) throw functionFailed(name, "the resource type (the first parameter containing '/') must be the first or second parameter");
        const sub = typeAt === 1 ? text(0) : this.scope.subscriptionId;
        return `/subscriptions/${sub}/providers/${this.typedName(name, args, typeAt)}`;
      }
      case "tenantresourceid": {
        if (typeof args[0] !== "string" || !args[0].includes("/")) throw functionFailed(name, "the first parameter must be a resource type");
        return `/providers/${this.typedName(name, args, 0)}`;
      }
      case "extensionresourceid": {
        const base = trimId(text(0));
        return `${base === "/" ? "" : base}/providers/${this.typedName(name, args, 1)}`;
      }
      case "reference":
        return this.reference(name, args, ctx);
      case "resourcegroup": {
        const rg = this.scope.resourceGroup;
        if (!rg) throw functionNotExpected(name, "The deployment is not at resource group scope");
        const out: JsonObject = {
          id: rg.id,
          name: rg.name,
          type: "Microsoft.Resources/resourceGroups",
          location: rg.location,
          tags: { ...(rg.tags ?? {}) },
          properties: { provisioningState: "Succeeded" },
        };
        if (rg.managedBy) out.managedBy = rg.managedBy;
        return out;
      }
      case "subscription":
        return {
          id: `/subscriptions/${this.scope.subscriptionId}`,
          subscriptionId: this.scope.subscriptionId,
          tenantId: this.scope.tenantId,
          displayName: this.scope.subscriptionDisplayName,
        };
      case "tenant":
        return {
          countryCode: this.scope.tenantCountryCode ?? "US",
          displayName: this.scope.tenantDisplayName ?? "Default Directory",
          id: `/tenants/${this.scope.tenantId}`,
          tenantId: this.scope.tenantId,
        };
      case "deployment": {
        const template: JsonObject = {};
        const schema = this.section("$schema");
        const contentVersion = this.section("contentVersion");
        if (schema !== undefined) template.$schema = schema;
        if (contentVersion !== undefined) template.contentVersion = contentVersion;
        const out: JsonObject = {
          name: this.scope.deploymentName,
          properties: { template, mode: "Incremental", provisioningState: "Accepted" },
        };
        if (!this.scope.resourceGroup && this.scope.deploymentLocation) out.location = this.scope.deploymentLocation;
        return out;
      }
      case "guid":
      case "uniquestring": {
        const parts = args.map((a, i) => {
          if (typeof a !== "string") throw functionFailed(name, `the parameter at position '${i + 1}' must be a string, not '${typeName(a)}'`);
          return a;
        });
        return lower === "guid" ? deterministicGuid(parts) : uniqueString(parts);
      }
      case "utcnow":
        return formatUtc(this.now, args.length > 0 ? text(0) : "yyyyMMddTHHmmssZ");
      case "newguid":
        return crypto.randomUUID();
    }
    throw unknownFunction(name);
  }

  private copyIndexValue(name: string, args: unknown[], ctx: Ctx): number {
    let loopName: string | undefined;
    let offset = 0;
    if (args.length === 2) {
      if (typeof args[0] !== "string") throw functionFailed(name, "the loop name must be a string");
      if (!isInteger(args[1])) throw functionFailed(name, "the offset must be an integer");
      loopName = args[0];
      offset = args[1];
    } else if (args.length === 1) {
      if (typeof args[0] === "string") loopName = args[0];
      else if (isInteger(args[0])) offset = args[0];
      else throw functionFailed(name, "the parameter must be a loop name or an integer offset");
    }
    let loop: Loop | undefined;
    if (loopName !== undefined) {
      const lower = loopName.toLowerCase();
      loop = [...ctx.loops].reverse().find((l) => l.name === lower);
      if (!loop) throw functionNotExpected(name, `The copy loop '${loopName}' is not found`);
    } else {
      loop = [...ctx.loops].reverse().find((l) => l.kind === "resource" || l.kind === "output");
      if (!loop) throw functionNotExpected(name);
    }
    return loop.index + offset;
  }

  /** `ns/t1/n1/t2/n2` from args[typeAt] (the type) and the names after it. */
  private typedName(name: string, args: unknown[], typeAt: number): string {
    const type = args[typeAt];
    if (typeof type !== "string" || !type.includes("/")) throw functionFailed(name, "the resource type must have the form '{namespace}/{type}'");
    const typeSegments = type.split("/").filter((s) => s !== "");
    const names: string[] = [];
    for (let i = typeAt + 1; i < args.length; i++) {
      const n = args[i];
      if (typeof n !== "string") throw functionFailed(name, `the resource name at position '${i + 1}' must be a string, not '${typeName(n)}'`);
      names.push(...n.split("/"));
    }
    if (names.length !== typeSegments.length - 1) {
      throw functionFailed(name, `the type '${type}' requires '${typeSegments.length - 1}' resource name argument(s)`);
    }
    return interleave(typeSegments, names);
  }

  private resourceIdFunction(name: string, args: unknown[]): string {
    const typeAt = args.findIndex((a) => typeof a === "string" && a.includes("/"));
    if (typeAt < 0) throw functionFailed(name, "no resource type (a parameter of the form '{namespace}/{type}') was given");
    if (typeAt > 2) throw functionFailed(name, "at most a subscription id and a resource group name may precede the resource type");
    for (let i = 0; i < typeAt; i++) {
      if (typeof args[i] !== "string") throw functionFailed(name, `the parameter at position '${i + 1}' must be a string`);
    }
    const sub = typeAt === 2 ? (args[0] as string) : this.scope.subscriptionId;
    const rg = typeAt >= 1 ? (args[typeAt - 1] as string) : this.scope.resourceGroup?.name;
    const prefix = rg !== undefined ? `/subscriptions/${sub}/resourceGroups/${rg}` : `/subscriptions/${sub}`;
    return `${prefix}/providers/${this.typedName(name, args, typeAt)}`;
  }

  // ---- reference() -----------------------------------------------------------------------------

  /** The template resource (if any) and id a reference() target names. */
  private resolveReference(target: string): { id: string; instance?: Instance } {
    if (target.startsWith("/")) {
      const id = trimId(target);
      return { id, instance: this.keyIndex.get(id.toLowerCase())?.[0] };
    }
    const match = this.keyIndex.get(trimId(target).toLowerCase())?.[0];
    if (match) return { id: match.planned.id, instance: match };
    if (!target.includes("/")) {
      throw new ExpressionError(
        `The template reference '${target}' is not valid: could not find template resource or resource copy with this name`,
        REFERENCE_LINK,
      );
    }
    return { id: `${this.scopeRoot}/providers/${trimId(target)}` };
  }

  private async reference(name: string, args: unknown[], ctx: Ctx): Promise<unknown> {
    const target = args[0];
    if (typeof target !== "string" || target === "") throw functionFailed(name, "the first parameter must be a resource name or id");
    let apiVersion: string | undefined;
    if (args.length > 1 && args[1] !== null) {
      if (typeof args[1] !== "string") throw functionFailed(name, "the api version must be a string");
      apiVersion = args[1];
    }
    let full = false;
    if (args.length > 2 && args[2] !== null) {
      if (typeof args[2] !== "string" || args[2].toLowerCase() !== "full") throw functionFailed(name, "the third parameter must be 'Full'");
      full = true;
    }
    const { id, instance } = this.resolveReference(target);
    apiVersion ??= instance?.planned.apiVersion;
    const doc = await ctx.runtime!.readResource(id, apiVersion);
    const relative = relativeResourceId(id);
    if (!doc) {
      const rg = /\/resourceGroups\/([^/]+)/i.exec(id)?.[1];
      throw new TemplateError(
        "ResourceNotFound",
        `The Resource '${relative}' under resource group '${rg ?? ""}' was not found. For more details please go to ${NOT_FOUND_LINK}`,
        id,
      );
    }
    if (!full) return doc.properties ?? {};
    const out: JsonObject = { ...doc };
    if (apiVersion !== undefined) {
      out.apiVersion = apiVersion;
      out.referenceApiVersion = apiVersion;
    }
    const sub = /^\/subscriptions\/([^/]+)/i.exec(id)?.[1];
    const rg = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)/i.exec(id)?.[1];
    if (sub !== undefined) out.subscriptionId = sub;
    if (rg !== undefined) out.resourceGroupName = rg;
    out.resourceId = relative;
    out.condition = instance?.planned.condition ?? true;
    out.isConditionTrue = instance?.planned.condition ?? true;
    out.isTemplateResource = instance !== undefined;
    out.isAction = false;
    out.provisioningOperation = instance ? "Create" : "Read";
    return out;
  }

  // ---- resources -------------------------------------------------------------------------------

  private resourceError(label: string, symbol: string) {
    return (e: ExpressionError) => validationFailed(resourceLabelMessage(label, e.message, e.help), symbol);
  }

  async planResources(): Promise<void> {
    const resources = this.section("resources");
    if (!Array.isArray(resources)) return;
    for (let i = 0; i < resources.length; i++) await this.expand(resources[i] as JsonObject, `resources[${i}]`, undefined, []);
    if (this.instances.length > LIMITS.resources) {
      throw validationFailed(
        withHelp(`The number of template resources limit exceeded. Limit: '${LIMITS.resources}' and actual: '${this.instances.length}'`, RESOURCES_HELP),
      );
    }
  }

  private async expand(resource: JsonObject, symbol: string, parent: Instance | undefined, parentLoops: Loop[]): Promise<void> {
    const label = await this.labelFor(resource, symbol);
    const wrap = this.resourceError(label, symbol);
    const baseCtx: Ctx = { allowReference: false, allowNow: false, allowVariables: true, loops: parentLoops, depth: newDepth() };
    const copy = getProperty(resource, "copy");
    let copyName: string | undefined;
    let count = 1;
    let serialBatch = 0;
    if (copy !== undefined && copy !== null) {
      if (parent) throw wrap(new ExpressionError("A copy loop cannot be used on a nested child resource; declare the child at the top level", RESOURCES_HELP));
      if (!isObject(copy)) throw wrap(new ExpressionError("The copy property must be a JSON object", RESOURCES_HELP));
      const n = getProperty(copy, "name");
      if (typeof n !== "string" || n === "") throw wrap(new ExpressionError("The copy loop needs a 'name'", RESOURCES_HELP));
      copyName = n;
      count = await this.wrapAsync(() => this.copyCount(getProperty(copy, "count"), baseCtx, 0), wrap);
      const mode = getProperty(copy, "mode");
      if (typeof mode === "string" && mode.toLowerCase() === "serial") {
        const batch = await this.wrapAsync(() => this.evalValue(getProperty(copy, "batchSize") ?? 1, baseCtx, 0), wrap);
        serialBatch = isInteger(batch) && batch > 0 ? batch : 1;
      }
    }
    const created: Instance[] = [];
    for (let k = 0; k < count; k++) {
      const loops = copyName ? [...parentLoops, { name: copyName.toLowerCase(), index: k, kind: "resource" as const }] : parentLoops;
      const instanceSymbol = copyName ? `${symbol}#${k}` : symbol;
      let instanceLabel = label;
      const instance = await this.wrapAsync(
        () => this.instantiate(resource, instanceSymbol, parent, loops, (evaluated) => (instanceLabel = evaluated)),
        (e) => this.resourceError(instanceLabel, instanceSymbol)(e),
      );
      if (this.instances.length > LIMITS.resources) {
        throw validationFailed(
          withHelp(`The number of template resources limit exceeded. Limit: '${LIMITS.resources}' and actual: '${this.instances.length}'`, RESOURCES_HELP),
        );
      }
      if (copyName) {
        instance.copyKey = copyName.toLowerCase();
        const list = this.copyIndex.get(instance.copyKey) ?? [];
        list.push(instance);
        this.copyIndex.set(instance.copyKey, list);
        if (serialBatch > 0) {
          const batch = Math.floor(k / serialBatch);
          if (batch > 0) instance.serialPredecessors = created.slice((batch - 1) * serialBatch, batch * serialBatch);
        }
      }
      created.push(instance);
      const nested = getProperty(resource, "resources");
      if (Array.isArray(nested)) {
        for (let j = 0; j < nested.length; j++) {
          await this.expand(nested[j] as JsonObject, `${instanceSymbol}.resources[${j}]`, instance, loops);
        }
      }
    }
  }

  private async instantiate(
    resource: JsonObject,
    symbol: string,
    parent: Instance | undefined,
    loops: Loop[],
    named: (label: string) => void,
  ): Promise<Instance> {
    const ctx: Ctx = { allowReference: false, allowNow: false, allowVariables: true, loops, depth: newDepth() };
    const field = async (key: string): Promise<unknown> => {
      const raw = getProperty(resource, key);
      return raw === undefined ? undefined : this.evalValue(raw, ctx, 0);
    };
    let type = await field("type");
    let name = await field("name");
    const apiVersion = await field("apiVersion");
    if (typeof type !== "string" || type === "") throw new ExpressionError("The resource 'type' is missing or not a string", RESOURCES_HELP);
    if (typeof name !== "string" || name === "") throw new ExpressionError("The resource 'name' is missing or not a string", RESOURCES_HELP);
    if (typeof apiVersion !== "string" || apiVersion === "") throw new ExpressionError("The resource 'apiVersion' is missing or not a string", RESOURCES_HELP);
    if (parent) {
      const firstSegment = type.split("/")[0]!;
      if (!firstSegment.includes(".")) {
        type = `${parent.rawType}/${type}`;
        name = `${parent.rawName}/${name}`;
      }
    }
    named(name as string);
    let condition = true;
    const rawCondition = getProperty(resource, "condition");
    if (rawCondition !== undefined && rawCondition !== null) {
      const value = await this.evalValue(rawCondition, ctx, 0);
      if (typeof value === "boolean") condition = value;
      else if (typeof value === "string" && /^(true|false)$/i.test(value)) condition = value.toLowerCase() === "true";
      else throw new ExpressionError(`The resource condition must evaluate to a boolean, not '${typeName(value)}'`, RESOURCES_HELP);
    }
    if (parent && !parent.planned.condition) condition = false;
    const scopeValue = await field("scope");
    if (scopeValue !== undefined && scopeValue !== null && typeof scopeValue !== "string") {
      throw new ExpressionError("The resource 'scope' must be a resource id", RESOURCES_HELP);
    }
    const identity = this.identify(type as string, name as string, typeof scopeValue === "string" ? scopeValue : undefined);
    const planned: PlannedResource = {
      id: identity.id,
      type: identity.type,
      name: identity.name,
      apiVersion,
      dependsOn: [],
      condition,
      symbol,
    };
    const instance: Instance = {
      planned,
      template: resource,
      loops,
      order: this.instances.length,
      label: name as string,
      rawType: type as string,
      rawName: name as string,
      keys: [],
      parent,
      targetId: identity.targetId,
      explicitDependsOn: getProperty(resource, "dependsOn"),
      serialPredecessors: [],
      depSet: new Set(),
    };
    const keys = new Set<string>([
      planned.id,
      instance.rawName,
      `${instance.rawType}/${instance.rawName}`,
      planned.name,
      `${planned.type}/${planned.name}`,
      relativeResourceId(planned.id),
    ]);
    instance.keys = [...keys].map((k) => k.toLowerCase());
    for (const key of instance.keys) {
      const list = this.keyIndex.get(key) ?? [];
      list.push(instance);
      this.keyIndex.set(key, list);
    }
    this.instances.push(instance);
    return instance;
  }

  /** Id, type and name of a resource at this deployment's scope (extension forms included). */
  private identify(type: string, name: string, scopeValue: string | undefined): { id: string; type: string; name: string; targetId?: string } {
    const typeSegments = type.split("/");
    const nameSegments = name.split("/");
    const segmentError = () =>
      new ExpressionError(
        `The resource type '${type}' and name '${name}' have incorrect segment lengths. A nested resource type must have identical number of segments as its resource name. A root resource type must have segment length one greater than its resource name`,
        RESOURCES_HELP,
      );
    if (typeSegments.some((s) => s === "") || nameSegments.some((s) => s === "")) throw segmentError();
    const providersAt = typeSegments.findIndex((s, i) => i > 1 && s.toLowerCase() === "providers");
    if (providersAt > 0) {
      // Legacy nested extension: {ns}/{t1}[/…]/providers/{extType} named {n1}[/…]/{extNs}/{extName}.
      const baseType = typeSegments.slice(0, providersAt);
      let extType = typeSegments.slice(providersAt + 1);
      const k = baseType.length - 1;
      const baseNames = nameSegments.slice(0, k);
      let extNamespace: string;
      let extNames: string[];
      if (extType.length > 1 && extType[0]!.includes(".")) {
        extNamespace = extType[0]!;
        extType = extType.slice(1);
        extNames = nameSegments.slice(k);
      } else {
        extNamespace = nameSegments[k] ?? "";
        extNames = nameSegments.slice(k + 1);
      }
      if (k < 1 || baseNames.length !== k || extType.length === 0 || extNames.length !== extType.length || extNamespace === "") throw segmentError();
      const targetId = this.scopedId(baseType, baseNames);
      const extPath = extType.flatMap((t, i) => [t, extNames[i]!]).join("/");
      return {
        id: `${targetId}/providers/${extNamespace}/${extPath}`,
        type: `${extNamespace}/${extType.join("/")}`,
        name: extNames.join("/"),
        targetId,
      };
    }
    if (typeSegments.length < 2 || nameSegments.length !== typeSegments.length - 1) throw segmentError();
    if (scopeValue !== undefined && scopeValue !== "") {
      const scopeId = this.resolveScope(scopeValue);
      return {
        id: `${scopeId === "/" ? "" : scopeId}/providers/${interleave(typeSegments, nameSegments)}`,
        type,
        name,
        targetId: scopeId,
      };
    }
    return { id: this.scopedId(typeSegments, nameSegments), type, name };
  }

  private scopedId(typeSegments: string[], nameSegments: string[]): string {
    if (!this.scope.resourceGroup && typeSegments.length === 2 && `${typeSegments[0]}/${typeSegments[1]}`.toLowerCase() === "microsoft.resources/resourcegroups") {
      return `/subscriptions/${this.scope.subscriptionId}/resourceGroups/${nameSegments[0]}`;
    }
    return `${this.scopeRoot}/providers/${interleave(typeSegments, nameSegments)}`;
  }

  private resolveScope(value: string): string {
    if (value.startsWith("/")) return trimId(value);
    const segments = value.split("/").filter((s) => s !== "");
    if (segments.length < 3 || segments.length % 2 === 0) {
      throw new ExpressionError(`The resource scope '${value}' is not a resource id nor a '{namespace}/{type}/{name}' reference`, RESOURCES_HELP);
    }
    return `${this.scopeRoot}/providers/${segments.join("/")}`;
  }

  // ---- dependencies ----------------------------------------------------------------------------

  async resolveDependencies(): Promise<void> {
    for (const instance of this.instances) {
      const wrap = this.resourceError(instance.label, instance.planned.symbol);
      const add = (other: Instance) => instance.depSet.add(other);
      // Explicit dependsOn.
      const raw = instance.explicitDependsOn;
      if (raw !== undefined && raw !== null) {
        if (!Array.isArray(raw)) throw wrap(new ExpressionError("The 'dependsOn' property must be an array", RESOURCES_HELP));
        const ctx: Ctx = { allowReference: false, allowNow: false, allowVariables: true, loops: instance.loops, depth: newDepth() };
        for (const entry of raw) {
          const value = await this.wrapAsync(() => this.evalValue(entry, ctx, 0), wrap);
          const names = Array.isArray(value) ? value : [value];
          for (const v of names) {
            if (v === null || v === undefined || v === "") continue;
            if (typeof v !== "string") throw wrap(new ExpressionError(`A 'dependsOn' entry must be a string, not '${typeName(v)}'`, RESOURCES_HELP));
            const key = trimId(v).toLowerCase();
            const matches = [...(this.keyIndex.get(key) ?? []), ...(this.copyIndex.get(key) ?? [])];
            if (matches.length === 0) {
              throw validationFailed(withHelp(`The resource '${v}' is not defined in the template`, TEMPLATE_HELP), instance.planned.symbol);
            }
            matches.forEach(add);
          }
        }
      }
      for (const p of instance.serialPredecessors) add(p);
      // Implicit: nested parent, in-template extension target, reference() targets.
      if (instance.parent) add(instance.parent);
      if (instance.targetId) for (const t of this.keyIndex.get(instance.targetId.toLowerCase()) ?? []) if (t !== instance) add(t);
      for (const [key, value] of Object.entries(instance.template)) {
        if (!REFERENCE_ALLOWED.has(key.toLowerCase())) continue;
        for (const target of await this.referenceTargets(evaluated(instance.template, key, value), instance, wrap)) if (target !== instance) add(target);
      }
      instance.planned.dependsOn = [...instance.depSet].map((d) => d.planned.id).filter((id, i, all) => all.indexOf(id) === i);
    }
  }

  /** Template resources named by reference() calls whose first argument can be evaluated before deployment. */
  private async referenceTargets(value: unknown, instance: Instance, wrap: (e: ExpressionError) => TemplateError): Promise<Instance[]> {
    const found: Instance[] = [];
    const stack: unknown[] = [value];
    const ctx: Ctx = { allowReference: false, allowNow: false, allowVariables: true, loops: instance.loops, depth: newDepth() };
    while (stack.length > 0) {
      const v = stack.pop();
      if (typeof v === "string") {
        const c = classify(v);
        if (c.kind !== "expression") continue;
        for (const call of callsIn(parseExpression(c.source))) {
          if (call.name.toLowerCase() !== "reference" || call.args.length === 0) continue;
          let target: unknown;
          try {
            target = await this.evalExpr(call.args[0]!, ctx);
          } catch {
            continue; // depends on runtime values or a property loop: resolved when evaluated
          }
          if (typeof target !== "string") continue;
          const resolved = await this.wrapAsync(async () => this.resolveReference(target as string), wrap);
          if (resolved.instance) {
            for (const m of this.keyIndex.get(resolved.instance.planned.id.toLowerCase()) ?? []) found.push(m);
          }
        }
      } else if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
      } else if (isObject(v)) {
        const values = Object.values(v);
        for (let i = values.length - 1; i >= 0; i--) stack.push(values[i]);
      }
    }
    return found;
  }

  /** Topological order (Kahn), stable by template order; refuses cycles. */
  order(): PlannedResource[] {
    const waiting = new Map<Instance, number>();
    const dependents = new Map<Instance, Instance[]>();
    for (const instance of this.instances) {
      waiting.set(instance, instance.depSet.size);
      for (const d of instance.depSet) {
        const list = dependents.get(d) ?? [];
        list.push(instance);
        dependents.set(d, list);
      }
    }
    const ready = this.instances.filter((i) => i.depSet.size === 0);
    const out: PlannedResource[] = [];
    const placed = new Set<Instance>();
    while (ready.length > 0) {
      let best = 0;
      for (let i = 1; i < ready.length; i++) if (ready[i]!.order < ready[best]!.order) best = i;
      const next = ready.splice(best, 1)[0]!;
      placed.add(next);
      out.push(next.planned);
      for (const dependent of dependents.get(next) ?? []) {
        const left = waiting.get(dependent)! - 1;
        waiting.set(dependent, left);
        if (left === 0) ready.push(dependent);
      }
    }
    if (out.length < this.instances.length) {
      const cyclic = this.findCycleMember(new Set(this.instances.filter((i) => !placed.has(i))));
      throw validationFailed(withHelp(`Circular dependency detected on resource: '${cyclic.planned.id}'`, RESOURCES_HELP), cyclic.planned.symbol);
    }
    return out;
  }

  private findCycleMember(remaining: Set<Instance>): Instance {
    const sorted = [...remaining].sort((a, b) => a.order - b.order);
    for (const start of sorted) {
      // Walk dependencies within the remaining set; a node reached again is on a cycle.
      const seen = new Set<Instance>();
      let current: Instance | undefined = start;
      while (current && !seen.has(current)) {
        seen.add(current);
        current = [...current.depSet].find((d) => remaining.has(d));
      }
      if (current) return current;
    }
    return sorted[0]!;
  }

  // ---- apply-time evaluation ---------------------------------------------------------------------

  private instanceFor(resource: PlannedResource): Instance {
    const bySymbol = this.instances.find((i) => i.planned.symbol === resource.symbol);
    const instance = bySymbol ?? this.instances.find((i) => i.planned.id.toLowerCase() === resource.id.toLowerCase());
    if (!instance) {
      throw new TemplateError("InvalidTemplate", `The resource '${resource.id}' is not part of this deployment's template.`, resource.symbol);
    }
    return instance;
  }

  async evaluate(resource: PlannedResource, runtime: TemplateRuntime): Promise<Record<string, unknown>> {
    const instance = this.instanceFor(resource);
    const body: JsonObject = {};
    await this.wrapAsync(
      async () => {
        for (const key of BODY_KEYS) {
          const k = findKey(instance.template, key);
          if (k === undefined) continue;
          const ctx: Ctx = {
            allowReference: REFERENCE_ALLOWED.has(key.toLowerCase()),
            allowNow: false,
            allowVariables: true,
            loops: instance.loops,
            runtime,
            depth: newDepth(),
          };
          const raw = instance.template[k];
          body[key] = await this.evalValue(evaluated(instance.template, k, raw), ctx, 0);
          const inner = innerTemplate(instance.template, k, raw);
          if (inner !== undefined && isObject(body[key])) (body[key] as JsonObject)[inner.key] = cloneValue(inner.template);
        }
      },
      (e) =>
        new TemplateError(
          "InvalidTemplate",
          `Unable to process template language expressions for resource '${instance.planned.id}' at line '1' and column '1'. '${withHelp(e.message, e.help)}'`,
          instance.planned.symbol,
        ),
    );
    return dropNulls(body) as Record<string, unknown>;
  }

  async outputs(runtime: TemplateRuntime): Promise<Record<string, { type: string; value?: unknown }>> {
    const outputs = this.section("outputs");
    const out: Record<string, { type: string; value?: unknown }> = {};
    if (!isObject(outputs)) return out;
    for (const [name, def] of Object.entries(outputs)) {
      const fail = (inner: string, code = "DeploymentOutputEvaluationFailed") =>
        new TemplateError(
          "DeploymentOutputEvaluationFailed",
          `Unable to evaluate template outputs: '${name}'. Please see error details and deployment operations. Please see ${COMMON_ERRORS_LINK} for usage details.`,
          name,
          [{ code, target: name, message: inner }],
        );
      try {
        if (!isObject(def)) throw new ExpressionError("An output definition must be a JSON object", OUTPUTS_LINK);
        const rawType = getProperty(def, "type");
        const type = typeof rawType === "string" ? PARAMETER_TYPES[rawType.toLowerCase()] : undefined;
        if (!type) throw new ExpressionError(`The output type '${scalarText(rawType)}' is not valid`, OUTPUTS_LINK);
        const ctx: Ctx = { allowReference: true, allowNow: false, allowVariables: true, loops: [], runtime, depth: newDepth() };
        const rawCondition = getProperty(def, "condition");
        if (rawCondition !== undefined && rawCondition !== null) {
          const condition = await this.evalValue(rawCondition, ctx, 0);
          if (typeof condition !== "boolean") throw new ExpressionError(`The output condition must evaluate to a boolean, not '${typeName(condition)}'`, OUTPUTS_LINK);
          if (!condition) continue;
        }
        const copy = getProperty(def, "copy");
        let value: unknown;
        if (isObject(copy)) {
          value = await this.evalCopyArray(copy, ctx, 0, "output");
        } else {
          const valueKey = findKey(def, "value");
          if (valueKey === undefined) throw new ExpressionError("An output needs a 'value' or a 'copy'", OUTPUTS_LINK);
          value = await this.evalValue(def[valueKey], ctx, 0);
        }
        if (!valueMatchesType(type, value)) {
          throw new ExpressionError(
            `Template output value type '${typeName(value)}' does not match the declared type '${expectedTypeName(type)}'`,
            OUTPUTS_LINK,
          );
        }
        out[name] = isSecure(type) ? { type } : { type, value: cloneValue(value) };
      } catch (e) {
        if (e instanceof ExpressionError) throw fail(`The template output '${name}' is not valid: ${withHelp(e.message, e.help)}`);
        if (e instanceof TemplateError) throw fail(e.message, e.code);
        if (e instanceof RangeError) throw fail(`The template output '${name}' is not valid: the value is nested too deeply.`);
        throw e;
      }
    }
    return out;
  }
}

/**
 * A nested deployment (Microsoft.Resources/deployments) with expressionEvaluationOptions.scope
 * "inner" carries a template whose expressions belong to that deployment, not to this one: its
 * properties.template is neither checked nor evaluated here (it is handed on as written).
 */
function innerTemplate(resource: JsonObject, key: string, value: unknown): { key: string; template: unknown } | undefined {
  if (key.toLowerCase() !== "properties" || !isObject(value)) return undefined;
  const type = getProperty(resource, "type");
  if (typeof type !== "string" || type.toLowerCase() !== "microsoft.resources/deployments") return undefined;
  const options = getProperty(value, "expressionEvaluationOptions");
  const scope = isObject(options) ? getProperty(options, "scope") : undefined;
  if (typeof scope !== "string" || scope.toLowerCase() !== "inner") return undefined;
  const templateKey = findKey(value, "template");
  return templateKey === undefined ? undefined : { key: templateKey, template: value[templateKey] };
}

/** The part of a resource member this deployment evaluates (all of it, but an inner-scope nested template). */
function evaluated(resource: JsonObject, key: string, value: unknown): unknown {
  const inner = innerTemplate(resource, key, value);
  if (inner === undefined) return value;
  const rest: JsonObject = { ...(value as JsonObject) };
  delete rest[inner.key];
  return rest;
}

/** `{ns}/{type}/{name}[/…]`: what follows the first `/providers/` of an id (or the id itself). */
function relativeResourceId(id: string): string {
  const at = id.toLowerCase().indexOf("/providers/");
  if (at < 0) return id.replace(/^\//, "");
  return id.slice(at + "/providers/".length);
}

// ---- entry point ---------------------------------------------------------------------------------

/**
 * Validates the whole template and its parameters before anything is applied, and returns the
 * plan. Throws TemplateError (code InvalidTemplate) for unknown or unsupported functions (naming
 * the function and the resource), functions where they are not allowed, missing or undeclared
 * parameters, wrong types, disallowed values, unknown variables, cycles among variables or
 * resources, dependsOn entries that name nothing, bad expression syntax and exceeded limits.
 * Asynchronous because guid() hashes with WebCrypto.
 */
export async function prepareDeployment(template: unknown, parameters: unknown, scope: DeploymentScope): Promise<PreparedDeployment> {
  if (!isObject(template)) throw validationFailed(withHelp("The template must be a JSON object", TEMPLATE_HELP));
  if (jsonDepth(template, MAX_TEMPLATE_DEPTH) === Infinity) {
    throw validationFailed(withHelp(`The template is nested more than ${MAX_TEMPLATE_DEPTH} levels deep`, TEMPLATE_HELP));
  }
  let size: number;
  try {
    size = JSON.stringify(template).length;
  } catch {
    throw validationFailed(withHelp("The template cannot be serialized as JSON", TEMPLATE_HELP));
  }
  if (size > MAX_TEMPLATE_BYTES) {
    throw validationFailed(withHelp(`The template is ${size} bytes long; the limit is ${MAX_TEMPLATE_BYTES} bytes`, TEMPLATE_HELP));
  }
  const engine = new Engine(template, scope, parameters);
  engine.checkShape();
  engine.declare();
  await engine.scanTemplate();
  await engine.bindParameters();
  await engine.evaluateVariables();
  await engine.planResources();
  await engine.resolveDependencies();
  const resources = engine.order();
  return {
    parameters: engine.echoParameters(),
    resources,
    evaluate: (resource, runtime) => engine.evaluate(resource, runtime),
    outputs: (runtime) => engine.outputs(runtime),
  };
}
