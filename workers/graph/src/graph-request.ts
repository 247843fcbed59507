// What every Graph handler receives, and how it answers: OData JSON, request bodies read the way
// Graph reads them, and the directory's refusals (plain data over RPC) worded as Graph's errors.
import type { Context } from "hono";
import { GraphErrors, type GraphError } from "../../../shared/errors/graph";
import { isGuid } from "../../../shared/guid";
import { publicBase } from "../../../shared/public-url";
import type { DirectoryOutcome, DirectoryRefusal } from "../../../shared/rpc";
import type { Caller } from "./authentication";
import type { GraphEnv } from "./env";
import { BodyRefused, GRAPH_MAX_BODY_BYTES, MAX_JSON_DEPTH, boundedBodies, isJsonMediaType, mediaType, readBodyText, tooDeep } from "../../../shared/request-limits";

export interface GraphVariables {
  caller: Caller;
  requestId: string;
}

export type GraphContext = Context<{ Bindings: GraphEnv; Variables: GraphVariables }>;

/** Graph's content type for OData answers. */
const ODATA_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

export function graphJson(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": ODATA_JSON, ...headers } });
}

export function noContent(): Response {
  return new Response(null, { status: 204 });
}

export function graphBase(c: GraphContext): string {
  return publicBase(c.env.GRAPH_URL, c.req.url);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The JSON object in the body; an empty body reads as {} (Graph's actions accept one). JSON by
 * its Content-Type (absent counts as JSON), at most 4 MB (counted while streaming; the declared length is checked first) and 64 levels deep, both
 * checked before parsing (shared/request-limits.ts).
 */
export async function readJsonObject(c: GraphContext): Promise<Record<string, unknown>> {
  // Graph reads a body only as JSON; its refusal says so ("Please ensure Content-Type header is set…").
  const type = mediaType(c.req.raw);
  if (type !== null && !isJsonMediaType(type)) throw GraphErrors.invalidJson();
  let text: string;
  try {
    text = await readBodyText(c.req.raw, GRAPH_MAX_BODY_BYTES);
  } catch (err) {
    if (!(err instanceof BodyRefused)) throw err;
    throw err.refusal.kind === "tooLarge" ? GraphErrors.requestTooLarge(GRAPH_MAX_BODY_BYTES) : GraphErrors.invalidJson();
  }
  if (text.trim() === "") return {};
  if (tooDeep(text)) throw GraphErrors.jsonTooDeep(MAX_JSON_DEPTH);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw GraphErrors.invalidJson();
  }
  if (!isObject(parsed)) throw GraphErrors.invalidJson();
  return parsed;
}

/** An object id in the path: Graph refuses a malformed one before looking it up. */
export function objectIdParam(c: GraphContext): string {
  const id = c.req.param("id") ?? "";
  if (!isGuid(id)) throw GraphErrors.invalidObjectId(id);
  return id.toLowerCase();
}

/** What a request named, for the wording of a refusal. */
export interface Subject {
  /** The object id in the path, or the appId in the body. */
  id: string;
  keyId?: string;
}

/** The value of an outcome, or the refusal as Graph words it. */
export function unwrap<T>(outcome: DirectoryOutcome<T>, subject: Subject): T {
  if (outcome.ok) return outcome.value;
  throw refusalError(outcome.refusal.code, subject, outcome.refusal.detail);
}

function refusalError(refusal: DirectoryRefusal, subject: Subject, detail?: string): GraphError {
  switch (refusal) {
    case "notFound":
      return GraphErrors.resourceNotFound(subject.id);
    case "managedIdentity":
      return GraphErrors.managedIdentityLocked(subject.id);
    case "noApplication":
      return GraphErrors.noBackingApplication(subject.id);
    case "principalExists":
      return GraphErrors.principalExists(detail ?? subject.id);
    case "credentialNotFound":
      return GraphErrors.passwordNotFound(subject.keyId ?? "");
    case "invalidInput":
      return GraphErrors.invalidPropertyValue(detail ?? "Invalid request.");
  }
}

/** Middleware: a body declared larger than Graph's 4 MB is refused before anything reads it. */
export const refuseOversizedBodies = boundedBodies(GRAPH_MAX_BODY_BYTES, () => GraphErrors.requestTooLarge(GRAPH_MAX_BODY_BYTES));
