// How services report to the console's flow (shared/flow.ts): one call per batching window, the
// first 25 events one by one and the rest counted (their bodies never built), nothing at all
// without a console, and a send
// whose request was cut off (its timer never fired) abandoned for a new one, with no event lost or
// sent twice.
import { afterEach, describe, expect, it, vi } from "vitest";
import { reportFlow, type FlowEvent } from "../../shared/flow";

function console_() {
  const batches: FlowEvent[][] = [];
  return { batches, env: { CONSOLE: { record: async (events: FlowEvent[]) => void batches.push(events), clear: async () => undefined } } };
}
const keeper = { waitUntil: (_p: Promise<unknown>) => undefined };
const HEAD = { step: 5 as const, kind: "token-requested" as const, service: "imds" as const };
const body = (n: number) => () => ({ summary: `request ${n}` });

afterEach(() => {
  vi.useRealTimers();
});

describe("reportFlow", () => {
  it("sends the events of one window in one call, the first 25 one by one and the rest counted", async () => {
    vi.useFakeTimers();
    const { batches, env } = console_();
    for (let n = 0; n < 40; n++) reportFlow(env, keeper, HEAD, body(n));
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(150);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.slice(0, 25).map((e) => e.summary)).toEqual(Array.from({ length: 25 }, (_, n) => `request ${n}`));
    expect(batches[0]![25]).toMatchObject({ kind: "token-requested", detail: { omitted: 15 } });
    expect(batches[0]![25]!.summary).toMatch(/^and 15 more "token-requested" events/);
    // A counted event's body is never built.
    const counted = vi.fn(() => ({ summary: "not shown" }));
    for (let n = 0; n < 25; n++) reportFlow(env, keeper, HEAD, body(n));
    reportFlow(env, keeper, HEAD, counted);
    expect(counted).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(150);
    expect(batches[1]!.at(-1)).toMatchObject({ detail: { omitted: 1 } });
    reportFlow(env, keeper, HEAD, body(99));
    await vi.advanceTimersByTimeAsync(150);
    expect(batches[2]!.map((e) => e.summary)).toEqual(["request 99"]);
  });

  it("does nothing without a console, or without something to keep the send alive", async () => {
    vi.useFakeTimers();
    const waitUntil = vi.fn();
    const built = vi.fn(() => ({ summary: "no console" }));
    reportFlow({}, { waitUntil }, HEAD, built);
    expect(waitUntil).not.toHaveBeenCalled();
    expect(built).not.toHaveBeenCalled();
    const { batches, env } = console_();
    reportFlow(env, undefined, HEAD, body(2));
    await vi.advanceTimersByTimeAsync(150);
    expect(batches).toEqual([]);
  });

  it("abandons a send whose timer did not fire in time, so one cut-off request never silences the flow", async () => {
    vi.useFakeTimers();
    const { batches, env } = console_();
    reportFlow(env, keeper, HEAD, body(1));
    // Its request was cut off: time passes without its timer running.
    vi.setSystemTime(Date.now() + 5_000);
    reportFlow(env, keeper, HEAD, body(2));
    await vi.advanceTimersByTimeAsync(150);
    // Both events, once, in the newer send; the abandoned one, waking late, sends nothing.
    expect(batches.map((b) => b.map((e) => e.summary))).toEqual([["request 1", "request 2"]]);
  });
});
