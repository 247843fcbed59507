// One storage account (Durable Object keyed by the lower-case account name): what Resource
// Manager said about it (keys, the Shared Key switch), its containers, its blobs' metadata
// (properties, x-ms-meta-*, etag, the committed block list) and its uncommitted blocks'
// metadata, in SQLite, so that a listing with prefix/marker/maxresults is one indexed range
// query. Being keyed by name, it is also the global registry of account names: configure()
// claims the name for one resource id, atomically.
//
// Bytes live in R2 (bucket mie-blobs), never here:
//   {account}/blob/{uuid}   one committed version of a blob (a fresh key per version)
//   {account}/block/{uuid}  one staged (uncommitted) block
// A write never overwrites an object a reader may be streaming: the new bytes go to a fresh key
// (recorded in `uploads` before the first byte is sent), the commit swaps the blob's row to it in
// one synchronous SQL run, and the replaced key moves to `garbage`. An alarm deletes garbage
// from R2 and gives up on uploads older than UPLOAD_TTL_MS (their keys become garbage), so a
// crash at any point leaves at most an unreferenced object that the alarm removes; nothing ever
// points at half-written data. Removing the account deletes everything under {account}/.
//
// Every method but remove/alarm is one synchronous run of SQL statements: concurrent requests
// never interleave inside one. Refusals leave as data (shared/outcome.ts) worded as Storage's
// errors; the worker turns them back into StorageError.
import { DurableObject } from "cloudflare:workers";
import { stubOf } from "../../../shared/durable";
import { emulatorNow, syncClock } from "../../../shared/emulator-clock";
import { EMULATOR_STATE_NAME, type EmulatorState } from "../../../shared/emulator-state";
import { StorageErrors, type StorageError } from "../../../shared/errors/storage";
import { accepted, refused, type Outcome, type Refusal } from "../../../shared/outcome";
import { resourceKey } from "../../../shared/resource-id";
import type { StorageAccountConfiguration } from "../../../shared/rpc";
import { evaluateConditions, type ConditionHeaders, type ConditionTarget } from "./conditions";
import type { StorageEnv } from "./env";
import { collectListing, decodeMarker, encodeMarker, prefixUpperBound } from "./listing";
import type {
  BlobHttpProperties,
  BlobListEntry,
  BlobRecord,
  CommittedBlock,
  ContainerRecord,
  ListResult,
  UncommittedBlock,
} from "./model";
import { blockIdLength } from "./names";
import type { BlockListEntry } from "./xml";

/** An upload not committed after this long is abandoned (a 5000 MiB body at ~1 MB/s takes ~90 min). */
const UPLOAD_TTL_MS = 6 * 60 * 60 * 1000;
/** R2 deletes up to 1000 keys per call. */
const DELETE_BATCH = 1000;
export const MAX_COMMITTED_BLOCKS = 50_000;
export const MAX_UNCOMMITTED_BLOCKS = 100_000;

function fail(error: StorageError): { ok: false; refusal: Refusal } {
  return refused(error.code, { status: error.status, message: error.message });
}

type ContainerRow = { name: string; etag: string; last_modified: number; public_access: string; metadata: string };
type BlobRow = {
  container: string;
  name: string;
  etag: string;
  created: number;
  last_modified: number;
  size: number;
  content_type: string | null;
  content_encoding: string | null;
  content_language: string | null;
  content_md5: string | null;
  cache_control: string | null;
  content_disposition: string | null;
  metadata: string;
  object_key: string;
};

function containerRecord(row: ContainerRow): ContainerRecord {
  return {
    name: row.name,
    etag: row.etag,
    lastModifiedMs: row.last_modified,
    publicAccess: row.public_access as ContainerRecord["publicAccess"],
    metadata: JSON.parse(row.metadata) as Record<string, string>,
  };
}

function blobRecord(row: BlobRow): BlobRecord {
  return {
    container: row.container,
    name: row.name,
    etag: row.etag,
    createdMs: row.created,
    lastModifiedMs: row.last_modified,
    size: row.size,
    contentType: row.content_type,
    contentEncoding: row.content_encoding,
    contentLanguage: row.content_language,
    contentMd5: row.content_md5,
    cacheControl: row.cache_control,
    contentDisposition: row.content_disposition,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    objectKey: row.object_key,
  };
}

function target(record: { etag: string; lastModifiedMs: number } | null): ConditionTarget | null {
  return record ? { etag: record.etag, lastModifiedMs: record.lastModifiedMs } : null;
}

/** A write's conditions against the current blob: 412 ConditionNotMet or 409 BlobAlreadyExists. */
function writeConditionRefusal(conditions: ConditionHeaders | undefined, current: ConditionTarget | null): StorageError | null {
  if (!conditions) return null;
  const outcome = evaluateConditions(conditions, current, "write");
  if (outcome.ok) return null;
  return outcome.status === 409 ? StorageErrors.blobAlreadyExists() : StorageErrors.conditionNotMet();
}

/** What a new blob version is made of, besides its bytes. */
export interface BlobWrite {
  properties: BlobHttpProperties;
  metadata: Record<string, string>;
}

/** Where the bytes of a Put Block List come from, in order: ranges of existing objects. */
export interface BlockListPlan {
  sources: { objectKey: string; offset: number; length: number }[];
  blocks: { id: string; size: number }[];
  total: number;
  /** The blob's etag when planned (null: no blob); the commit refuses if it moved. */
  baseEtag: string | null;
  /** The staged blocks used, id → object key; the commit refuses if any was replaced. */
  staged: Record<string, string>;
}

export class StorageAccountObject extends DurableObject<StorageEnv> {
  private readonly sql: SqlStorage;
  /** Last tick handed out as an etag (100 ns units), so etags are unique and increasing here. */
  private lastTick = 0;

  constructor(ctx: DurableObjectState, env: StorageEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.createSchema();
    ctx.blockConcurrencyWhile(() => syncClock(() => stubOf<EmulatorState>(env.EMULATOR, EMULATOR_STATE_NAME).clockOffset()));
  }

  private createSchema(): void {
    this.sql.exec("CREATE TABLE IF NOT EXISTS account (id INTEGER PRIMARY KEY CHECK (id = 1), configuration TEXT NOT NULL)");
    this.sql.exec(`CREATE TABLE IF NOT EXISTS containers (
      name TEXT PRIMARY KEY, etag TEXT NOT NULL, last_modified INTEGER NOT NULL, public_access TEXT NOT NULL, metadata TEXT NOT NULL
    ) WITHOUT ROWID`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS blobs (
      container TEXT NOT NULL, name TEXT NOT NULL, etag TEXT NOT NULL, created INTEGER NOT NULL, last_modified INTEGER NOT NULL,
      size INTEGER NOT NULL, content_type TEXT, content_encoding TEXT, content_language TEXT, content_md5 TEXT,
      cache_control TEXT, content_disposition TEXT, metadata TEXT NOT NULL, object_key TEXT NOT NULL,
      PRIMARY KEY (container, name)
    ) WITHOUT ROWID`);
    // A committed block's bytes are a range of the blob's object (offset, size).
    this.sql.exec(`CREATE TABLE IF NOT EXISTS committed_blocks (
      container TEXT NOT NULL, name TEXT NOT NULL, seq INTEGER NOT NULL, block_id TEXT NOT NULL, size INTEGER NOT NULL, offset INTEGER NOT NULL,
      PRIMARY KEY (container, name, seq)
    ) WITHOUT ROWID`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS uncommitted_blocks (
      container TEXT NOT NULL, name TEXT NOT NULL, block_id TEXT NOT NULL, size INTEGER NOT NULL, object_key TEXT NOT NULL, staged INTEGER NOT NULL,
      PRIMARY KEY (container, name, block_id)
    ) WITHOUT ROWID`);
    this.sql.exec("CREATE TABLE IF NOT EXISTS uploads (object_key TEXT PRIMARY KEY, started INTEGER NOT NULL)");
    this.sql.exec("CREATE TABLE IF NOT EXISTS garbage (object_key TEXT PRIMARY KEY)");
  }

  private now(): number {
    return emulatorNow();
  }

  /** A new etag: 0x8D + 14 hex digits of a per-object increasing tick (time in 100 ns units). */
  private nextEtag(now: number): string {
    this.lastTick = Math.max(this.lastTick + 1, now * 10_000);
    return `0x8D${this.lastTick.toString(16).toUpperCase().padStart(14, "0").slice(-14)}`;
  }

  // ---- Resource Manager's side (StorageAdminService) ----

  /** Claims the name for `configuration.resourceId` (or updates it); refuses if another account holds it. */
  async configure(configuration: StorageAccountConfiguration): Promise<Outcome<null, "AccountNameTaken">> {
    const existing = this.settings();
    if (existing && resourceKey(existing.resourceId) !== resourceKey(configuration.resourceId)) {
      return refused("AccountNameTaken", { detail: existing.resourceId });
    }
    this.sql.exec("INSERT OR REPLACE INTO account (id, configuration) VALUES (1, ?)", JSON.stringify(configuration));
    // A new account: anything under its prefix is left over from an earlier account of the same
    // name (an upload that finished after it was removed); sweep it once.
    if (!existing) await this.deletePrefix(`${configuration.name.toLowerCase()}/`, true);
    return accepted(null);
  }

  settings(): StorageAccountConfiguration | null {
    const row = this.sql.exec<{ configuration: string }>("SELECT configuration FROM account WHERE id = 1").toArray()[0];
    return row ? (JSON.parse(row.configuration) as StorageAccountConfiguration) : null;
  }

  /** Drops the account with every container, blob and block (bytes included); the name is free again. */
  async remove(): Promise<void> {
    const name = this.settings()?.name;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.createSchema();
    if (name) await this.deletePrefix(`${name.toLowerCase()}/`, false);
  }

  /** Deletes every R2 object under `prefix` not referenced here (`onlyUnreferenced`) or all of them. */
  private async deletePrefix(prefix: string, onlyUnreferenced: boolean): Promise<void> {
    let cursor: string | undefined;
    do {
      const page = await this.env.BLOBS.list({ prefix, cursor, limit: DELETE_BATCH });
      let keys = page.objects.map((o) => o.key);
      if (onlyUnreferenced) keys = keys.filter((key) => !this.referenced(key));
      if (keys.length) await this.env.BLOBS.delete(keys);
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
  }

  private referenced(key: string): boolean {
    const hit = (sql: string) => this.sql.exec(sql, key).toArray().length > 0;
    return (
      hit("SELECT 1 FROM uploads WHERE object_key = ?") ||
      hit("SELECT 1 FROM blobs WHERE object_key = ? LIMIT 1") ||
      hit("SELECT 1 FROM uncommitted_blocks WHERE object_key = ? LIMIT 1")
    );
  }

  // ---- containers ----

  getContainer(name: string): ContainerRecord | null {
    const row = this.sql.exec<ContainerRow>("SELECT * FROM containers WHERE name = ?", name).toArray()[0];
    return row ? containerRecord(row) : null;
  }

  createContainer(name: string, publicAccess: ContainerRecord["publicAccess"], metadata: Record<string, string>): Outcome<ContainerRecord> {
    if (this.getContainer(name)) return fail(StorageErrors.containerAlreadyExists());
    const now = this.now();
    const record: ContainerRecord = { name, etag: this.nextEtag(now), lastModifiedMs: now, publicAccess, metadata };
    this.writeContainer(record);
    return accepted(record);
  }

  /** Resource Manager's PUT: creates the container or updates what it names. */
  putContainer(
    name: string,
    input: { publicAccess?: ContainerRecord["publicAccess"]; metadata?: Record<string, string> },
  ): { created: boolean; record: ContainerRecord } {
    const existing = this.getContainer(name);
    const now = this.now();
    const record: ContainerRecord = {
      name,
      etag: this.nextEtag(now),
      lastModifiedMs: now,
      publicAccess: input.publicAccess ?? existing?.publicAccess ?? "None",
      metadata: input.metadata ?? existing?.metadata ?? {},
    };
    this.writeContainer(record);
    return { created: !existing, record };
  }

  setContainerMetadata(name: string, metadata: Record<string, string>, conditions?: ConditionHeaders): Outcome<ContainerRecord> {
    const existing = this.getContainer(name);
    if (!existing) return fail(StorageErrors.containerNotFound());
    if (conditions && !evaluateConditions(conditions, target(existing), "write").ok) return fail(StorageErrors.conditionNotMet());
    const now = this.now();
    // Azure: setting container metadata changes its etag and Last-Modified.
    const record: ContainerRecord = { ...existing, metadata, etag: this.nextEtag(now), lastModifiedMs: now };
    this.writeContainer(record);
    return accepted(record);
  }

  private writeContainer(r: ContainerRecord): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO containers (name, etag, last_modified, public_access, metadata) VALUES (?, ?, ?, ?, ?)",
      r.name, r.etag, r.lastModifiedMs, r.publicAccess, JSON.stringify(r.metadata),
    );
  }

  /** Deletes the container with its blobs and blocks (their bytes become garbage). */
  deleteContainer(name: string, conditions?: ConditionHeaders): Outcome<boolean> {
    const existing = this.getContainer(name);
    if (!existing) return fail(StorageErrors.containerNotFound());
    if (conditions && !evaluateConditions(conditions, target(existing), "write").ok) return fail(StorageErrors.conditionNotMet());
    this.sql.exec("INSERT OR IGNORE INTO garbage (object_key) SELECT object_key FROM blobs WHERE container = ?", name);
    this.sql.exec("INSERT OR IGNORE INTO garbage (object_key) SELECT object_key FROM uncommitted_blocks WHERE container = ?", name);
    this.sql.exec("DELETE FROM blobs WHERE container = ?", name);
    this.sql.exec("DELETE FROM committed_blocks WHERE container = ?", name);
    this.sql.exec("DELETE FROM uncommitted_blocks WHERE container = ?", name);
    this.sql.exec("DELETE FROM containers WHERE name = ?", name);
    this.collectSoon();
    return accepted(true);
  }

  listContainers(prefix: string, marker: string | null, maxResults: number): Outcome<ListResult<ContainerRecord>> {
    const start = marker === null ? "" : decodeMarker(marker);
    if (start === null) return fail(StorageErrors.invalidQueryParameterValue("marker", marker ?? ""));
    const upper = prefixUpperBound(prefix);
    const rows = this.sql
      .exec<ContainerRow>(
        `SELECT * FROM containers WHERE name >= ? AND name >= ? ${upper === null ? "" : "AND name < ?"} ORDER BY name LIMIT ?`,
        ...[start, prefix, ...(upper === null ? [] : [upper]), maxResults + 1],
      )
      .toArray();
    const next = rows.length > maxResults ? encodeMarker(rows[maxResults]!.name) : "";
    return accepted({ items: rows.slice(0, maxResults).map(containerRecord), nextMarker: next });
  }

  /** Every container (Resource Manager's list). */
  allContainers(): ContainerRecord[] {
    return this.sql.exec<ContainerRow>("SELECT * FROM containers ORDER BY name").toArray().map(containerRecord);
  }

  // ---- blobs ----

  private blobRow(container: string, name: string): BlobRecord | null {
    const row = this.sql.exec<BlobRow>("SELECT * FROM blobs WHERE container = ? AND name = ?", container, name).toArray()[0];
    return row ? blobRecord(row) : null;
  }

  /** The container (null: it does not exist) and the blob in it (null: none). */
  lookup(container: string, name: string): { container: ContainerRecord | null; blob: BlobRecord | null } {
    const c = this.getContainer(container);
    return { container: c, blob: c ? this.blobRow(container, name) : null };
  }

  getBlob(container: string, name: string): Outcome<BlobRecord> {
    if (!this.getContainer(container)) return fail(StorageErrors.containerNotFound());
    const blob = this.blobRow(container, name);
    return blob ? accepted(blob) : fail(StorageErrors.blobNotFound());
  }

  /** Records an object about to be written (before its first byte), so a crash cannot orphan it for good. */
  beginUpload(objectKey: string): void {
    this.sql.exec("INSERT OR REPLACE INTO uploads (object_key, started) VALUES (?, ?)", objectKey, Date.now());
    this.collectLater(UPLOAD_TTL_MS);
  }

  /** An upload that failed: its object (whatever of it exists) is garbage. */
  abandonUpload(objectKey: string): void {
    this.discard(objectKey);
    this.collectSoon();
  }

  private discard(objectKey: string): void {
    this.sql.exec("DELETE FROM uploads WHERE object_key = ?", objectKey);
    this.sql.exec("INSERT OR IGNORE INTO garbage (object_key) VALUES (?)", objectKey);
  }

  /**
   * Put Blob's commit: the blob now is `objectKey` (already written). Checks the container and
   * the conditions against the blob as it is now; replaces the blob, discards its committed
   * list and every uncommitted block. On refusal the new object is garbage.
   */
  commitBlob(container: string, name: string, objectKey: string, size: number, write: BlobWrite, conditions: ConditionHeaders): Outcome<BlobRecord> {
    const refusal = this.commitRefusal(container, name, objectKey, conditions);
    if (refusal) return refusal;
    const record = this.replaceBlob(container, name, objectKey, size, write);
    this.collectSoon();
    return accepted(record);
  }

  private commitRefusal(container: string, name: string, objectKey: string, conditions: ConditionHeaders): { ok: false; refusal: Refusal } | null {
    const known = this.sql.exec("SELECT 1 FROM uploads WHERE object_key = ?", objectKey).toArray().length > 0;
    let error: StorageError | null = null;
    if (!known) error = StorageErrors.operationConflict();
    else if (!this.getContainer(container)) error = StorageErrors.containerNotFound();
    else error = writeConditionRefusal(conditions, target(this.blobRow(container, name)));
    if (!error) return null;
    this.discard(objectKey);
    this.collectSoon();
    return fail(error);
  }

  private replaceBlob(container: string, name: string, objectKey: string, size: number, write: BlobWrite): BlobRecord {
    const existing = this.blobRow(container, name);
    const now = this.now();
    const p = write.properties;
    const record: BlobRecord = {
      container,
      name,
      etag: this.nextEtag(now),
      createdMs: existing?.createdMs ?? now,
      lastModifiedMs: now,
      size,
      ...p,
      metadata: write.metadata,
      objectKey,
    };
    if (existing && existing.objectKey !== objectKey) this.sql.exec("INSERT OR IGNORE INTO garbage (object_key) VALUES (?)", existing.objectKey);
    this.sql.exec("INSERT OR IGNORE INTO garbage (object_key) SELECT object_key FROM uncommitted_blocks WHERE container = ? AND name = ?", container, name);
    this.sql.exec("DELETE FROM uncommitted_blocks WHERE container = ? AND name = ?", container, name);
    this.sql.exec("DELETE FROM committed_blocks WHERE container = ? AND name = ?", container, name);
    this.sql.exec("DELETE FROM uploads WHERE object_key = ?", objectKey);
    this.writeBlob(record);
    return record;
  }

  private writeBlob(r: BlobRecord): void {
    this.sql.exec(
      `INSERT OR REPLACE INTO blobs (container, name, etag, created, last_modified, size, content_type, content_encoding,
        content_language, content_md5, cache_control, content_disposition, metadata, object_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.container, r.name, r.etag, r.createdMs, r.lastModifiedMs, r.size, r.contentType, r.contentEncoding, r.contentLanguage,
      r.contentMd5, r.cacheControl, r.contentDisposition, JSON.stringify(r.metadata), r.objectKey,
    );
  }

  /** The block ids of one blob must all have the same decoded length (Azure: 400 InvalidBlobOrBlock). */
  private blockIdLengthMismatch(container: string, name: string, idLength: number): boolean {
    const other =
      this.sql.exec<{ block_id: string }>("SELECT block_id FROM uncommitted_blocks WHERE container = ? AND name = ? LIMIT 1", container, name).toArray()[0] ??
      this.sql.exec<{ block_id: string }>("SELECT block_id FROM committed_blocks WHERE container = ? AND name = ? LIMIT 1", container, name).toArray()[0];
    return other !== undefined && blockIdLength(other.block_id) !== idLength;
  }

  /** Put Block's commit: the block `blockId` of the blob is now `objectKey` (replacing a staged one of that id). */
  stageBlock(container: string, name: string, blockId: string, objectKey: string, size: number): Outcome<null> {
    let error: StorageError | null = null;
    const known = this.sql.exec("SELECT 1 FROM uploads WHERE object_key = ?", objectKey).toArray().length > 0;
    if (!known) error = StorageErrors.operationConflict();
    else if (!this.getContainer(container)) error = StorageErrors.containerNotFound();
    else if (this.blockIdLengthMismatch(container, name, blockIdLength(blockId))) error = StorageErrors.invalidBlobOrBlock();
    else {
      const count = this.sql
        .exec<{ n: number }>("SELECT COUNT(*) AS n FROM uncommitted_blocks WHERE container = ? AND name = ? AND block_id <> ?", container, name, blockId)
        .one().n;
      if (count >= MAX_UNCOMMITTED_BLOCKS) error = StorageErrors.uncommittedBlockCountExceedsLimit();
    }
    if (error) {
      this.discard(objectKey);
      this.collectSoon();
      return fail(error);
    }
    this.sql.exec(
      "INSERT OR IGNORE INTO garbage (object_key) SELECT object_key FROM uncommitted_blocks WHERE container = ? AND name = ? AND block_id = ?",
      container, name, blockId,
    );
    this.sql.exec(
      "INSERT OR REPLACE INTO uncommitted_blocks (container, name, block_id, size, object_key, staged) VALUES (?, ?, ?, ?, ?, ?)",
      container, name, blockId, size, objectKey, Date.now(),
    );
    this.sql.exec("DELETE FROM uploads WHERE object_key = ?", objectKey);
    this.collectSoon();
    return accepted(null);
  }

  private committedBlocks(container: string, name: string): CommittedBlock[] {
    return this.sql
      .exec<{ block_id: string; size: number; offset: number }>(
        "SELECT block_id, size, offset FROM committed_blocks WHERE container = ? AND name = ? ORDER BY seq",
        container, name,
      )
      .toArray()
      .map((r) => ({ id: r.block_id, size: r.size, offset: r.offset }));
  }

  private uncommittedBlocks(container: string, name: string): UncommittedBlock[] {
    return this.sql
      .exec<{ block_id: string; size: number; object_key: string }>(
        "SELECT block_id, size, object_key FROM uncommitted_blocks WHERE container = ? AND name = ? ORDER BY staged, block_id",
        container, name,
      )
      .toArray()
      .map((r) => ({ id: r.block_id, size: r.size, objectKey: r.object_key }));
  }

  /**
   * Put Block List, first half: resolves each listed block (Latest: the staged one if any, else
   * the committed one; Committed; Uncommitted) to a range of an existing object. Refuses unknown
   * blocks (400 InvalidBlockList), more than 50,000 (409 BlockCountExceedsLimit) and unmet conditions.
   */
  planBlockList(container: string, name: string, entries: BlockListEntry[], conditions: ConditionHeaders): Outcome<BlockListPlan> {
    if (!this.getContainer(container)) return fail(StorageErrors.containerNotFound());
    const blob = this.blobRow(container, name);
    const conditionError = writeConditionRefusal(conditions, target(blob));
    if (conditionError) return fail(conditionError);
    if (entries.length > MAX_COMMITTED_BLOCKS) return fail(StorageErrors.blockCountExceedsLimit());
    const committed = new Map(this.committedBlocks(container, name).map((b) => [b.id, b]));
    const staged = new Map(this.uncommittedBlocks(container, name).map((b) => [b.id, b]));
    const plan: BlockListPlan = { sources: [], blocks: [], total: 0, baseEtag: blob?.etag ?? null, staged: {} };
    let idLength: number | null = null;
    for (const entry of entries) {
      let length: number;
      try {
        length = blockIdLength(entry.id);
      } catch {
        return fail(StorageErrors.invalidBlockList());
      }
      if (idLength !== null && length !== idLength) return fail(StorageErrors.invalidBlockList());
      idLength = length;
      const fromStaged = entry.kind !== "Committed" ? staged.get(entry.id) : undefined;
      const fromCommitted = entry.kind !== "Uncommitted" && !fromStaged ? committed.get(entry.id) : undefined;
      if (fromStaged) {
        plan.sources.push({ objectKey: fromStaged.objectKey, offset: 0, length: fromStaged.size });
        plan.blocks.push({ id: entry.id, size: fromStaged.size });
        plan.staged[entry.id] = fromStaged.objectKey;
        plan.total += fromStaged.size;
      } else if (fromCommitted && blob) {
        plan.sources.push({ objectKey: blob.objectKey, offset: fromCommitted.offset, length: fromCommitted.size });
        plan.blocks.push({ id: entry.id, size: fromCommitted.size });
        plan.total += fromCommitted.size;
      } else {
        return fail(StorageErrors.invalidBlockList());
      }
    }
    return accepted(plan);
  }

  /**
   * Put Block List, second half: `objectKey` holds the composed bytes. Refused (500, the SDKs
   * retry) when the blob or a used staged block changed since the plan; otherwise the blob is
   * replaced, its committed list recorded, and every staged block discarded.
   */
  commitBlockList(container: string, name: string, objectKey: string, plan: BlockListPlan, write: BlobWrite, conditions: ConditionHeaders): Outcome<BlobRecord> {
    const refusal = this.commitRefusal(container, name, objectKey, conditions);
    if (refusal) return refusal;
    const blob = this.blobRow(container, name);
    const staged = new Map(this.uncommittedBlocks(container, name).map((b) => [b.id, b.objectKey]));
    const moved = (blob?.etag ?? null) !== plan.baseEtag || Object.entries(plan.staged).some(([id, key]) => staged.get(id) !== key);
    if (moved) {
      this.discard(objectKey);
      this.collectSoon();
      return fail(StorageErrors.operationConflict());
    }
    const record = this.replaceBlob(container, name, objectKey, plan.total, write);
    let offset = 0;
    plan.blocks.forEach((block, seq) => {
      this.sql.exec(
        "INSERT INTO committed_blocks (container, name, seq, block_id, size, offset) VALUES (?, ?, ?, ?, ?, ?)",
        container, name, seq, block.id, block.size, offset,
      );
      offset += block.size;
    });
    this.collectSoon();
    return accepted(record);
  }

  /** Get Block List: the blob (null when only staged blocks exist) and the lists asked for. */
  getBlockList(
    container: string,
    name: string,
    which: { committed: boolean; uncommitted: boolean },
  ): Outcome<{ blob: BlobRecord | null; committed: CommittedBlock[] | null; uncommitted: UncommittedBlock[] | null }> {
    if (!this.getContainer(container)) return fail(StorageErrors.containerNotFound());
    const blob = this.blobRow(container, name);
    const uncommitted = which.uncommitted ? this.uncommittedBlocks(container, name) : null;
    if (!blob && !(uncommitted && uncommitted.length)) return fail(StorageErrors.blobNotFound());
    return accepted({ blob, committed: which.committed ? this.committedBlocks(container, name) : null, uncommitted });
  }

  setBlobMetadata(container: string, name: string, metadata: Record<string, string>, conditions: ConditionHeaders): Outcome<BlobRecord> {
    return this.updateBlob(container, name, conditions, (b) => ({ ...b, metadata }));
  }

  setBlobProperties(container: string, name: string, properties: BlobHttpProperties, conditions: ConditionHeaders): Outcome<BlobRecord> {
    return this.updateBlob(container, name, conditions, (b) => ({ ...b, ...properties }));
  }

  private updateBlob(container: string, name: string, conditions: ConditionHeaders, change: (b: BlobRecord) => BlobRecord): Outcome<BlobRecord> {
    if (!this.getContainer(container)) return fail(StorageErrors.containerNotFound());
    const blob = this.blobRow(container, name);
    if (!blob) return fail(StorageErrors.blobNotFound());
    const conditionError = writeConditionRefusal(conditions, target(blob));
    if (conditionError) return fail(conditionError);
    const now = this.now();
    const record = { ...change(blob), etag: this.nextEtag(now), lastModifiedMs: now };
    this.writeBlob(record);
    return accepted(record);
  }

  deleteBlob(container: string, name: string, conditions: ConditionHeaders): Outcome<null> {
    if (!this.getContainer(container)) return fail(StorageErrors.containerNotFound());
    const blob = this.blobRow(container, name);
    if (!blob) return fail(StorageErrors.blobNotFound());
    const conditionError = writeConditionRefusal(conditions, target(blob));
    if (conditionError) return fail(conditionError);
    this.sql.exec("INSERT OR IGNORE INTO garbage (object_key) VALUES (?)", blob.objectKey);
    this.sql.exec("INSERT OR IGNORE INTO garbage (object_key) SELECT object_key FROM uncommitted_blocks WHERE container = ? AND name = ?", container, name);
    this.sql.exec("DELETE FROM uncommitted_blocks WHERE container = ? AND name = ?", container, name);
    this.sql.exec("DELETE FROM committed_blocks WHERE container = ? AND name = ?", container, name);
    this.sql.exec("DELETE FROM blobs WHERE container = ? AND name = ?", container, name);
    this.collectSoon();
    return accepted(null);
  }

  /** List Blobs: names ≥ the marker with the prefix, in order, collapsed at the delimiter (listing.ts). */
  listBlobs(container: string, prefix: string, delimiter: string | null, marker: string | null, maxResults: number): Outcome<ListResult<BlobListEntry>> {
    if (!this.getContainer(container)) return fail(StorageErrors.containerNotFound());
    const start = marker === null ? "" : decodeMarker(marker);
    if (start === null) return fail(StorageErrors.invalidQueryParameterValue("marker", marker ?? ""));
    const upper = prefixUpperBound(prefix);
    const fetch = (cursor: string, limit: number) =>
      this.sql
        .exec<BlobRow>(
          `SELECT * FROM blobs WHERE container = ? AND name >= ? AND name >= ? ${upper === null ? "" : "AND name < ?"} ORDER BY name LIMIT ?`,
          ...[container, cursor, prefix, ...(upper === null ? [] : [upper]), limit],
        )
        .toArray();
    const page = collectListing(fetch, prefix, delimiter, start, maxResults);
    const items: BlobListEntry[] = page.items.map((entry) =>
      entry.kind === "prefix" ? { kind: "prefix", name: entry.name } : { kind: "blob", blob: blobRecord(entry.row) },
    );
    return accepted({ items, nextMarker: page.next });
  }

  // ---- garbage collection ----

  private collectSoon(): void {
    const hasGarbage = this.sql.exec("SELECT 1 FROM garbage LIMIT 1").toArray().length > 0;
    if (hasGarbage) void this.ctx.storage.setAlarm(Date.now());
  }

  private collectLater(ms: number): void {
    void this.ctx.storage.getAlarm().then((at) => {
      if (at === null || at > Date.now() + ms) return this.ctx.storage.setAlarm(Date.now() + ms);
    });
  }

  /** Deletes garbage from R2 and expires abandoned uploads; reschedules itself while work remains. */
  override async alarm(): Promise<void> {
    const expired = Date.now() - UPLOAD_TTL_MS;
    this.sql.exec("INSERT OR IGNORE INTO garbage (object_key) SELECT object_key FROM uploads WHERE started <= ?", expired);
    this.sql.exec("DELETE FROM uploads WHERE started <= ?", expired);
    for (;;) {
      const keys = this.sql.exec<{ object_key: string }>("SELECT object_key FROM garbage LIMIT ?", DELETE_BATCH).toArray().map((r) => r.object_key);
      if (!keys.length) break;
      // A key may have been reused since it was discarded (never: keys are fresh UUIDs), so delete outright.
      await this.env.BLOBS.delete(keys);
      for (const key of keys) this.sql.exec("DELETE FROM garbage WHERE object_key = ?", key);
    }
    const oldest = this.sql.exec<{ started: number | null }>("SELECT MIN(started) AS started FROM uploads").one().started;
    if (oldest !== null) await this.ctx.storage.setAlarm(oldest + UPLOAD_TTL_MS + 1000);
  }
}
