// The listing index of one subscription (Durable Object keyed by subscription id): which
// resource groups and resources exist, by type and group. Resource documents themselves live in
// their own objects; this holds ids only, so it cannot disagree with them about content.
import { DurableObject } from "cloudflare:workers";
import { resourceKey } from "../../../../../shared/resource-id";
import type { ArmEnv } from "../../env";

export interface IndexEntry {
  id: string;
  /** Canonical resource type, e.g. Microsoft.Compute/virtualMachines. */
  type: string;
  resourceGroup: string;
}

export class SubscriptionIndex extends DurableObject<ArmEnv> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: ArmEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS resources (
      key TEXT PRIMARY KEY, id TEXT NOT NULL, type_key TEXT NOT NULL, type TEXT NOT NULL, group_key TEXT NOT NULL
    )`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS by_type ON resources (type_key, group_key)");
    this.sql.exec("CREATE INDEX IF NOT EXISTS by_group ON resources (group_key)");
  }

  upsert(entry: IndexEntry): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO resources (key, id, type_key, type, group_key) VALUES (?, ?, ?, ?, ?)",
      resourceKey(entry.id),
      entry.id,
      entry.type.toLowerCase(),
      entry.type,
      entry.resourceGroup.toLowerCase(),
    );
  }

  remove(id: string): void {
    this.sql.exec("DELETE FROM resources WHERE key = ?", resourceKey(id));
  }

  list(type: string, resourceGroup?: string): IndexEntry[] {
    return this.page(type, resourceGroup, "", -1).entries;
  }

  /**
   * One page of a type's resources in key order: at most `limit` entries after the key `after`
   * ("" from the start; limit -1 for all), and the key to continue after when more remain.
   */
  page(type: string, resourceGroup: string | undefined, after: string, limit: number): { entries: IndexEntry[]; next: string | null } {
    const take = limit < 0 ? -1 : limit + 1;
    const rows = resourceGroup === undefined
      ? this.sql.exec<Row>("SELECT key, id, type, group_key FROM resources WHERE type_key = ? AND key > ? ORDER BY key LIMIT ?", type.toLowerCase(), after, take)
      : this.sql.exec<Row>(
          "SELECT key, id, type, group_key FROM resources WHERE type_key = ? AND group_key = ? AND key > ? ORDER BY key LIMIT ?",
          type.toLowerCase(),
          resourceGroup.toLowerCase(),
          after,
          take,
        );
    const all = rows.toArray();
    const more = limit >= 0 && all.length > limit;
    const kept = more ? all.slice(0, limit) : all;
    return { entries: kept.map(toEntry), next: more ? kept[kept.length - 1]!.key! : null };
  }

  /** Every resource of the subscription except resource groups. */
  all(): IndexEntry[] {
    return this.sql
      .exec<Row>("SELECT id, type, group_key FROM resources WHERE type_key != 'microsoft.resources/resourcegroups' ORDER BY key")
      .toArray()
      .map(toEntry);
  }

  /** POST {arm}/emulator/reset: forgets every entry (the resources are gone by then). */
  clear(): void {
    this.sql.exec("DELETE FROM resources");
  }

  /** Everything in a resource group except the group itself, children before parents. */
  inGroup(resourceGroup: string): IndexEntry[] {
    return this.sql
      .exec<Row>(
        "SELECT id, type, group_key FROM resources WHERE group_key = ? AND type_key != 'microsoft.resources/resourcegroups' ORDER BY length(key) DESC",
        resourceGroup.toLowerCase(),
      )
      .toArray()
      .map(toEntry);
  }
}

type Row = { key?: string; id: string; type: string; group_key: string };

function toEntry(row: Row): IndexEntry {
  return { id: row.id, type: row.type, resourceGroup: row.group_key };
}
