// The emulator's log (knob MIE_LOG, the var LOG of every worker): "off" prints nothing; "info"
// (the default) prints one line per request — service, method, path, status, caller,
// milliseconds — and the lines services add for what happened inside (a token issued, an
// authorization denied); "debug" adds the query string (secrets masked) and request ids.
// Lines go to the worker's console: the local server prints them through its `log` option,
// deployed workers to Workers Logs. Capability paths (a VM's IMDS base) and secret-looking query
// values are never printed whole.
import type { MiddlewareHandler } from "hono";

export type LogLevel = "off" | "info" | "debug";

export function logLevel(env: unknown): LogLevel {
  const value = String((env as { LOG?: string } | undefined)?.LOG ?? "info").toLowerCase();
  return value === "off" || value === "debug" ? value : "info";
}

export function logEnabled(env: unknown, level: "info" | "debug" = "info"): boolean {
  const current = logLevel(env);
  return current !== "off" && (level === "info" || current === "debug");
}

/** Writes one line (at `level`) if the worker's LOG lets it through. */
export function logLine(env: unknown, service: string, message: string, level: "info" | "debug" = "info"): void {
  if (logEnabled(env, level)) console.log(`${service}: ${message}`);
}

/** Who made a request, as far as the service cheaply knows. */
export interface LoggedCaller {
  objectId?: string;
  appId?: string;
  /** A display name, when the service has it at hand. */
  name?: string;
}

const callers = new WeakMap<Request, LoggedCaller>();

/** Records the caller of `request` for its request line (call once the service knows who it is). */
export function noteCaller(request: Request, caller: LoggedCaller): void {
  callers.set(request, { ...callers.get(request), ...caller });
}

export function describeCaller(caller: LoggedCaller | undefined): string {
  if (!caller || (!caller.objectId && !caller.appId)) return "caller=anonymous";
  const parts = [`caller=${caller.objectId ?? "-"}`];
  if (caller.name) parts.push(JSON.stringify(caller.name));
  if (caller.appId && caller.appId !== caller.objectId) parts.push(`app=${caller.appId}`);
  return parts.join(" ");
}

/** Query parameters whose values are never printed. */
const SECRET_PARAMETER = /secret|assertion|token|password|sig|code|key|credential/i;

/** The query string with secret-looking values masked (debug lines). */
export function safeQuery(search: URLSearchParams): string {
  const parts: string[] = [];
  for (const [name, value] of search) parts.push(`${name}=${SECRET_PARAMETER.test(name) ? "***" : value}`);
  return parts.join("&");
}

/** A path as printed: a VM's IMDS capability (/vms/{key}) is cut to its first 8 characters. */
export function safePath(pathname: string): string {
  return pathname.replace(/\/vms\/([0-9a-f]{8})[0-9a-f]*/i, "/vms/$1…");
}

const REQUEST_ID_HEADERS = ["x-ms-request-id", "request-id", "client-request-id", "x-ms-client-request-id"];

/**
 * The request line of a service, as Hono middleware: registered first, so it sees the final
 * status of every request (errors included, after the app's onError turned them into responses).
 */
export function requestLog(service: string): MiddlewareHandler {
  return async (c, next) => {
    const level = logLevel(c.env);
    if (level === "off") return next();
    const started = Date.now();
    await next();
    const url = new URL(c.req.url);
    const fields = [
      c.req.method,
      safePath(url.pathname),
      String(c.res.status),
      describeCaller(callers.get(c.req.raw)),
      `${Date.now() - started}ms`,
    ];
    if (level === "debug") {
      if (url.search) fields.push(`query=${safeQuery(url.searchParams)}`);
      for (const header of REQUEST_ID_HEADERS) {
        const value = c.res.headers.get(header) ?? (header.includes("client") ? c.req.header(header) : undefined);
        if (value) fields.push(`${header}=${value}`);
      }
    }
    console.log(`${service}: ${fields.join(" ")}`);
  };
}
