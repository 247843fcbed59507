// Errors of the template engine, in Azure Resource Manager's words.
//
// Two layers: `ExpressionError` is thrown by the evaluator and the built-in functions with a bare
// reason ("The template function 'foo' is not valid"); the engine catches it where it knows what
// was being evaluated (a parameter, a variable, a resource, an output) and turns it into a
// `TemplateError` whose message is the whole sentence Azure answers with.

export type TemplateErrorCode =
  | "InvalidTemplate"
  | "InvalidDeployment"
  | "ResourceNotFound"
  | "DeploymentOutputEvaluationFailed";

export interface TemplateErrorDetail {
  code: string;
  message: string;
  target?: string;
}

/**
 * A template or deployment error as Azure reports it: `code` and `message` go into the
 * `{"error":{"code","message"}}` body (400 at validation time, or the failed operation's
 * statusMessage at apply time). `target` is where in the template the problem is (a JSON-ish path
 * such as `resources[3].properties` or `parameters.adminPassword`, or an output's name); `details`
 * carries inner errors where Azure nests them (output evaluation).
 */
export class TemplateError extends Error {
  readonly code: TemplateErrorCode;
  readonly target?: string;
  readonly details?: TemplateErrorDetail[];

  constructor(code: TemplateErrorCode, message: string, target?: string, details?: TemplateErrorDetail[]) {
    super(message);
    this.name = "TemplateError";
    this.code = code;
    if (target !== undefined) this.target = target;
    if (details !== undefined) this.details = details;
  }
}

/** A reason without its surroundings; see the file comment. */
export class ExpressionError extends Error {
  /** Azure's help link for this kind of problem. */
  readonly help: string;
  constructor(reason: string, help: string = EXPRESSIONS_HELP) {
    super(reason);
    this.name = "ExpressionError";
    this.help = help;
  }
}

export const EXPRESSIONS_HELP = "https://aka.ms/arm-template-expressions";
export const TEMPLATE_HELP = "https://aka.ms/arm-template";
export const PARAMETERS_HELP = "https://aka.ms/arm-create-parameter-file";
export const PASS_PARAMETERS_HELP = "https://aka.ms/arm-pass-parameter-values";
export const RESOURCES_HELP = "https://aka.ms/arm-template/#resources";

/** `Deployment template validation failed: '{inner}'.` */
export function validationFailed(inner: string, target?: string): TemplateError {
  return new TemplateError("InvalidTemplate", `Deployment template validation failed: '${inner}'.`, target);
}

/** A reason with its help link: `{reason}. Please see {link} for usage details.` */
export function withHelp(reason: string, help: string): string {
  return `${reason}. Please see ${help} for usage details.`;
}

export function unknownFunction(name: string): ExpressionError {
  return new ExpressionError(`The template function '${name}' is not valid`);
}

export function functionNotExpected(name: string, note?: string): ExpressionError {
  return new ExpressionError(`The template function '${name}' is not expected at this location${note ? `. ${note}` : ""}`);
}

export function functionFailed(name: string, detail: string): ExpressionError {
  return new ExpressionError(`Unable to evaluate template language function '${name}': ${detail}`);
}
