// The local server's front door for each worker: a Node HTTP(S) server that parses every request
// before workerd sees it, so a request a client cannot even frame (a bad request line, an invalid
// header, broken chunked encoding, headers beyond 16 KB, an unknown method) is answered here in
// the service's own JSON error shape instead of reaching workerd, which answers those with plain
// text. Well-formed requests are forwarded to the worker's private loopback socket over kept-alive
// connections, head and body streamed (nothing is buffered whole; the workers bound bodies
// themselves: shared/request-limits.ts), with the Host header as the client sent it (Key Vault
// routes by host name) and nothing added (IMDS refuses X-Forwarded-For).
import { randomUUID } from "node:crypto";
import {
  Agent,
  createServer as createHttpServer,
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Duplex } from "node:stream";
import { ARM_MAX_BODY_BYTES, GRAPH_MAX_BODY_BYTES, KEYVAULT_MAX_BODY_BYTES, STORAGE_MAX_BODY_BYTES, TOKEN_MAX_BODY_BYTES } from "../shared/request-limits.ts";

/** The worker folders the front serves, each with its own error shape. */
export type FrontService = "arm" | "aad" | "graph" | "imds" | "keyvault" | "storage" | "console";

/** What went wrong before a request could reach its worker. */
type Refusal = "malformed" | "headersTooLarge" | "timeout" | "methodNotAllowed" | "tooLarge" | "expectation" | "upstream";

const STATUS: Record<Refusal, number> = { malformed: 400, headersTooLarge: 431, timeout: 408, methodNotAllowed: 405, tooLarge: 413, expectation: 417, upstream: 502 };
const REASON: Record<number, string> = {
  400: "Bad Request",
  405: "Method Not Allowed",
  408: "Request Timeout",
  413: "Payload Too Large",
  417: "Expectation Failed",
  431: "Request Header Fields Too Large",
  502: "Bad Gateway",
};

/**
 * The body limits of shared/request-limits.ts, enforced here too so that an oversized body is
 * refused as it arrives (declared: before any of it is read; streamed: at the limit) rather than
 * streamed into workerd. IMDS takes no body at all.
 */
export const BODY_LIMITS: Record<FrontService, number> = {
  arm: ARM_MAX_BODY_BYTES,
  aad: TOKEN_MAX_BODY_BYTES,
  graph: GRAPH_MAX_BODY_BYTES,
  keyvault: KEYVAULT_MAX_BODY_BYTES,
  storage: STORAGE_MAX_BODY_BYTES,
  imds: 0,
  // The console's API forwards Resource Manager's bodies.
  console: ARM_MAX_BODY_BYTES,
};

/** Each service's 413, worded as its worker words it (shared/errors/*.ts). */
function tooLargeMessage(service: FrontService): string {
  const limit = BODY_LIMITS[service];
  switch (service) {
    case "arm":
    case "console":
      return `The request content size exceeds the maximum size of ${limit / (1024 * 1024)} MB (${limit} bytes).`;
    case "graph":
      return `The request size exceeds the maximum limit of ${limit / (1024 * 1024)} MB (${limit} bytes).`;
    case "aad":
      return `The request body is too long: at most ${limit} bytes are accepted.`;
    case "keyvault":
      return `The request body is too large: at most ${limit} bytes are accepted.`;
    case "storage":
      return "The request body is too large and exceeds the maximum permissible limit.";
    case "imds":
      return "The metadata service takes no request body.";
  }
}

/** The methods the workers serve (anything else is refused with the service's 405 here). */
const FORWARDED_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** Hop-by-hop headers (RFC 9110 §7.6.1): they describe the client's connection, not the request. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "expect", "http2-settings"]);

/**
 * Node answers an HTTP/1.1 request without Host itself, with an empty 400: the front lets it
 * through and names its own address instead (the workers build URLs from Host).
 */
const SERVER_OPTIONS = { requireHostHeader: false } as const;

/** Declared bodies up to this size are read whole before forwarding, so they can be sent again (see `replayable`). */
const REPLAYABLE_BODY_BYTES = 64 * 1024;

/** A request body still arriving after its response was sent is drained for at most this long, then the connection closed. */
const DRAIN_MS = 5_000;

/** One error body in the service's shape, with its content type. */
export function frontError(service: FrontService, refusal: Refusal, message: string): { status: number; headers: Record<string, string>; body: string } {
  const status = STATUS[refusal];
  const json = { "content-type": "application/json; charset=utf-8" };
  switch (service) {
    case "arm":
    case "console": {
      const code = {
        malformed: "BadRequest",
        headersTooLarge: "RequestHeaderFieldsTooLarge",
        timeout: "RequestTimeout",
        methodNotAllowed: "MethodNotAllowed",
        tooLarge: "RequestEntityTooLarge",
        expectation: "ExpectationFailed",
        upstream: "BadGateway",
      }[refusal];
      return { status, headers: { ...json, "x-ms-request-id": randomUUID() }, body: JSON.stringify({ error: { code, message } }) };
    }
    case "keyvault": {
      const code = {
        malformed: "BadParameter",
        headersTooLarge: "BadParameter",
        timeout: "RequestTimeout",
        methodNotAllowed: "MethodNotAllowed",
        tooLarge: "RequestEntityTooLarge",
        expectation: "ExpectationFailed",
        upstream: "BadGateway",
      }[refusal];
      return { status, headers: { ...json, "x-ms-request-id": randomUUID() }, body: JSON.stringify({ error: { code, message } }) };
    }
    case "storage": {
      // Storage's XML error, with x-ms-error-code: the SDKs read the code from that header.
      const code = {
        malformed: "InvalidInput",
        headersTooLarge: "InvalidHeaderValue",
        timeout: "OperationTimedOut",
        methodNotAllowed: "UnsupportedHttpVerb",
        tooLarge: "RequestBodyTooLarge",
        expectation: "InvalidHeaderValue",
        upstream: "ServerBusy",
      }[refusal];
      const requestId = randomUUID();
      const escaped = message.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
      return {
        status,
        headers: { "content-type": "application/xml", "x-ms-error-code": code, "x-ms-request-id": requestId },
        body: `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${escaped}\nRequestId:${requestId}\nTime:${new Date().toISOString()}</Message></Error>`,
      };
    }
    case "graph": {
      const code = {
        malformed: "BadRequest",
        headersTooLarge: "BadRequest",
        timeout: "BadRequest",
        methodNotAllowed: "Request_BadRequest",
        tooLarge: "RequestEntityTooLarge",
        expectation: "BadRequest",
        upstream: "serviceNotAvailable",
      }[refusal];
      const requestId = randomUUID();
      const date = new Date().toISOString().replace(/\.\d+Z$/, "");
      return {
        status,
        headers: { ...json, "request-id": requestId, "client-request-id": requestId },
        body: JSON.stringify({ error: { code, message, innerError: { date, "request-id": requestId, "client-request-id": requestId } } }),
      };
    }
    case "aad": {
      // AADSTS9002313 is Azure AD's "Invalid request. Request is malformed or invalid."; 90033 its transient error.
      // AADSTS90015 is the code the token endpoint's own 413 uses (shared/errors/aad.ts).
      const [error, aadsts, text] =
        refusal === "upstream"
          ? ["temporarily_unavailable", 90033, "A transient error has occurred. Please try again."]
          : refusal === "tooLarge"
            ? ["invalid_request", 90015, message]
            : ["invalid_request", 9002313, `Invalid request. Request is malformed or invalid. ${message}`];
      const traceId = randomUUID();
      const correlationId = randomUUID();
      const timestamp = new Date().toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
      return {
        status,
        headers: json,
        body: JSON.stringify({
          error,
          error_description: `AADSTS${aadsts}: ${text}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
          error_codes: [aadsts],
          timestamp,
          trace_id: traceId,
          correlation_id: correlationId,
          error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
        }),
      };
    }
    case "imds": {
      const error = {
        malformed: "invalid_request",
        headersTooLarge: "invalid_request",
        timeout: "invalid_request",
        methodNotAllowed: "method_not_allowed",
        tooLarge: "invalid_request",
        expectation: "invalid_request",
        upstream: "unknown",
      }[refusal];
      return { status, headers: { ...json, server: "IMDS/150.870.65.1544" }, body: JSON.stringify({ error, error_description: message }) };
    }
  }
}

/** The same answer as raw bytes, for a socket whose request Node could not parse. */
function rawAnswer(service: FrontService, refusal: Refusal, message: string): string {
  const { status, headers, body } = frontError(service, refusal, message);
  const lines = [`HTTP/1.1 ${status} ${REASON[status]}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  lines.push(`content-length: ${Buffer.byteLength(body)}`, `date: ${new Date().toUTCString()}`, "connection: close");
  return `${lines.join("\r\n")}\r\n\r\n${body}`;
}

function answer(res: ServerResponse, service: FrontService, refusal: Refusal, message: string): void {
  const { status, headers, body } = frontError(service, refusal, message);
  // A refused body is drained (drain below), so the connection can stay open; a request Node could parse but not forward cannot.
  const close = refusal === "malformed" || refusal === "methodNotAllowed" || refusal === "expectation";
  res.writeHead(status, { ...headers, "content-length": Buffer.byteLength(body), ...(close ? { connection: "close" } : {}) });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

/**
 * Reads and discards what is left of a request body whose answer is already out, so the client
 * gets to read that answer (closing on unread bytes would reset the connection under it); a body
 * still arriving after DRAIN_MS is cut off with the connection.
 */
function drain(req: IncomingMessage): void {
  if (req.complete) return;
  req.resume();
  const timer = setTimeout(() => req.socket.destroy(), DRAIN_MS);
  timer.unref();
  req.once("end", () => clearTimeout(timer));
  req.once("close", () => clearTimeout(timer));
}

/** Node's parser error codes, as a person reads them. */
function framingProblem(err: NodeJS.ErrnoException & { reason?: string }): string {
  const reason = err.reason ?? err.message.replace(/^Parse Error: /, "");
  switch (err.code) {
    case "HPE_HEADER_OVERFLOW":
      return "The request's headers are larger than 16 KB.";
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return "The request was not received in time.";
    case "HPE_INVALID_METHOD":
      return "The request line names no HTTP method.";
    case "HPE_INVALID_CHUNK_SIZE":
    case "HPE_INVALID_EOF_STATE":
      return `The request body's chunked encoding is malformed (${reason}).`;
    default:
      return `The request is not well-formed HTTP/1.1 (${reason}).`;
  }
}

export interface FrontOptions {
  service: FrontService;
  host: string;
  port: number;
  /** The worker's plain socket on loopback. */
  targetPort: number;
  /** Certificate and key for HTTPS; plain HTTP without. */
  tls?: { certificatePem: string; privateKeyPem: string };
}

export interface Front {
  server: Server;
  close(): Promise<void>;
}

export function serveFront(options: FrontOptions): Promise<Front> {
  const { service, targetPort } = options;
  // workerd closes a connection idle for 5 s: free sockets are dropped before that.
  const agent = new Agent({ keepAlive: true, timeout: 4_000, scheduling: "lifo", noDelay: true } as ConstructorParameters<typeof Agent>[0]);
  const defaultHost = `${options.host.includes(":") ? `[${options.host}]` : options.host}:${options.port}`;

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? "";
    if (!FORWARDED_METHODS.has(method)) {
      answer(res, service, "methodNotAllowed", `The requested method '${method}' is not allowed on this resource.`);
      req.resume();
      return;
    }
    let path = req.url ?? "";
    if (!path.startsWith("/")) {
      // The absolute form (a request to a proxy) names the path too; anything else ("*") names none.
      let url: URL | null = null;
      try {
        url = new URL(path);
      } catch {
        /* not a URL */
      }
      if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
        answer(res, service, "malformed", `The request target '${path.slice(0, 200)}' is not a path.`);
        req.resume();
        return;
      }
      path = `${url.pathname}${url.search}`;
    }

    const headers: string[] = [];
    const named = new Set(
      String(req.headers.connection ?? "")
        .toLowerCase()
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean),
    );
    let hasHost = false;
    let hasLength = false;
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const lower = raw[i]!.toLowerCase();
      if (HOP_BY_HOP.has(lower) || named.has(lower)) continue;
      if (lower === "host") hasHost = true;
      else if (lower === "content-length") hasLength = true;
      headers.push(raw[i]!, raw[i + 1]!);
    }
    if (!hasHost) headers.push("Host", defaultHost);
    const chunked = req.headers["transfer-encoding"] !== undefined;
    // A chunked body stays chunked; a request without any body says so.
    if (chunked) headers.push("Transfer-Encoding", "chunked");
    else if (!hasLength && method !== "GET" && method !== "HEAD") headers.push("Content-Length", "0");
    const hasBody = chunked || (hasLength && req.headers["content-length"] !== "0");
    const limit = BODY_LIMITS[service];
    if (hasLength && Number(req.headers["content-length"]) > limit) {
      answer(res, service, "tooLarge", tooLargeMessage(service));
      drain(req);
      return;
    }

    let settled = false;
    let upstream: ClientRequest | null = null;
    // A small declared body (Resource Manager's and the authority's requests) is read whole
    // first, so that a request whose kept-alive socket workerd closed just as it was reused can
    // be sent again, body and all; larger and chunked bodies (blob uploads) stream as they come.
    const replayable = hasBody && !chunked && Number(req.headers["content-length"]) <= REPLAYABLE_BODY_BYTES;
    let buffered: Buffer | null = null;
    const forward = (attempt: number) => {
      let request: ClientRequest;
      try {
        request = httpRequest({
          host: "127.0.0.1",
          port: targetPort,
          method,
          path,
          headers: headers as unknown as OutgoingHttpHeaders,
          agent,
          setHost: false,
        });
      } catch (err) {
        settled = true;
        answer(res, service, "malformed", `The request cannot be forwarded: ${(err as Error).message}`);
        req.resume();
        return;
      }
      upstream = request;
      request.on("response", (up) => {
        if (res.destroyed || res.headersSent) {
          up.resume();
          return;
        }
        const out: string[] = [];
        const rawOut = up.rawHeaders;
        for (let i = 0; i < rawOut.length; i += 2) {
          const lower = rawOut[i]!.toLowerCase();
          if (lower === "connection" || lower === "keep-alive" || lower === "transfer-encoding") continue;
          out.push(rawOut[i]!, rawOut[i + 1]!);
        }
        res.writeHead(up.statusCode ?? 502, up.statusMessage, out);
        up.pipe(res);
        up.on("error", () => res.destroy());
      });
      request.on("error", (err: NodeJS.ErrnoException) => {
        if (settled) return;
        // A kept-alive socket workerd closed just as it was reused: the request is sent again (its body too, when read whole).
        if (attempt === 0 && (!hasBody || buffered) && request.reusedSocket && (err.code === "ECONNRESET" || err.code === "EPIPE")) {
          forward(1);
          return;
        }
        settled = true;
        if (!res.headersSent && !res.destroyed) answer(res, service, "upstream", `The service did not answer (${err.code ?? err.message}).`);
        else res.destroy();
      });
      if (!hasBody) {
        request.end();
        return;
      }
      if (buffered) {
        request.end(buffered);
        return;
      }
      // Counted as it streams: past the limit, the worker is cut off and the client answered here.
      let received = 0;
      const count = (chunk: Buffer) => {
        received += chunk.length;
        if (received <= limit || settled) return;
        settled = true;
        req.off("data", count);
        req.unpipe(request);
        request.destroy();
        if (!res.headersSent && !res.destroyed) answer(res, service, "tooLarge", tooLargeMessage(service));
      };
      req.on("data", count);
      req.pipe(request);
    };
    res.once("close", () => {
      if (!settled && !res.writableFinished) {
        settled = true;
        upstream?.destroy();
      }
    });
    res.once("finish", () => {
      settled = true;
      if (req.complete) return;
      // Answered before the body was all sent (a 413, a 401): stop feeding the worker, drain the rest for a while.
      if (upstream) {
        req.unpipe(upstream);
        upstream.destroy();
      }
      drain(req);
    });
    req.once("error", () => {
      settled = true;
      upstream?.destroy();
      res.destroy();
    });
    if (!replayable) {
      forward(0);
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.once("end", () => {
      if (settled) return;
      buffered = Buffer.concat(chunks);
      forward(0);
    });
  };

  const server = options.tls
    ? createHttpsServer({ cert: options.tls.certificatePem, key: options.tls.privateKeyPem, ALPNProtocols: ["http/1.1"], ...SERVER_OPTIONS }, handler)
    : createHttpServer(SERVER_OPTIONS, handler);

  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
    const current = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (err.code === "ECONNRESET" || !socket.writable || current?.headersSent) {
      socket.destroy();
      return;
    }
    const refusal: Refusal = err.code === "HPE_HEADER_OVERFLOW" ? "headersTooLarge" : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? "timeout" : "malformed";
    socket.end(rawAnswer(service, refusal, framingProblem(err)));
  });
  // An Expect other than 100-continue: Node would answer 417 with an empty body.
  server.on("checkExpectation", (req: IncomingMessage, res: ServerResponse) => {
    answer(res, service, "expectation", `The expectation '${String(req.headers.expect).slice(0, 100)}' cannot be met; only 100-continue is.`);
    req.resume();
  });
  // CONNECT is no request to any of these services (without a listener Node would drop the socket unanswered).
  server.on("connect", (_req: IncomingMessage, socket: Duplex) => {
    socket.on("error", () => socket.destroy());
    socket.end(rawAnswer(service, "methodNotAllowed", "The requested method 'CONNECT' is not allowed on this resource."));
  });

  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolvePromise({
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
            agent.destroy();
          }),
      });
    });
  });
}
