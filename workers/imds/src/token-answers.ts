// The VM hosts' recent token answers, kept in the worker's isolate for at most a second, so a
// cached token is served without the hop to the VM's Durable Object (which stays the one cache
// of record). Resource Manager reconfigures a VM through this worker's MetadataService, which
// forgets the VM's answers before the host changes: on the local server (one isolate per worker)
// an identity taken away stops being served at once. Deployed, where another isolate may have
// answered, a copy lives at most MAX_AGE_MS longer (README, Differences).
import type { AnswerTrace } from "./vm-host";

const MAX_AGE_MS = 1_000;
/** Bounded: past this many VMs, the copies start over. */
const MAX_ENDPOINTS = 10_000;

interface Answer {
  body: Record<string, string>;
  /** Whose token it is and which host answered (the log line's caller; the console's flow). */
  trace: AnswerTrace;
  storedAt: number;
}

const answers = new Map<string, Map<string, Answer>>();
/**
 * Bumped whenever a VM's copies are forgotten: an answer read from the host before a change and
 * arriving after it is not kept (its request captured the older generation).
 */
const generations = new Map<string, number>();
let allGeneration = 0;

export function answerGeneration(endpointKey: string): string {
  return `${allGeneration}.${generations.get(endpointKey) ?? 0}`;
}

/**
 * The key of a request: its resource, as sent (the token's aud and the answer's resource echo
 * it), and its selector, whose ids compare case-insensitively (the same request gets the same token).
 */
export function answerKey(resource: string, selector: { clientId?: string; objectId?: string; resourceId?: string }): string {
  return [resource, ...[selector.clientId ?? "", selector.objectId ?? "", selector.resourceId ?? ""].map((id) => id.toLowerCase())].join("\u0000");
}

/** A copy younger than MAX_AGE_MS whose token is not yet due for refresh, with expires_in as of now. */
export function recentAnswer(endpointKey: string, key: string, nowSeconds: number): { body: Record<string, string>; trace: AnswerTrace } | null {
  const answer = answers.get(endpointKey)?.get(key);
  if (!answer) return null;
  const expiresOn = Number(answer.body.expires_on);
  // The host refreshes a token at most five minutes before it expires; a copy never outlives that.
  if (Date.now() - answer.storedAt >= MAX_AGE_MS || nowSeconds >= expiresOn - 300) {
    answers.get(endpointKey)?.delete(key);
    return null;
  }
  return { body: { ...answer.body, expires_in: String(Math.max(0, expiresOn - nowSeconds)) }, trace: answer.trace };
}

export function rememberAnswer(endpointKey: string, key: string, body: Record<string, string>, trace: AnswerTrace, generation: string): void {
  if (generation !== answerGeneration(endpointKey)) return;
  let forEndpoint = answers.get(endpointKey);
  if (!forEndpoint) {
    if (answers.size >= MAX_ENDPOINTS) answers.clear();
    forEndpoint = new Map();
    answers.set(endpointKey, forEndpoint);
  }
  forEndpoint.set(key, { body, trace, storedAt: Date.now() });
}

/** The VM's configuration changes (or it is gone): its copies go first. */
export function forgetAnswers(endpointKey: string): void {
  answers.delete(endpointKey);
  if (generations.size >= MAX_ENDPOINTS) {
    // Starting over must not make an older generation current again.
    generations.clear();
    allGeneration++;
  }
  generations.set(endpointKey, (generations.get(endpointKey) ?? 0) + 1);
}

export function forgetAllAnswers(): void {
  answers.clear();
  allGeneration++;
}
