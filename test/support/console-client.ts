// The console as a browser would use it, over plain HTTP: sign in with endpoints.json's console
// URL (its key sets the session cookie), call its API, and read the live flow's server-sent events.
import type { Endpoints } from "../../scripts/stack.ts";

export interface FlowEventSeen {
  seq: number;
  step: number;
  kind: string;
  service: string;
  summary: string;
  resourceId?: string;
  principalId?: string;
  clientId?: string;
  detail?: Record<string, any>;
}

export class ConsoleClient {
  cookie = "";
  readonly endpoints: Endpoints;
  constructor(endpoints: Endpoints) {
    this.endpoints = endpoints;
  }

  get base(): string {
    return new URL(this.endpoints.console!).origin;
  }

  /** Opens endpoints.json's console URL: a 303 to / that sets the session cookie. */
  async signIn(): Promise<void> {
    const response = await fetch(this.endpoints.console!, { redirect: "manual" });
    if (response.status !== 303) throw new Error(`console sign-in: ${response.status}`);
    this.cookie = (response.headers.get("set-cookie") ?? "").split(";")[0]!;
  }

  async api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: { cookie: this.cookie, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  /**
   * The flow's events, as they arrive on one server-sent-events stream, until `until` holds for
   * the events seen so far (or the stream is given up after `limitMs`: then the events seen).
   */
  async watchFlow(until: (events: FlowEventSeen[]) => boolean, options: { after?: number; limitMs?: number; started?: () => void } = {}): Promise<FlowEventSeen[]> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), options.limitMs ?? 20_000);
    const events: FlowEventSeen[] = [];
    try {
      const response = await fetch(`${this.base}/api/flow`, {
        headers: { cookie: this.cookie, ...(options.after !== undefined ? { "last-event-id": String(options.after) } : {}) },
        signal: abort.signal,
      });
      if (response.status !== 200) throw new Error(`flow: ${response.status} ${await response.text()}`);
      options.started?.();
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut: number;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const type = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (type === "flow" && data) events.push(JSON.parse(data));
        }
        if (until(events)) break;
      }
    } catch (err) {
      if (!abort.signal.aborted) throw err;
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
    return events;
  }

  /** The newest sequence number in the feed (0 when empty): watch after it to see only what comes next. */
  async lastSeq(): Promise<number> {
    const recent = await this.api("GET", "/api/flow/recent");
    const value = recent.body.value as FlowEventSeen[];
    return value.at(-1)?.seq ?? 0;
  }
}
