// RSA-2048 key pairs for the certificates of new managed-identity principals, generated ahead of
// time: one `CredentialKeyPool` Durable Object per tenant (keyed by the lower-cased tenant id).
//
// Generating an RSA-2048 key takes tens of milliseconds (and varies a lot); everything else in
// creating a principal takes a few. So the key is not generated while a create waits: the pool
// keeps POOL_TARGET pairs in its SQLite storage (they survive restarts) and hands out one per
// take(). A pair is deleted from storage in the same statement that reads it, and the answer
// leaves only once that deletion is durable (the output gate), so each pair goes to exactly one
// caller, even across a crash. Callers never give a pair back: a pair taken for a create that
// then fails is simply dropped with the failed create (its certificate never existed anywhere
// else), which keeps the write-ahead recovery of the hosts untouched.
//
// The pool refills itself with its alarm, one key per alarm run, and only once no key was taken
// for REFILL_QUIET_MS. The workers share one thread locally (workerd), so a key generated while
// creates are arriving would delay them exactly as an inline key does; generated in the pauses
// between bursts, it costs a create nothing. When the pool is empty (or unreachable), the pair is
// generated inline by the create that needs it, in its own object (so concurrent creates of a
// tenant are not queued behind one another in the pool): slower, never a failure. The pool holds
// nothing a user sees, so a reset leaves it be. It prints one line (info) each time it is full
// again; at debug, each new principal's line names its key (public-key SHA-256) and its source.
import { DurableObject } from "cloudflare:workers";
import { certificatePublicKeySha256, createSelfSignedCertificate, generateRsaKeyPair, type CertificateCredential, type RsaKeyPairExport } from "../../../../../shared/certificates";
import { stubOf } from "../../../../../shared/durable";
import { logEnabled, logLine } from "../../../../../shared/request-log";
import type { ArmEnv } from "../../env";

/**
 * Pairs kept ready. Enough for a burst: a template deploying a few dozen VMs or sites, a test
 * suite creating identities one after another, `az vm create` in a loop. More would only move
 * more key generation to the first start of every fresh data folder (each pair is ~50 ms of the
 * one thread; 32 of them take a couple of seconds in the background) for bursts that are rare;
 * beyond the pool, creates pay for their key as they did before it existed.
 */
export const POOL_TARGET = 32;

/** How long no key must have been taken before the alarm generates one (a pause between bursts). */
export const REFILL_QUIET_MS = 250;

/** How long a failed refill waits before it tries again. */
const REFILL_RETRY_MS = 5_000;

export interface TakenKeyPair extends RsaKeyPairExport {
  /** "pool": it was ready in the pool; "inline": generated for this create (the pool was empty or unreachable). */
  source: "pool" | "inline";
}

export class CredentialKeyPool extends DurableObject<ArmEnv> {
  /** When a key was last taken (this instance's memory: after a restart the refill simply starts). */
  private lastTakeAt = 0;
  /** Keys this refill cycle generated, for its one line when the pool is full again. */
  private generatedThisCycle = 0;

  constructor(ctx: DurableObjectState, env: ArmEnv) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS key_pairs (seq INTEGER PRIMARY KEY AUTOINCREMENT, private_key_pkcs8 TEXT NOT NULL, public_key_spki TEXT NOT NULL)",
    );
  }

  /** One ready key pair, never handed out before and gone from the pool once this answers; null when the pool is empty. */
  async take(): Promise<RsaKeyPairExport | null> {
    this.lastTakeAt = Date.now();
    const row = this.ctx.storage.sql
      .exec<{ private_key_pkcs8: string; public_key_spki: string }>(
        "DELETE FROM key_pairs WHERE seq = (SELECT seq FROM key_pairs ORDER BY seq LIMIT 1) RETURNING private_key_pkcs8, public_key_spki",
      )
      .toArray()[0];
    await this.scheduleRefill();
    return row ? { privateKeyPkcs8: row.private_key_pkcs8, publicKeySpki: row.public_key_spki } : null;
  }

  override async alarm(): Promise<void> {
    const quietUntil = this.lastTakeAt + REFILL_QUIET_MS;
    if (Date.now() < quietUntil) {
      // Keys are being taken: wait for the pause.
      await this.ctx.storage.setAlarm(quietUntil);
      return;
    }
    if (this.count() >= POOL_TARGET) return;
    try {
      const pair = await generateRsaKeyPair();
      this.ctx.storage.sql.exec("INSERT INTO key_pairs (private_key_pkcs8, public_key_spki) VALUES (?, ?)", pair.privateKeyPkcs8, pair.publicKeySpki);
      this.generatedThisCycle++;
    } catch (err) {
      logLine(this.env, "arm", `credential key pool: generating a key failed (${err instanceof Error ? err.message : String(err)}); retrying in ${REFILL_RETRY_MS / 1000} s`);
      await this.ctx.storage.setAlarm(Date.now() + REFILL_RETRY_MS);
      return;
    }
    const ready = this.count();
    if (ready < POOL_TARGET) {
      // One key per run: whatever arrived meanwhile (a take, any request of this worker) runs in between.
      await this.ctx.storage.setAlarm(Date.now());
      return;
    }
    logLine(this.env, "arm", `credential key pool: ${ready} keys ready (${this.generatedThisCycle} generated in the background)`);
    this.generatedThisCycle = 0;
  }

  private count(): number {
    return this.ctx.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM key_pairs").one().n;
  }

  /** Sets the alarm after a take (and on first use), unless one is already set: the alarm itself waits for the pause. */
  private async scheduleRefill(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + REFILL_QUIET_MS);
  }
}

/** A key pair for one new principal: from the tenant's pool, or generated here when the pool is empty or cannot be reached. */
export async function takeKeyPair(env: ArmEnv, tenantId: string): Promise<TakenKeyPair> {
  try {
    const ready = await stubOf<CredentialKeyPool>(env.CREDENTIAL_KEY_POOL, tenantId.toLowerCase()).take();
    if (ready) return { ...ready, source: "pool" };
  } catch (err) {
    logLine(env, "arm", `credential key pool unreachable (${err instanceof Error ? err.message : String(err)}); generating the key inline`);
  }
  return { ...(await generateRsaKeyPair()), source: "inline" };
}

/**
 * The certificate credential of a new principal, on a key pair of its own (takeKeyPair). The pair
 * is never given back: if the create fails, it goes with it.
 */
export async function newPrincipalCredential(
  env: ArmEnv,
  tenantId: string,
  principalId: string,
  commonName: string,
  validDays: number,
): Promise<CertificateCredential> {
  const pair = await takeKeyPair(env, tenantId);
  const credential = await createSelfSignedCertificate(commonName, validDays, pair);
  if (logEnabled(env, "debug")) {
    // The public key's fingerprint only (not secret): shows that no two principals share a key.
    const fingerprint = await certificatePublicKeySha256(credential.certificate);
    logLine(env, "arm", `principal ${principalId}: certificate key sha256:${fingerprint} (${pair.source})`, "debug");
  }
  return credential;
}
