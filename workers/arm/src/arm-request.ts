// What every Resource Manager handler receives, and how it answers.
import { ArmErrors } from "../../../shared/errors/arm";
import type { ArmPath } from "../../../shared/resource-id";
import type { Caller } from "./authentication";
import type { ArmEnv } from "./env";
import { stubOf } from "../../../shared/durable";
import type { SubscriptionIndex } from "./providers/resources/subscription-index";

export interface ArmRequest {
  raw: Request;
  env: ArmEnv;
  method: string;
  path: ArmPath;
  query: URLSearchParams;
  caller: Caller;
}

/** ARM's JSON answer: explicit charset, as the service sends it. */
export function armJson(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** The only subscription this deployment serves (ids compare case-insensitively). */
export function requireSubscription(env: ArmEnv, subscriptionId: string): string {
  if (subscriptionId.toLowerCase() !== env.SUBSCRIPTION_ID.toLowerCase()) throw ArmErrors.subscriptionNotFound(subscriptionId);
  return env.SUBSCRIPTION_ID;
}

export function methodNotAllowed(method: string): never {
  throw ArmErrors.methodNotAllowed(method);
}

export function subscriptionIndex(env: ArmEnv) {
  return stubOf<SubscriptionIndex>(env.SUBSCRIPTIONS, env.SUBSCRIPTION_ID.toLowerCase());
}
