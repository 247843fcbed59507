// One vault (Durable Object keyed by the lower-cased vault name): what Resource Manager said about
// it, and its secrets with every version, live or soft-deleted. Being keyed by name, it is also
// the global registry of vault names: configure() claims the name for one resource id, atomically.
// Each method is one synchronous run of SQL statements, so concurrent requests never interleave.
import { DurableObject } from "cloudflare:workers";
import { accepted, refused, type Outcome, type Refusal } from "../../../shared/outcome";
import { randomHex } from "../../../shared/encoding";
import { emulatorNowSeconds, syncClock } from "../../../shared/emulator-clock";
import { EMULATOR_STATE_NAME, type EmulatorState } from "../../../shared/emulator-state";
import { stubOf } from "../../../shared/durable";
import { KeyVaultErrors, type KeyVaultError } from "../../../shared/errors/keyvault";
import { resourceKey } from "../../../shared/resource-id";
import type { VaultConfiguration } from "../../../shared/rpc";
import type { KeyVaultEnv } from "./env";

/** One version of a secret; times are unix seconds, as Key Vault's attributes carry them. */
export interface SecretVersionRecord {
  /** The name as first written (Key Vault names compare case-insensitively). */
  name: string;
  version: string;
  value: string;
  contentType: string | null;
  tags: Record<string, string> | null;
  enabled: boolean;
  nbf: number | null;
  exp: number | null;
  created: number;
  updated: number;
}

export interface DeletedSecretRecord {
  /** The secret's latest version when it was deleted. */
  latest: SecretVersionRecord;
  deletedDate: number;
  scheduledPurgeDate: number;
}

export interface SecretInput {
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled?: boolean;
  nbf?: number | null;
  exp?: number | null;
}

/** PATCH: absent fields stay, null clears nbf/exp. */
export type SecretPatch = Omit<Partial<SecretInput>, "value">;

export interface Page<T> {
  items: T[];
  /** Where the next page starts (opaque to clients), or null on the last page. */
  next: string | null;
}

/** What the vault's object answers: the shared Outcome; a refusal carries Key Vault's code and words. */
export type VaultResult<T> = Outcome<T>;

type VersionRow = {
  name: string;
  version: string;
  value: string;
  content_type: string | null;
  tags: string | null;
  enabled: number;
  nbf: number | null;
  exp: number | null;
  created: number;
  updated: number;
};

const SECONDS_PER_DAY = 86_400;

function fail(error: KeyVaultError): { ok: false; refusal: Refusal } {
  return refused(error.code, { status: error.status, message: error.message, ...(error.innerCode ? { detail: error.innerCode } : {}) });
}

/** The emulator clock (shared/emulator-clock.ts): soft-delete and purge dates move with it. */
function now(): number {
  return emulatorNowSeconds();
}

export class VaultObject extends DurableObject<KeyVaultEnv> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: KeyVaultEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.createSchema();
    // The emulator clock: read before the first request here, re-read in the background when
    // stale (shared/emulator-clock.ts); the methods below stay synchronous.
    ctx.blockConcurrencyWhile(() => syncClock(() => stubOf<EmulatorState>(env.EMULATOR, EMULATOR_STATE_NAME).clockOffset()));
  }

  private createSchema(): void {
    this.sql.exec("CREATE TABLE IF NOT EXISTS vault (id INTEGER PRIMARY KEY CHECK (id = 1), configuration TEXT NOT NULL)");
    // A secret: its display name, newest version, and, while soft-deleted, when it goes for good.
    this.sql.exec(`CREATE TABLE IF NOT EXISTS secrets (
      name_key TEXT PRIMARY KEY, name TEXT NOT NULL, latest TEXT NOT NULL, deleted_date INTEGER, purge_date INTEGER
    )`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS versions (
      name_key TEXT NOT NULL, version TEXT NOT NULL, seq INTEGER NOT NULL, value TEXT NOT NULL,
      content_type TEXT, tags TEXT, enabled INTEGER NOT NULL, nbf INTEGER, exp INTEGER,
      created INTEGER NOT NULL, updated INTEGER NOT NULL,
      PRIMARY KEY (name_key, version)
    )`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS versions_in_order ON versions (name_key, seq)");
  }

  // ---- Resource Manager's side (VaultAdminService) ----

  /** Claims the name for `configuration.resourceId` (or updates it); refuses if another vault holds it. */
  configure(configuration: VaultConfiguration): Outcome<null, "VaultNameTaken"> {
    const existing = this.settings();
    if (existing && resourceKey(existing.resourceId) !== resourceKey(configuration.resourceId)) {
      return refused("VaultNameTaken", { detail: existing.resourceId });
    }
    this.sql.exec("INSERT OR REPLACE INTO vault (id, configuration) VALUES (1, ?)", JSON.stringify(configuration));
    return accepted(null);
  }

  settings(): VaultConfiguration | null {
    const row = this.sql.exec<{ configuration: string }>("SELECT configuration FROM vault WHERE id = 1").toArray()[0];
    return row ? (JSON.parse(row.configuration) as VaultConfiguration) : null;
  }

  /** Drops the vault with every secret; the name is free again. */
  async remove(): Promise<void> {
    await this.ctx.storage.deleteAll();
    // deleteAll drops the tables too; this object may be asked to hold a new vault of the same name.
    this.createSchema();
  }

  // ---- Secrets ----

  setSecret(name: string, input: SecretInput): VaultResult<SecretVersionRecord> {
    this.purgeExpired();
    const key = name.toLowerCase();
    const secret = this.secretRow(key);
    if (secret?.deleted_date != null) return fail(KeyVaultErrors.secretDeletedButRecoverable(secret.name));
    const t = now();
    const record: SecretVersionRecord = {
      name: secret?.name ?? name,
      version: randomHex(16),
      value: input.value,
      contentType: input.contentType ?? null,
      tags: input.tags ?? null,
      enabled: input.enabled ?? true,
      nbf: input.nbf ?? null,
      exp: input.exp ?? null,
      created: t,
      updated: t,
    };
    const seq = this.sql.exec<{ seq: number }>("SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM versions").one().seq;
    this.sql.exec(
      `INSERT INTO versions (name_key, version, seq, value, content_type, tags, enabled, nbf, exp, created, updated)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      key, record.version, seq, record.value, record.contentType, record.tags ? JSON.stringify(record.tags) : null,
      record.enabled ? 1 : 0, record.nbf, record.exp, record.created, record.updated,
    );
    this.sql.exec(
      "INSERT INTO secrets (name_key, name, latest) VALUES (?, ?, ?) ON CONFLICT (name_key) DO UPDATE SET latest = excluded.latest",
      key, record.name, record.version,
    );
    return { ok: true, value: record };
  }

  /** A live secret's version (`null`: the latest). */
  getSecret(name: string, version: string | null): VaultResult<SecretVersionRecord> {
    this.purgeExpired();
    const record = this.liveVersion(name, version);
    return record ? { ok: true, value: record } : fail(KeyVaultErrors.secretNotFound(name, version ?? undefined));
  }

  updateSecret(name: string, version: string | null, patch: SecretPatch): VaultResult<SecretVersionRecord> {
    this.purgeExpired();
    const record = this.liveVersion(name, version);
    if (!record) return fail(KeyVaultErrors.secretNotFound(name, version ?? undefined));
    const updated: SecretVersionRecord = {
      ...record,
      contentType: patch.contentType !== undefined ? patch.contentType : record.contentType,
      tags: patch.tags !== undefined ? patch.tags : record.tags,
      enabled: patch.enabled ?? record.enabled,
      nbf: patch.nbf !== undefined ? patch.nbf : record.nbf,
      exp: patch.exp !== undefined ? patch.exp : record.exp,
      updated: now(),
    };
    this.sql.exec(
      "UPDATE versions SET content_type = ?, tags = ?, enabled = ?, nbf = ?, exp = ?, updated = ? WHERE name_key = ? AND version = ?",
      updated.contentType, updated.tags ? JSON.stringify(updated.tags) : null, updated.enabled ? 1 : 0, updated.nbf, updated.exp,
      updated.updated, name.toLowerCase(), record.version,
    );
    return { ok: true, value: updated };
  }

  /** The latest version of every live secret, by name. */
  listSecrets(after: string | null, limit: number): Page<SecretVersionRecord> {
    this.purgeExpired();
    const rows = this.sql
      .exec<VersionRow & { name_key: string }>(
        `SELECT s.name_key, s.name, v.version, v.value, v.content_type, v.tags, v.enabled, v.nbf, v.exp, v.created, v.updated
         FROM secrets s JOIN versions v ON v.name_key = s.name_key AND v.version = s.latest
         WHERE s.deleted_date IS NULL AND s.name_key > ? ORDER BY s.name_key LIMIT ?`,
        after ?? "", limit + 1,
      )
      .toArray();
    return page(rows, limit, (r) => r.name_key, toRecord);
  }

  /** Every version of a live secret, oldest first; an unknown name lists nothing, as Key Vault does. */
  listVersions(name: string, after: string | null, limit: number): Page<SecretVersionRecord> {
    this.purgeExpired();
    const key = name.toLowerCase();
    const secret = this.secretRow(key);
    if (!secret || secret.deleted_date != null) return { items: [], next: null };
    const rows = this.sql
      .exec<VersionRow & { seq: number }>(
        `SELECT ? AS name, version, seq, value, content_type, tags, enabled, nbf, exp, created, updated
         FROM versions WHERE name_key = ? AND seq > ? ORDER BY seq LIMIT ?`,
        secret.name, key, Number(after ?? 0), limit + 1,
      )
      .toArray();
    return page(rows, limit, (r) => String(r.seq), toRecord);
  }

  /**
   * Deletes a secret with all its versions: soft (recoverable until the purge date) when the
   * vault has soft delete on, for good otherwise.
   */
  deleteSecret(name: string): VaultResult<DeletedSecretRecord & { recoverable: boolean }> {
    this.purgeExpired();
    const latest = this.liveVersion(name, null);
    if (!latest) return fail(KeyVaultErrors.secretNotFound(name));
    const key = name.toLowerCase();
    const settings = this.settings();
    const deletedDate = now();
    if (settings && !settings.enableSoftDelete) {
      this.erase(key);
      return { ok: true, value: { latest, deletedDate, scheduledPurgeDate: deletedDate, recoverable: false } };
    }
    const retention = settings?.softDeleteRetentionInDays ?? 90;
    const scheduledPurgeDate = deletedDate + retention * SECONDS_PER_DAY;
    this.sql.exec("UPDATE secrets SET deleted_date = ?, purge_date = ? WHERE name_key = ?", deletedDate, scheduledPurgeDate, key);
    return { ok: true, value: { latest, deletedDate, scheduledPurgeDate, recoverable: true } };
  }

  getDeletedSecret(name: string): VaultResult<DeletedSecretRecord> {
    this.purgeExpired();
    const deleted = this.deletedSecret(name);
    return deleted ? { ok: true, value: deleted } : fail(KeyVaultErrors.deletedSecretNotFound(name));
  }

  listDeletedSecrets(after: string | null, limit: number): Page<DeletedSecretRecord> {
    this.purgeExpired();
    const rows = this.sql
      .exec<VersionRow & { name_key: string; deleted_date: number; purge_date: number }>(
        `SELECT s.name_key, s.name, s.deleted_date, s.purge_date, v.version, v.value, v.content_type, v.tags, v.enabled,
                v.nbf, v.exp, v.created, v.updated
         FROM secrets s JOIN versions v ON v.name_key = s.name_key AND v.version = s.latest
         WHERE s.deleted_date IS NOT NULL AND s.name_key > ? ORDER BY s.name_key LIMIT ?`,
        after ?? "", limit + 1,
      )
      .toArray();
    return page(rows, limit, (r) => r.name_key, (r) => ({
      latest: toRecord(r),
      deletedDate: r.deleted_date,
      scheduledPurgeDate: r.purge_date,
    }));
  }

  /** Purge: the deleted secret and every version are gone; the name can be used again. */
  purgeDeletedSecret(name: string): VaultResult<null> {
    this.purgeExpired();
    if (!this.deletedSecret(name)) return fail(KeyVaultErrors.deletedSecretNotFound(name));
    if (this.settings()?.enablePurgeProtection) return fail(KeyVaultErrors.purgeProtected());
    this.erase(name.toLowerCase());
    return { ok: true, value: null };
  }

  /** Recover: the secret is live again with all its versions. */
  recoverDeletedSecret(name: string): VaultResult<SecretVersionRecord> {
    this.purgeExpired();
    const deleted = this.deletedSecret(name);
    if (!deleted) return fail(KeyVaultErrors.deletedSecretNotFound(name));
    this.sql.exec("UPDATE secrets SET deleted_date = NULL, purge_date = NULL WHERE name_key = ?", name.toLowerCase());
    return { ok: true, value: deleted.latest };
  }

  // ---- internals ----

  private secretRow(key: string) {
    return (
      this.sql
        .exec<{ name: string; latest: string; deleted_date: number | null; purge_date: number | null }>(
          "SELECT name, latest, deleted_date, purge_date FROM secrets WHERE name_key = ?",
          key,
        )
        .toArray()[0] ?? null
    );
  }

  private versionRow(key: string, name: string, version: string): SecretVersionRecord | null {
    const row = this.sql
      .exec<VersionRow>(
        `SELECT ? AS name, version, value, content_type, tags, enabled, nbf, exp, created, updated
         FROM versions WHERE name_key = ? AND version = ?`,
        name, key, version.toLowerCase(),
      )
      .toArray()[0];
    return row ? toRecord(row) : null;
  }

  private liveVersion(name: string, version: string | null): SecretVersionRecord | null {
    const key = name.toLowerCase();
    const secret = this.secretRow(key);
    if (!secret || secret.deleted_date != null) return null;
    return this.versionRow(key, secret.name, version ?? secret.latest);
  }

  private deletedSecret(name: string): DeletedSecretRecord | null {
    const key = name.toLowerCase();
    const secret = this.secretRow(key);
    if (!secret || secret.deleted_date == null || secret.purge_date == null) return null;
    const latest = this.versionRow(key, secret.name, secret.latest);
    return latest ? { latest, deletedDate: secret.deleted_date, scheduledPurgeDate: secret.purge_date } : null;
  }

  private erase(key: string): void {
    this.sql.exec("DELETE FROM versions WHERE name_key = ?", key);
    this.sql.exec("DELETE FROM secrets WHERE name_key = ?", key);
  }

  /** Key Vault purges deleted secrets at their scheduled purge date; here, on the next access. */
  private purgeExpired(): void {
    const expired = this.sql
      .exec<{ name_key: string }>("SELECT name_key FROM secrets WHERE purge_date IS NOT NULL AND purge_date <= ?", now())
      .toArray();
    for (const { name_key } of expired) this.erase(name_key);
  }
}

function toRecord(row: VersionRow): SecretVersionRecord {
  return {
    name: row.name,
    version: row.version,
    value: row.value,
    contentType: row.content_type,
    tags: row.tags ? (JSON.parse(row.tags) as Record<string, string>) : null,
    enabled: row.enabled === 1,
    nbf: row.nbf,
    exp: row.exp,
    created: row.created,
    updated: row.updated,
  };
}

function page<R, T>(rows: R[], limit: number, position: (row: R) => string, map: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const shown = more ? rows.slice(0, limit) : rows;
  return { items: shown.map(map), next: more ? position(shown[shown.length - 1]!) : null };
}
