// The tenant's directory indexes, kept in the TenantAuthority's storage (one Durable Object per
// tenant) so that every change to them is one transaction:
// - the appId claims (`app:{appId}` → the object id of the principal that signs in with it), the
//   index the token endpoint resolves clients through;
// - the listing of service principals (id, appId, displayName, type), so Graph's $filter and
//   paging read an index instead of visiting every principal's object;
// - the applications table. Applications live here rather than in an object each: they are
//   small, few and written rarely, Graph finds them by object id and by appId, and creating a
//   principal for one ("does the application exist, is its appId free?") and deleting one (the
//   application, its principal's claim and listing together) must each be atomic with the claims.
// Principals' own records (credentials included) stay in their ServicePrincipalObject.
import type { ServicePrincipalFilter, ServicePrincipalView } from "../../../shared/rpc";
import type { ApplicationRecord } from "./applications";

export interface PrincipalListing {
  id: string;
  appId: string;
  displayName: string;
  servicePrincipalType: ServicePrincipalView["servicePrincipalType"];
  createdDateTime: string;
}

/** The storage key of an appId's claim (the original key-value index, kept as it was). */
export function appKey(appId: string): string {
  return `app:${appId.toLowerCase()}`;
}

const FILTER_COLUMNS: Record<ServicePrincipalFilter["property"], string> = {
  appId: "app_id",
  displayName: "display_name",
  servicePrincipalType: "type",
};

/** Set once every principal claimed before the listing existed has been listed. */
const LISTING_COMPLETE = "directoryListing:complete";

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
    this.sql.exec(`CREATE TABLE IF NOT EXISTS applications (
      id TEXT PRIMARY KEY, app_id TEXT NOT NULL UNIQUE, record TEXT NOT NULL
    )`);
  }

  // ── appId claims and the listing ────────────────────────────────────────────────────────────

  claimant(appId: string): string | null {
    return this.storage.kv.get<string>(appKey(appId)) ?? null;
  }

  listPrincipal(entry: PrincipalListing): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO service_principals (id, app_id, display_name, type, created) VALUES (?, ?, ?, ?, ?)",
      entry.id.toLowerCase(),
      entry.appId.toLowerCase(),
      entry.displayName,
      entry.servicePrincipalType,
      entry.createdDateTime,
    );
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
    if (this.claimant(row.app_id) === objectId) this.storage.kv.delete(appKey(row.app_id));
  }

  /** Claims an application's appId for a new principal and lists it, if the application exists and has no principal. */
  claimForApplication(entry: PrincipalListing): "claimed" | "noApplication" | "principalExists" {
    return this.storage.transactionSync(() => {
      if (!this.applicationByAppId(entry.appId)) return "noApplication";
      const holder = this.claimant(entry.appId);
      if (holder && holder !== entry.id.toLowerCase()) return "principalExists";
      this.storage.kv.put(appKey(entry.appId), entry.id.toLowerCase());
      this.listPrincipal(entry);
      return "claimed";
    });
  }

  /** Object ids in id order after `after`, at most `limit`, optionally where one column equals a value. */
  queryPrincipals(filter: ServicePrincipalFilter | undefined, limit: number, after = ""): string[] {
    if (!filter) {
      return this.sql
        .exec<{ id: string }>("SELECT id FROM service_principals WHERE id > ? ORDER BY id LIMIT ?", after, limit)
        .toArray()
        .map((r) => r.id);
    }
    const column = FILTER_COLUMNS[filter.property];
    const value = filter.property === "appId" ? filter.value.toLowerCase() : filter.value;
    const collate = filter.property === "appId" ? "" : " COLLATE NOCASE";
    return this.sql
      .exec<{ id: string }>(
        `SELECT id FROM service_principals WHERE ${column} = ?${collate} AND id > ? ORDER BY id LIMIT ?`,
        value,
        after,
        limit,
      )
      .toArray()
      .map((r) => r.id);
  }

  get listingComplete(): boolean {
    return this.storage.kv.get<boolean>(LISTING_COMPLETE) === true;
  }

  markListingComplete(): void {
    this.storage.kv.put(LISTING_COMPLETE, true);
  }

  /** Every appId claim, for listing principals claimed before the listing existed. */
  claims(): { appId: string; objectId: string }[] {
    return [...this.storage.kv.list<string>({ prefix: "app:" })].map(([key, objectId]) => ({ appId: key.slice(4), objectId }));
  }

  isListed(objectId: string): boolean {
    return this.sql.exec("SELECT 1 FROM service_principals WHERE id = ?", objectId.toLowerCase()).toArray().length > 0;
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

export function listingOf(principal: ServicePrincipalView): PrincipalListing {
  return {
    id: principal.id,
    appId: principal.appId,
    displayName: principal.displayName,
    servicePrincipalType: principal.servicePrincipalType,
    createdDateTime: principal.createdDateTime,
  };
}
