// The one emulator clock (contract: "Operating the emulator", POST {arm}/emulator/clock). Every
// time the emulator reasons about — token iat/nbf/exp, the authority's assertion and secret
// checks, IMDS's token cache, Resource Manager's, Graph's and Key Vault's expiry checks, Key Vault's
// soft-delete dates, the duration of IMDS faults — is real time plus one offset. Host-only timers
// (key caches, rate windows, delays, how long a request took) keep real time.
//
// Where the offset lives: Resource Manager's EmulatorState Durable Object is the store of record.
// POST {arm}/emulator/clock adds to it there (one atomic step), applies it to the isolate that
// served the POST, then pushes it over the service bindings to the authority, IMDS, Key Vault and
// Graph; each one applies it to the isolate the push landed in and persists it in its own
// EmulatorState (Graph, which has no state, reads the authority's). The POST answers only after
// every push returned. Every isolate keeps a cached copy, re-read from its worker's store at most
// once per REFRESH_MS: a worker's request handling awaits the re-read before it starts
// (syncClock), a Durable Object's synchronous code triggers it in the background (emulatorNow).
//
// Guarantees:
// - The offset only grows (advanceSeconds ≥ 0), everywhere: an isolate that has not caught up is
//   behind the emulator's clock, never ahead of it, and a token is never "not yet valid" because
//   of the clock.
// - On the local server (`npm start`, the tests) each worker runs in one isolate, its Durable
//   Objects included, so the clock is exact everywhere as soon as the POST has answered.
// - At the edge, the isolates the pushes landed in are exact when the POST answers; any other
//   isolate of a worker catches up within REFRESH_MS (its next request after that), a Durable
//   Object's isolate within REFRESH_MS plus one use of the clock. A push that failed makes the
//   POST answer 500; POSTing {"advanceSeconds": 0} pushes the current offset again.

/** How long an isolate trusts its cached offset before re-reading it (milliseconds, real time). */
export const REFRESH_MS = 1_000;

type OffsetSource = () => Promise<number>;

const clock = {
  /** Milliseconds added to real time. */
  offsetMs: 0,
  /** Real time of the last read or push (-Infinity: never). */
  checkedAt: Number.NEGATIVE_INFINITY,
  source: null as OffsetSource | null,
  loading: null as Promise<void> | null,
  /** Real time the background re-read started: one older than ABANDONED_MS is given up on. */
  loadingSince: 0,
};

/**
 * A background re-read that has not settled after this long is abandoned: in workerd, I/O started
 * on behalf of a request is cancelled when that request's client goes away, and its promise then
 * never settles. Nothing may wait on it, and it must not block the next re-read.
 */
const ABANDONED_MS = 5_000;

/** The emulator's time in epoch milliseconds. Starts a background re-read when the cache is stale. */
export function emulatorNow(): number {
  const idle = !clock.loading || Date.now() - clock.loadingSince > ABANDONED_MS;
  if (clock.source && idle && Date.now() - clock.checkedAt >= REFRESH_MS) void refresh(clock.source).catch(() => undefined);
  return Date.now() + clock.offsetMs;
}

/** The emulator's time in epoch seconds (whole), as tokens carry it. */
export function emulatorNowSeconds(): number {
  return Math.floor(emulatorNow() / 1000);
}

/** The emulator's time as a Date. */
export function emulatorDate(): Date {
  return new Date(emulatorNow());
}

/** The offset this isolate knows, in seconds. */
export function clockOffsetSeconds(): number {
  return clock.offsetMs / 1000;
}

/** Applies an offset read from a store or pushed by Resource Manager. Never moves the clock back. */
export function applyClockOffset(offsetSeconds: number): void {
  const offsetMs = Math.round(offsetSeconds * 1000);
  if (Number.isFinite(offsetMs) && offsetMs > clock.offsetMs) clock.offsetMs = offsetMs;
  clock.checkedAt = Date.now();
}

/**
 * Names where this isolate re-reads the offset (its worker's EmulatorState, or for Graph the
 * authority) and, if the cached copy is stale, re-reads it now. Call before handling a request.
 */
export async function syncClock(source: OffsetSource): Promise<void> {
  clock.source = source;
  if (Date.now() - clock.checkedAt < REFRESH_MS) return;
  // Each request reads for itself (at most a few reads per REFRESH_MS): awaiting a read another
  // request started would hang for good if that request's client went away (see ABANDONED_MS).
  applyClockOffset(await source());
}

function refresh(source: OffsetSource): Promise<void> {
  const started = Date.now();
  clock.loadingSince = started;
  const loading = source()
    .then((offsetSeconds) => applyClockOffset(offsetSeconds))
    .finally(() => {
      if (clock.loading === loading) clock.loading = null;
    });
  clock.loading = loading;
  return loading;
}
