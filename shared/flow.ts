// The console's live flow (workers/console): what the services tell it as it happens, each event
// placed on the seed's seven steps of a managed identity's life. 1-3: Resource Manager enables an
// identity, creates its service principal, configures the identity endpoint; 4: a role is
// assigned; 5: hosted code asks its identity endpoint for a token; 6: the endpoint redeems a
// signed client assertion at the authority, which issues a JWT (or refuses); 7: the code presents
// the token to a resource server, which authorizes the call (granted by an assignment, or denied).
//
// Reporting never slows or fails the path it describes: events are batched per isolate and sent
// after the answer (waitUntil), and a console that is absent or failing is ignored.
import { decodeJwt, decodeProtectedHeader } from "jose";
import type { FlowRecorderBinding } from "./bindings/flow-recorder";

export type FlowStep = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export type FlowKind =
  | "identity-enabled"
  | "identity-removed"
  | "principal-created"
  | "endpoint-configured"
  | "role-assigned"
  | "role-removed"
  | "token-requested"
  | "assertion-presented"
  | "token-issued"
  | "token-refused"
  | "access-granted"
  | "access-denied";

export type FlowService = "arm" | "aad" | "imds" | "keyvault" | "storage";

export interface FlowEvent {
  /** Sequence number, given by the console's feed. */
  seq?: number;
  /** Wall-clock time of the event (ISO 8601). */
  at: string;
  step: FlowStep;
  kind: FlowKind;
  service: FlowService;
  /** One line for people. */
  summary: string;
  /** The resource the event is about: the VM or site asking, the scope of a decision. */
  resourceId?: string;
  principalId?: string;
  clientId?: string;
  /** Kind-specific facts: the client assertion's header and claims, the issued token, the checks made, the decision. */
  detail?: Record<string, unknown>;
}

/** The decoded parts of a JWT (no verification): what the console shows of an assertion or a token. */
export function jwtParts(jwt: string): { header: Record<string, unknown>; claims: Record<string, unknown> } | null {
  try {
    return { header: decodeProtectedHeader(jwt) as Record<string, unknown>, claims: decodeJwt(jwt) as Record<string, unknown> };
  } catch {
    return null;
  }
}

export interface FlowEnv {
  /** The console's recorder; absent where the console is not deployed (and in tests without it). */
  CONSOLE?: FlowRecorderBinding;
}

/** Something that keeps work going after the answer: a request's ExecutionContext or a Durable Object's state. */
export interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

/** Events waiting for this isolate's next send: at most MAX_BATCH, the rest only counted. */
let pending: FlowEvent[] = [];
/** Events past MAX_BATCH in this window, by step and kind: sent as one event each ("and N more"). */
let omitted = new Map<string, { step: FlowStep; kind: FlowKind; service: FlowService; count: number }>();
let sending: Promise<void> | null = null;
/** Which send is current: an abandoned one that wakes up late leaves the events to the newer one. */
let sendingTicket: symbol | null = null;
/** When the current send was scheduled: one older than SEND_LOST_MS was cut off with its request (see below). */
let sendingSince = 0;
const SEND_LOST_MS = 2_000;
/**
 * How long events gather before one call carries them all, and how many it carries one by one.
 * A person reads a few events a second; under a load test (thousands of tokens a second) the
 * console shows the first MAX_BATCH of each window and counts the rest, so the token path pays
 * for a counter, not for the console's storage.
 */
const BATCH_WINDOW_MS = 100;
const MAX_BATCH = 25;

/** What an event is (its step, kind and service): all a counted event needs. */
export type FlowHead = Pick<FlowEvent, "step" | "kind" | "service">;
/** The rest of an event, built only when it is sent one by one. */
export type FlowBody = Omit<FlowEvent, "seq" | "at" | keyof FlowHead>;

/**
 * Reports an event to the console, if there is one, after a short batching window. The body is a
 * function: it runs only when a console is bound and the event is sent one by one, so the paths
 * that report (every token, every authorization check) build summaries and decode tokens for
 * nothing else.
 */
export function reportFlow(env: FlowEnv, keeper: WaitUntil | undefined, head: FlowHead, body: () => FlowBody): void {
  const recorder = env.CONSOLE;
  if (!recorder || !keeper) return;
  if (pending.length < MAX_BATCH) {
    pending.push({ ...head, ...body(), at: new Date().toISOString() });
  } else {
    const key = `${head.step}|${head.kind}|${head.service}`;
    const counted = omitted.get(key) ?? { ...head, count: 0 };
    counted.count++;
    omitted.set(key, counted);
  }
  // A send belongs to the request that scheduled it; if that request's work was cancelled (its
  // client went away before the answer), its timer never fires. Such a send is abandoned and a
  // new one scheduled, so one cut-off request never silences the flow.
  if (sending && Date.now() - sendingSince < SEND_LOST_MS) return;
  sendingSince = Date.now();
  const ticket = Symbol("send");
  sendingTicket = ticket;
  const mine = (async () => {
    await new Promise((resolve) => setTimeout(resolve, BATCH_WINDOW_MS));
    if (sendingTicket !== ticket) return; // abandoned, and a newer send has taken over the pending events
    const batch = pending;
    const at = new Date().toISOString();
    for (const { step, kind, service, count } of omitted.values()) {
      batch.push({ at, step, kind, service, summary: `and ${count} more "${kind}" events in the last ${BATCH_WINDOW_MS} ms (too many to show one by one)`, detail: { omitted: count } });
    }
    pending = [];
    omitted = new Map();
    sending = null;
    try {
      await recorder.record(batch);
    } catch {
      /* the console is a viewer: its absence never affects the flow it shows */
    }
  })();
  sending = mine;
  keeper.waitUntil(mine);
}
