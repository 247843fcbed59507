// The tenant's directory indexes, kept in the TenantAuthority's storage (one Durable Object per
// tenant) so that every change to them is one transaction:
// - the appId claims (`app:{appId}` → the object id of the principal that signs in with it), the
//   index the token endpoint resolves clients through;
// - the listing of service principals (id, appId, displayName, type) and of the names each is
//   known by (servicePrincipalNames), so Graph's $filter and paging read an index instead of
//   visiting every principal's object;
// - the applications table. Applications live here rather than in an object each: they are
//   small, few and written rarely, Graph finds them by object id and by appId, and creating a
//   principal for one ("does the application exist, is its appId free?") and deleting one (the
//   application, its principal's claim and listing together) must each be atomic with the claims.
// Principals' own records (credentials included) stay in their ServicePrincipalObject.
import type { ServicePrincipalFilter, ServicePrincipalView } from "../../../shared/rpc";
import type { ApplicationRecord } from "./applications";
import { servicePrincipalNames } from "./service-principal-names";

export interface PrincipalListing {
  id: string;
  appId: string;
  displayName: string;
  servicePrincipalType: ServicePrincipalView["servicePrincipalType"];
  createdDateTime: string;
  /** What Graph shows as its servicePrincipalNames (service-principal-names.ts). */
  servicePrincipalNames: string[];
}

/** The storage key of an appId's claim (the original key-value index, kept as it was). */
export function appKey(appId: string): string {
  return `app:${appId.toLowerCase()}`;
}

const EQ_COLUMNS: Record<Extract<ServicePrincipalFilter, { operator: "eq" }>["property"], string> = {
  appId: "app_id",
  displayName: "display_name",
  servicePrincipalType: "type",
};

/**
 * The SQL condition on service_principals of one $filter clause. Directory string comparisons
 * are case-insensitive, as Graph's are on these properties (appIds are stored lower-cased).
 */
function filterCondition(filter: ServicePrincipalFilter): { sql: string; value: string } {
  switch (filter.operator) {
    case "eq":
      return filter.property === "appId"
        ? { sql: "app_id = ?", value: filter.value.toLowerCase() }
        : { sql: `${EQ_COLUMNS[filter.property]} = ? COLLATE NOCASE`, value: filter.value };
    case "startsWith":
      // LIKE is case-insensitive; the prefix's own wildcards are escaped so they match literally.
      return { sql: "display_name LIKE ? ESCAPE '\\'", value: `${filter.value.replace(/[\\%_]/g, "\\$&")}%` };
    case "any":
      return { sql: "id IN (SELECT id FROM service_principal_names WHERE name = ?)", value: filter.value };
  }
}

/**
 * The listing's version, set once every principal claimed under an earlier one has been listed
 * again: 1 (the flag below) had no names, 2 lists each principal's servicePrincipalNames.
 */
const LISTING_VERSION = "directoryListing:version";
const CURRENT_LISTING_VERSION = 2;
/** Version 1's marker, dropped once the listing is current. */
const LISTING_V1_COMPLETE = "directoryListing:complete";

export class DirectoryTables {
  private readonly sql: SqlStorage;

  constructor(private readonly storage: DurableObjectStorage) {
    this.sql = storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS service_principals (
      id TEXT PRIMARY KEY, app_id TEXT NOT NULL, display_name TEXT NOT NULL, type TEXT NOT NULL, created TEXT NOT NULL
    )`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS principals_by_app_id ON service_principals (app_id, id)");
    // Directory string comparisons are case-insensitive, as Graph's `eq` on these properties is.
    this.sql.exec("CREATE INDEX IF NOT EXISTS principals_by_display_name ON service_principals (display_name COLLATE NOCASE, id)");
    this.sql.exec("CREATE INDEX IF NOT EXISTS principals_by_type ON service_principals (type COLLATE NOCASE, id)");
    // Names compare case-insensitively, as Graph's servicePrincipalNames/any(… eq …) does.
    this.sql.exec(`CREATE TABLE IF NOT EXISTS service_principal_names (
      name TEXT NOT NULL COLLATE NOCASE, id TEXT NOT NULL, PRIMARY KEY (name, id)
    )`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS names_by_principal ON service_principal_names (id)");
    this.sql.exec(`CREATE TABLE IF NOT EXISTS applications (
      id TEXT PRIMARY KEY, app_id TEXT NOT NULL UNIQUE, record TEXT NOT NULL
    )`);
  }

  // ── appId claims and the listing ────────────────────────────────────────────────────────────

  claimant(appId: string): string | null {
    return this.storage.kv.get<string>(appKey(appId)) ?? null;
  }

  listPrincipal(entry: PrincipalListing): void {
    this.storage.transactionSync(() => this.list(entry));
  }

  /** Lists a principal, or lists it anew (its names replaced); callers hold the transaction. */
  private list(entry: PrincipalListing): void {
    const id = entry.id.toLowerCase();
    this.sql.exec(
      "INSERT OR REPLACE INTO service_principals (id, app_id, display_name, type, created) VALUES (?, ?, ?, ?, ?)",
      id,
      entry.appId.toLowerCase(),
      entry.displayName,
      entry.servicePrincipalType,
      entry.createdDateTime,
    );
    this.sql.exec("DELETE FROM service_principal_names WHERE id = ?", id);
    for (const name of new Set(entry.servicePrincipalNames)) {
      this.sql.exec("INSERT OR IGNORE INTO service_principal_names (name, id) VALUES (?, ?)", name, id);
    }
  }

  /**
   * Takes a principal out of the listing and releases its appId, if it still holds it. Keyed by
   * object id alone, so a retried delete whose principal object is already gone still cleans up.
   */
  unlistPrincipal(objectId: string): void {
    this.storage.transactionSync(() => this.unlist(objectId.toLowerCase()));
  }

  private unlist(objectId: string): void {
    const row = this.sql.exec<{ app_id: string }>("SELECT app_id FROM service_principals WHERE id = ?", objectId).toArray()[0];
    if (!row) return;
    this.sql.exec("DELETE FROM service_principals WHERE id = ?", objectId);
    this.sql.exec("DELETE FROM service_principal_names WHERE id = ?", objectId);
    if (this.claimant(row.app_id) === objectId) this.storage.kv.delete(appKey(row.app_id));
  }

  /** Claims an application's appId for a new principal and lists it, if the application exists and has no principal. */
  claimForApplication(entry: PrincipalListing): "claimed" | "noApplication" | "principalExists" {
    return this.storage.transactionSync(() => {
      if (!this.applicationByAppId(entry.appId)) return "noApplication";
      const holder = this.claimant(entry.appId);
      if (holder && holder !== entry.id.toLowerCase()) return "principalExists";
      this.storage.kv.put(appKey(entry.appId), entry.id.toLowerCase());
      this.list(entry);
      return "claimed";
    });
  }

  /**
   * Object ids in id order after `after`, at most `limit`, optionally those matching one $filter
   * clause: the filter is applied before the page is cut, so $top and $skiptoken page the matches.
   */
  queryPrincipals(filter: ServicePrincipalFilter | undefined, limit: number, after = ""): string[] {
    const condition = filter ? filterCondition(filter) : null;
    const sql = `SELECT id FROM service_principals WHERE ${condition ? `${condition.sql} AND ` : ""}id > ? ORDER BY id LIMIT ?`;
    const values = condition ? [condition.value, after, limit] : [after, limit];
    return this.sql
      .exec<{ id: string }>(sql, ...values)
      .toArray()
      .map((r) => r.id);
  }

  /**
   * Which of `objectIds` (lower-cased) are listed: the tenant's principals among them. One bound
   * JSON array rather than a parameter per id: Durable Objects' SQLite caps bound parameters at 100.
   */
  listedAmong(objectIds: string[]): string[] {
    return this.sql
      .exec<{ id: string }>("SELECT id FROM service_principals WHERE id IN (SELECT value FROM json_each(?))", JSON.stringify(objectIds))
      .toArray()
      .map((r) => r.id);
  }

  get listingCurrent(): boolean {
    return this.storage.kv.get<number>(LISTING_VERSION) === CURRENT_LISTING_VERSION;
  }

  markListingCurrent(): void {
    this.storage.kv.put(LISTING_VERSION, CURRENT_LISTING_VERSION);
    this.storage.kv.delete(LISTING_V1_COMPLETE);
  }

  /** Every appId claim, for listing principals claimed before the listing existed. */
  claims(): { appId: string; objectId: string }[] {
    return [...this.storage.kv.list<string>({ prefix: "app:" })].map(([key, objectId]) => ({ appId: key.slice(4), objectId }));
  }

  /**
   * POST {arm}/emulator/reset: every principal but `keepObjectId` leaves the listing and gives up
   * its appId claim, and every application is deleted, in one transaction. Answers the object ids
   * that left, whose own objects the caller then erases.
   */
  resetExcept(keepObjectId: string): string[] {
    return this.storage.transactionSync(() => {
      const keep = keepObjectId.toLowerCase();
      const gone = new Set(
        this.sql
          .exec<{ id: string }>("SELECT id FROM service_principals WHERE id != ?", keep)
          .toArray()
          .map((r) => r.id),
      );
      for (const { appId, objectId } of this.claims()) {
        if (objectId === keep) continue;
        gone.add(objectId);
        this.storage.kv.delete(appKey(appId));
      }
      this.sql.exec("DELETE FROM service_principal_names WHERE id != ?", keep);
      this.sql.exec("DELETE FROM service_principals WHERE id != ?", keep);
      this.sql.exec("DELETE FROM applications");
      return [...gone];
    });
  }

  // ── applications ───────────────────────────────────────────────────────────────────────────

  insertApplication(record: ApplicationRecord): void {
    this.sql.exec("INSERT INTO applications (id, app_id, record) VALUES (?, ?, ?)", record.id, record.appId, JSON.stringify(record));
  }

  application(id: string): ApplicationRecord | null {
    const row = this.sql.exec<{ record: string }>("SELECT record FROM applications WHERE id = ?", id.toLowerCase()).toArray()[0];
    return row ? (JSON.parse(row.record) as ApplicationRecord) : null;
  }

  applicationByAppId(appId: string): ApplicationRecord | null {
    const row = this.sql.exec<{ record: string }>("SELECT record FROM applications WHERE app_id = ?", appId.toLowerCase()).toArray()[0];
    return row ? (JSON.parse(row.record) as ApplicationRecord) : null;
  }

  /** Read-modify-write of one application, synchronous so no other request sees it half-done. */
  updateApplication(id: string, change: (record: ApplicationRecord) => ApplicationRecord): ApplicationRecord | null {
    return this.storage.transactionSync(() => {
      const record = this.application(id);
      if (!record) return null;
      const updated = change(record);
      this.sql.exec("UPDATE applications SET record = ? WHERE id = ?", JSON.stringify(updated), record.id);
      return updated;
    });
  }

  /**
   * Deletes an application together with its principal's claim and listing: from this moment the
   * token endpoint no longer finds the client. Returns the principal's object id, whose own
   * object the caller then erases.
   */
  removeApplication(id: string): { appId: string; principalId: string | null } | null {
    return this.storage.transactionSync(() => {
      const record = this.application(id);
      if (!record) return null;
      this.sql.exec("DELETE FROM applications WHERE id = ?", record.id);
      const principalId = this.claimant(record.appId);
      if (principalId) {
        this.unlist(principalId);
        this.storage.kv.delete(appKey(record.appId));
      }
      return { appId: record.appId, principalId };
    });
  }
}

export async function listingOf(principal: ServicePrincipalView): Promise<PrincipalListing> {
  return {
    id: principal.id,
    appId: principal.appId,
    displayName: principal.displayName,
    servicePrincipalType: principal.servicePrincipalType,
    createdDateTime: principal.createdDateTime,
    servicePrincipalNames: await servicePrincipalNames(principal),
  };
}
