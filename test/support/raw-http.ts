// HTTP/1.1 on a raw socket, for requests no HTTP client will send (broken framing, bad bytes,
// odd methods, lying lengths): writes the bytes given, reads back the first response, whatever
// it is, and parses it leniently. Used by the fuzz and request-limit tests.
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { connect as tlsConnect, type TLSSocket } from "node:tls";

export interface RawResponse {
  /** 0 when the connection closed (or timed out) without a complete response. */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** How the exchange ended when there was no response: "closed", "timeout" or the socket error. */
  ended?: string;
}

export interface RawRequestOptions {
  /** The head and any body bytes, written at once. */
  data: Buffer | string;
  /** More body to stream after `data`, in chunks, until a response arrives or it runs out. */
  stream?: { chunk: Buffer; count: number; chunked: boolean };
  /** HEAD answers carry no body however long they say it is. */
  head?: boolean;
  timeoutMs?: number;
  /** TLS server name (SNI); default: none for IP addresses. */
  servername?: string;
}

let caPem: string | undefined;
function ca(): string | undefined {
  if (caPem === undefined && process.env.NODE_EXTRA_CA_CERTS) caPem = readFileSync(process.env.NODE_EXTRA_CA_CERTS, "utf8");
  return caPem;
}

/** Sends one request's bytes to `base` (http:// or https://) and reads the first response. */
export function rawRequest(base: string, options: RawRequestOptions): Promise<RawResponse> {
  const url = new URL(base);
  const port = Number(url.port);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return new Promise((resolve) => {
    let socket: Socket | TLSSocket;
    let buffer = Buffer.alloc(0);
    let done = false;
    const finish = (response: RawResponse) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(response);
    };
    const onConnected = () => {
      socket.write(options.data);
      if (options.stream) pump(options.stream);
    };
    const pump = (stream: NonNullable<RawRequestOptions["stream"]>) => {
      let sent = 0;
      const next = () => {
        while (!done && sent < stream.count) {
          sent++;
          const piece = stream.chunked
            ? Buffer.concat([Buffer.from(`${stream.chunk.length.toString(16)}\r\n`), stream.chunk, Buffer.from("\r\n")])
            : stream.chunk;
          if (!socket.write(piece)) {
            socket.once("drain", next);
            return;
          }
        }
        if (!done && stream.chunked && sent >= stream.count) socket.write("0\r\n\r\n");
      };
      next();
    };
    if (url.protocol === "https:") {
      socket = tlsConnect({ host, port, ca: ca(), ...(options.servername ? { servername: options.servername } : {}) }, onConnected);
    } else {
      socket = connect({ host, port }, onConnected);
    }
    socket.on("data", (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      const parsed = parse(buffer, options.head ?? false, false);
      if (parsed) finish(parsed);
    });
    socket.on("error", (err: NodeJS.ErrnoException) => finish(parse(buffer, options.head ?? false, true) ?? { status: 0, headers: {}, body: "", ended: err.code ?? err.message }));
    socket.on("close", () => finish(parse(buffer, options.head ?? false, true) ?? { status: 0, headers: {}, body: "", ended: "closed" }));
    const timer = setTimeout(
      () => finish(parse(buffer, options.head ?? false, true) ?? { status: 0, headers: {}, body: buffer.toString("latin1"), ended: "timeout" }),
      options.timeoutMs ?? 15_000,
    );
  });
}

/** The first complete response in `buffer`, or null while it is incomplete (at `eof`, what there is). */
function parse(buffer: Buffer, head: boolean, eof: boolean): RawResponse | null {
  const end = buffer.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const lines = buffer.subarray(0, end).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "")?.[1] ?? 0);
  if (status >= 100 && status < 200) return parse(buffer.subarray(end + 4), head, eof);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = buffer.subarray(end + 4);
  if (head || status === 204 || status === 304) return { status, headers, body: "" };
  if (headers["content-length"] !== undefined) {
    const length = Number(headers["content-length"]);
    if (rest.length < length) return eof ? { status, headers, body: rest.toString("utf8"), ended: "truncated" } : null;
    return { status, headers, body: rest.subarray(0, length).toString("utf8") };
  }
  if (/chunked/i.test(headers["transfer-encoding"] ?? "")) {
    const chunks: Buffer[] = [];
    let at = 0;
    for (;;) {
      const lineEnd = rest.indexOf("\r\n", at);
      if (lineEnd < 0) return eof ? { status, headers, body: Buffer.concat(chunks).toString("utf8"), ended: "truncated" } : null;
      const size = parseInt(rest.subarray(at, lineEnd).toString("latin1"), 16);
      if (size === 0) return { status, headers, body: Buffer.concat(chunks).toString("utf8") };
      if (rest.length < lineEnd + 2 + size + 2) return eof ? { status, headers, body: Buffer.concat(chunks).toString("utf8"), ended: "truncated" } : null;
      chunks.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
  }
  return eof ? { status, headers, body: rest.toString("utf8") } : null;
}

/** A request head: the request line, the headers in order, the blank line. */
export function head(requestLine: string, headers: [string, string][] = []): string {
  return `${requestLine}\r\n${headers.map(([k, v]) => `${k}: ${v}`).join("\r\n")}${headers.length ? "\r\n" : ""}\r\n`;
}
