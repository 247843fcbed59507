// Who may use the console: only whoever holds the seeded admin's secret, as for the control API.
// Signing in (the admin's secret typed on the sign-in page, or the console key the local server
// puts in endpoints.json's console URL) sets a session cookie for 12 hours; the key and the
// session are HMACs of the admin's secret (the session's with its expiry), so they need no storage
// and stop working when the secret changes.
import { base64UrlEncode, timingSafeEqual } from "../../../shared/encoding";
import type { ConsoleEnv } from "./env";

const SESSION_COOKIE = "mie_console";

async function mac(secret: string, purpose: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return base64UrlEncode(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(purpose)));
}

function adminSecret(env: ConsoleEnv): string {
  const secret = env.ADMIN_CLIENT_SECRET;
  // Without a secret nobody can sign in (a deployment that skipped `wrangler secret put`).
  if (!secret) throw new ConsoleUnavailable("The console has no admin secret: set ADMIN_CLIENT_SECRET (wrangler secret put ADMIN_CLIENT_SECRET).");
  return secret;
}

export class ConsoleUnavailable extends Error {}

/** The key that signs in without typing the secret: what the local server appends to the console URL (?key=). */
export function consoleKey(env: ConsoleEnv): Promise<string> {
  return mac(adminSecret(env), `console sign-in key for ${env.ADMIN_CLIENT_ID.toLowerCase()}`);
}

/** How long a session lasts: a working day; then the key or the secret again. */
const SESSION_SECONDS = 12 * 3600;

/** A session: its expiry (epoch seconds) and an HMAC of it under the admin's secret. */
async function sessionValue(env: ConsoleEnv, expires: number): Promise<string> {
  return `${expires}.${await mac(adminSecret(env), `console session for ${env.ADMIN_CLIENT_ID.toLowerCase()} until ${expires}`)}`;
}

/** Whether a sign-in attempt holds: the console key, or the admin's secret itself. */
export async function signInHolds(env: ConsoleEnv, offered: { key?: string | null; secret?: string | null }): Promise<boolean> {
  if (offered.key) return timingSafeEqual(offered.key, await consoleKey(env));
  if (offered.secret) return timingSafeEqual(offered.secret, adminSecret(env));
  return false;
}

export async function sessionCookie(env: ConsoleEnv, secure: boolean): Promise<string> {
  const expires = Math.floor(Date.now() / 1000) + SESSION_SECONDS;
  return `${SESSION_COOKIE}=${await sessionValue(env, expires)}; Path=/; Max-Age=${SESSION_SECONDS}; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
}

/** The cookie that ends the session (sign-out). */
export function endedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
}

export async function signedIn(env: ConsoleEnv, cookieHeader: string | undefined): Promise<boolean> {
  const value = cookieHeader
    ?.split(";")
    .map((part) => part.trim().split("="))
    .find(([name]) => name === SESSION_COOKIE)?.[1];
  const expires = Number(value?.split(".")[0]);
  if (!value || !Number.isSafeInteger(expires) || expires <= Date.now() / 1000) return false;
  return timingSafeEqual(value, await sessionValue(env, expires));
}
