// The console's live flow (workers/console): what the services tell it as it happens, each event
// placed on the seed's seven steps of a managed identity's life. 1-3: Resource Manager enables an
// identity, creates its service principal, configures the identity endpoint; 4: a role is
// assigned; 5: hosted code asks its identity endpoint for a token; 6: the endpoint redeems a
// signed client assertion at the authority, which issues a JWT (or refuses); 7: the code presents
// the token to a resource server, which authorizes the call (granted by an assignment, or denied).
//
// Reporting never slows or fails the path it describes: events are batched per isolate and sent
// after the answer (waitUntil), and a console that is absent or failing is ignored.
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
  const [header, claims] = jwt.split(".");
  if (!header || !claims) return null;
  try {
    const decode = (part: string) => JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part.replace(/-/g, "+").replace(/_/g, "/")), (ch) => ch.charCodeAt(0))));
    return { header: decode(header), claims: decode(claims) };
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

/** Events waiting for this isolate's next send, at most MAX_PENDING (the oldest dropped first). */
let pending: FlowEvent[] = [];
let sending: Promise<void> | null = null;
const MAX_PENDING = 500;
/** How long events gather before one call carries them all: under load, one call per window, not per request. */
const BATCH_WINDOW_MS = 25;

/** Reports `event` to the console, if there is one, after a short batching window. */
export function reportFlow(env: FlowEnv, keeper: WaitUntil | undefined, event: Omit<FlowEvent, "at"> & { at?: string }): void {
  const recorder = env.CONSOLE;
  if (!recorder || !keeper) return;
  pending.push({ ...event, at: event.at ?? new Date().toISOString() });
  if (pending.length > MAX_PENDING) pending.splice(0, pending.length - MAX_PENDING);
  if (sending) return;
  sending = (async () => {
    await new Promise((resolve) => setTimeout(resolve, BATCH_WINDOW_MS));
    const batch = pending;
    pending = [];
    sending = null;
    try {
      await recorder.record(batch);
    } catch {
      /* the console is a viewer: its absence never affects the flow it shows */
    }
  })();
  keeper.waitUntil(sending);
}
