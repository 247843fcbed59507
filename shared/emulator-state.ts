// What each worker keeps about operating the emulator (one Durable Object per worker, named
// EMULATOR_STATE_NAME, bound as EMULATOR): the emulator clock's offset (shared/emulator-clock.ts;
// Resource Manager's copy is the store of record), the faults injected into that worker's
// requests (shared/faults.ts; a fault's remaining count is spent here, one request at a time),
// and registries of what the worker holds in objects it cannot otherwise enumerate (IMDS's VM
// hosts, Key Vault's vaults), so that POST {arm}/emulator/reset can reach all of them.
// Every method is one synchronous run of SQL: concurrent calls never interleave.
import { DurableObject } from "cloudflare:workers";
import { faultScopeMatches, type ActiveFault, type FaultDefinition } from "./faults";

export const EMULATOR_STATE_NAME = "emulator";

type FaultRow = { name: string; definition: string; remaining: number | null; expires_at: number | null };

export class EmulatorState extends DurableObject<Record<string, unknown>> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Record<string, unknown>) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec("CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    this.sql.exec(`CREATE TABLE IF NOT EXISTS faults (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, definition TEXT NOT NULL,
      remaining INTEGER, expires_at REAL
    )`);
    this.sql.exec("CREATE TABLE IF NOT EXISTS registry (kind TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (kind, key))");
  }

  // ── the clock ──────────────────────────────────────────────────────────────────────────────

  /** The emulator clock's offset in seconds (0 until it is first moved). */
  clockOffset(): number {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM settings WHERE key = 'clockOffset'").toArray()[0];
    return row ? Number(row.value) : 0;
  }

  /** Moves the clock forward by `seconds` (≥ 0) and answers the new offset: the store of record's step. */
  advanceClock(seconds: number): number {
    if (!Number.isFinite(seconds) || seconds < 0) throw new Error("the clock only moves forward");
    return this.storeOffset(this.clockOffset() + seconds);
  }

  /** A copy pushed by Resource Manager: kept unless it is behind what is stored. */
  setClockOffset(offsetSeconds: number): number {
    return this.storeOffset(Math.max(this.clockOffset(), offsetSeconds));
  }

  private storeOffset(offsetSeconds: number): number {
    this.sql.exec("INSERT OR REPLACE INTO settings (key, value) VALUES ('clockOffset', ?)", String(offsetSeconds));
    return offsetSeconds;
  }

  // ── faults ─────────────────────────────────────────────────────────────────────────────────

  /** Creates or replaces a fault; its count and duration start now (`nowMs`, emulator clock). */
  putFault(definition: FaultDefinition, nowMs: number): ActiveFault {
    this.sql.exec("DELETE FROM faults WHERE name = ?", definition.name);
    this.sql.exec(
      "INSERT INTO faults (name, definition, remaining, expires_at) VALUES (?, ?, ?, ?)",
      definition.name,
      JSON.stringify(definition),
      definition.count ?? null,
      definition.durationSeconds !== undefined ? nowMs + definition.durationSeconds * 1000 : null,
    );
    return this.listFaults(nowMs).find((f) => f.name === definition.name)!;
  }

  /** The faults still active at `nowMs`, oldest first; spent and expired ones are dropped. */
  listFaults(nowMs: number): ActiveFault[] {
    this.dropInactive(nowMs);
    return this.sql
      .exec<FaultRow>("SELECT name, definition, remaining, expires_at FROM faults ORDER BY seq")
      .toArray()
      .map((row) => ({
        ...(JSON.parse(row.definition) as FaultDefinition),
        ...(row.remaining !== null ? { remainingCount: row.remaining } : {}),
        ...(row.expires_at !== null ? { expiresOn: new Date(row.expires_at).toISOString() } : {}),
      }));
  }

  deleteFault(name: string): boolean {
    const existed = this.sql.exec("SELECT 1 FROM faults WHERE name = ?", name).toArray().length > 0;
    this.sql.exec("DELETE FROM faults WHERE name = ?", name);
    return existed;
  }

  clearFaults(): void {
    this.sql.exec("DELETE FROM faults");
  }

  /**
   * The first active fault (oldest first) whose scope covers `resourceId`, with one of its count
   * spent; and how many faults are active afterwards (0 lets callers stop asking).
   */
  claimFault(resourceId: string, nowMs: number): { fault: FaultDefinition | null; active: number } {
    this.dropInactive(nowMs);
    const rows = this.sql.exec<FaultRow>("SELECT name, definition, remaining, expires_at FROM faults ORDER BY seq").toArray();
    let claimed: FaultDefinition | null = null;
    for (const row of rows) {
      const definition = JSON.parse(row.definition) as FaultDefinition;
      if (!faultScopeMatches(definition.scope, resourceId)) continue;
      claimed = definition;
      if (row.remaining !== null) {
        if (row.remaining <= 1) this.sql.exec("DELETE FROM faults WHERE name = ?", row.name);
        else this.sql.exec("UPDATE faults SET remaining = remaining - 1 WHERE name = ?", row.name);
      }
      break;
    }
    const active = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM faults").one().n;
    return { fault: claimed, active };
  }

  /** How many faults are active (for a worker's cached "is there anything to check?"). */
  activeFaults(nowMs: number): number {
    this.dropInactive(nowMs);
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM faults").one().n;
  }

  private dropInactive(nowMs: number): void {
    this.sql.exec("DELETE FROM faults WHERE (remaining IS NOT NULL AND remaining <= 0) OR (expires_at IS NOT NULL AND expires_at <= ?)", nowMs);
  }

  // ── registries ─────────────────────────────────────────────────────────────────────────────

  register(kind: string, key: string): void {
    this.sql.exec("INSERT OR IGNORE INTO registry (kind, key) VALUES (?, ?)", kind, key);
  }

  unregister(kind: string, key: string): void {
    this.sql.exec("DELETE FROM registry WHERE kind = ? AND key = ?", kind, key);
  }

  registered(kind: string): string[] {
    return this.sql
      .exec<{ key: string }>("SELECT key FROM registry WHERE kind = ? ORDER BY key", kind)
      .toArray()
      .map((r) => r.key);
  }
}
