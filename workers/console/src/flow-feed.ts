// The live flow of one tenant: the most recent events (kept in SQLite, so a console opened later
// or after a restart shows what just happened) and the browsers watching, each an open
// server-sent-events stream. A new event is written to every stream as it arrives: no polling.
import { DurableObject } from "cloudflare:workers";
import type { FlowEvent } from "../../../shared/flow";
import type { ConsoleEnv } from "./env";

/** How many events the feed keeps for consoles that open later. */
const KEPT_EVENTS = 500;
/** A comment line now and then keeps proxies and the browser from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

export class FlowFeed extends DurableObject<ConsoleEnv> {
  private readonly watchers = new Set<WritableStreamDefaultWriter<Uint8Array>>();
  private readonly encoder = new TextEncoder();
  private keepalive: ReturnType<typeof setInterval> | null = null;

  /** When the feed was last cleared (ISO 8601): events that happened before it and arrive after it are dropped. */
  private clearedAt = "";

  constructor(ctx: DurableObjectState, env: ConsoleEnv) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT NOT NULL)");
      this.clearedAt = (await this.ctx.storage.get<string>("clearedAt")) ?? "";
    });
  }

  /** Appends events (in order), trims to the newest KEPT_EVENTS, and pushes them to every watcher. */
  record(events: FlowEvent[]): void {
    const stored: FlowEvent[] = [];
    for (const event of events.slice(-KEPT_EVENTS)) {
      if (event.at < this.clearedAt) continue;
      const row = this.ctx.storage.sql
        .exec<{ seq: number }>("INSERT INTO events (event) VALUES (?) RETURNING seq", JSON.stringify(event))
        .one();
      stored.push({ ...event, seq: row.seq });
    }
    const newest = stored.at(-1)?.seq;
    if (newest !== undefined) this.ctx.storage.sql.exec("DELETE FROM events WHERE seq <= ?", newest - KEPT_EVENTS);
    if (stored.length) this.broadcast(stored.map((e) => this.frame(e)).join(""));
  }

  /** The kept events after `afterSeq`, oldest first. */
  recent(afterSeq = 0): FlowEvent[] {
    return this.ctx.storage.sql
      .exec<{ seq: number; event: string }>("SELECT seq, event FROM events WHERE seq > ? ORDER BY seq", afterSeq)
      .toArray()
      .map((row) => ({ ...(JSON.parse(row.event) as FlowEvent), seq: row.seq }));
  }

  /**
   * Forgets every kept event (the emulator's reset), and those still on their way that happened
   * before now (each worker sends its events up to 100 ms late).
   */
  async clear(): Promise<void> {
    this.clearedAt = new Date().toISOString();
    await this.ctx.storage.put("clearedAt", this.clearedAt);
    this.ctx.storage.sql.exec("DELETE FROM events");
    this.broadcast("event: reset\ndata: {}\n\n");
  }

  /**
   * A server-sent-events stream: first the kept events after Last-Event-ID (all of them on a first
   * connection), then each new one as it is recorded.
   */
  override async fetch(request: Request): Promise<Response> {
    const after = Number(request.headers.get("last-event-id") ?? new URL(request.url).searchParams.get("after") ?? 0) || 0;
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    const backlog = this.recent(after);
    void writer.write(this.encoder.encode(`retry: 2000\n\n${backlog.map((e) => this.frame(e)).join("")}`)).catch(() => this.drop(writer));
    this.watchers.add(writer);
    this.keepalive ??= setInterval(() => this.broadcast(": keepalive\n\n"), KEEPALIVE_MS);
    return new Response(readable, {
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" },
    });
  }

  private frame(event: FlowEvent): string {
    return `id: ${event.seq}\nevent: flow\ndata: ${JSON.stringify(event)}\n\n`;
  }

  private broadcast(text: string): void {
    const bytes = this.encoder.encode(text);
    for (const writer of this.watchers) {
      writer.write(bytes).catch(() => this.drop(writer));
    }
  }

  /** A watcher whose browser went away. */
  private drop(writer: WritableStreamDefaultWriter<Uint8Array>): void {
    this.watchers.delete(writer);
    writer.abort().catch(() => undefined);
    if (this.watchers.size === 0 && this.keepalive) {
      clearInterval(this.keepalive);
      this.keepalive = null;
    }
  }
}
