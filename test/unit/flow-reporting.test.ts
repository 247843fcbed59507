// How services report to the console's flow (shared/flow.ts): one call per batching window, the
// first 25 events one by one and the rest counted, nothing at all without a console, and a send
// whose request was cut off (its timer never fired) abandoned for a new one, with no event lost or
// sent twice.
import { afterEach, describe, expect, it, vi } from "vitest";
import { reportFlow, type FlowEvent } from "../../shared/flow";

function console_() {
  const batches: FlowEvent[][] = [];
  return { batches, env: { CONSOLE: { record: async (events: FlowEvent[]) => void batches.push(events), clear: async () => undefined } } };
}
const keeper = { waitUntil: (_p: Promise<unknown>) => undefined };
const event = (n: number) => ({ step: 5 as const, kind: "token-requested" as const, service: "imds" as const, summary: `request ${n}` });

afterEach(() => {
  vi.useRealTimers();
});

describe("reportFlow", () => {
  it("sends the events of one window in one call, the first 25 one by one and the rest counted", async () => {
    vi.useFakeTimers();
    const { batches, env } = console_();
    for (let n = 0; n < 40; n++) reportFlow(env, keeper, event(n));
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(150);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.slice(0, 25).map((e) => e.summary)).toEqual(Array.from({ length: 25 }, (_, n) => `request ${n}`));
    expect(batches[0]![25]).toMatchObject({ kind: "token-requested", detail: { omitted: 15 } });
    expect(batches[0]![25]!.summary).toMatch(/^and 15 more "token-requested" events/);
    reportFlow(env, keeper, event(99));
    await vi.advanceTimersByTimeAsync(150);
    expect(batches[1]!.map((e) => e.summary)).toEqual(["request 99"]);
  });

  it("does nothing without a console, or without something to keep the send alive", async () => {
    vi.useFakeTimers();
    const waitUntil = vi.fn();
    reportFlow({}, { waitUntil }, event(1));
    expect(waitUntil).not.toHaveBeenCalled();
    const { batches, env } = console_();
    reportFlow(env, undefined, event(2));
    await vi.advanceTimersByTimeAsync(150);
    expect(batches).toEqual([]);
  });

  it("abandons a send whose timer did not fire in time, so one cut-off request never silences the flow", async () => {
    vi.useFakeTimers();
    const { batches, env } = console_();
    reportFlow(env, keeper, event(1));
    // Its request was cut off: time passes without its timer running.
    vi.setSystemTime(Date.now() + 5_000);
    reportFlow(env, keeper, event(2));
    await vi.advanceTimersByTimeAsync(150);
    // Both events, once, in the newer send; the abandoned one, waking late, sends nothing.
    expect(batches.map((b) => b.map((e) => e.summary))).toEqual([["request 1", "request 2"]]);
  });
});
