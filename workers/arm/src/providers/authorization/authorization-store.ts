// The tenant's role assignments, in one Durable Object keyed by tenant id, indexed by principal
// and by scope so that a check reads only the caller's own assignments: its cost does not grow
// with the number of assignments in the tenant. Evaluation happens here, next to the data.
import { DurableObject } from "cloudflare:workers";
import { resourceKey, scopeContains, subscriptionScope } from "../../../../../shared/resource-id";
import { adminObjectId, adminOwnerAssignmentName } from "../../../../../shared/seed";
import type { ArmEnv } from "../../env";
import { BUILT_IN_ROLES, builtInRole, builtInRoleByName, roleGrants, type RoleDefinitionData } from "./role-definitions";

export interface RoleAssignmentRecord {
  name: string;
  scope: string;
  principalId: string;
  principalType: string;
  roleDefinitionId: string;
  description: string | null;
  condition: string | null;
  conditionVersion: string | null;
  createdOn: string;
  updatedOn: string;
  createdBy: string | null;
  updatedBy: string | null;
}

export interface AccessDecision {
  allowed: boolean;
  /** When denied: why, for the log (shared/request-log.ts) and the console's flow. */
  reason?: string;
  /** When granted: the first assignment that grants it (the console's "granted by"). */
  grantedBy?: { assignmentName: string; roleName: string; scope: string };
}

export class AuthorizationStore extends DurableObject<ArmEnv> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: ArmEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(`CREATE TABLE IF NOT EXISTS role_assignments (
        name TEXT PRIMARY KEY,
        scope TEXT NOT NULL,
        scope_key TEXT NOT NULL,
        principal_id TEXT NOT NULL,
        role_definition_id TEXT NOT NULL,
        record TEXT NOT NULL
      )`);
      this.sql.exec("CREATE INDEX IF NOT EXISTS by_principal ON role_assignments (principal_id)");
      this.sql.exec("CREATE INDEX IF NOT EXISTS by_scope ON role_assignments (scope_key)");
      this.sql.exec(`CREATE TABLE IF NOT EXISTS custom_roles (
        name TEXT PRIMARY KEY,
        role_name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        record TEXT NOT NULL
      )`);
      await this.seedAdmin();
    });
  }

  /** The seeded admin holds Owner on the subscription, as the contract promises. */
  private async seedAdmin(): Promise<void> {
    const principalId = await adminObjectId(this.env.TENANT_ID.toLowerCase(), this.env.ADMIN_CLIENT_ID.toLowerCase());
    const scope = subscriptionScope(this.env.SUBSCRIPTION_ID);
    const name = await adminOwnerAssignmentName(this.env.SUBSCRIPTION_ID, principalId);
    if (this.get(name)) return;
    const now = new Date().toISOString();
    this.insert({
      name,
      scope,
      principalId,
      principalType: "ServicePrincipal",
      roleDefinitionId: builtInRoleByName("Owner")!.name,
      description: "Seeded: the emulator's admin principal",
      condition: null,
      conditionVersion: null,
      createdOn: now,
      updatedOn: now,
      createdBy: null,
      updatedBy: null,
    });
  }

  /**
   * POST {arm}/emulator/reset: every role assignment but the admin's Owner on the subscription,
   * and every custom role, are deleted; the admin's Owner is seeded again if it was deleted.
   */
  async reset(): Promise<void> {
    const principalId = await adminObjectId(this.env.TENANT_ID.toLowerCase(), this.env.ADMIN_CLIENT_ID.toLowerCase());
    const keep = (await adminOwnerAssignmentName(this.env.SUBSCRIPTION_ID, principalId)).toLowerCase();
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("DELETE FROM role_assignments WHERE name != ?", keep);
      this.sql.exec("DELETE FROM custom_roles");
    });
    await this.seedAdmin();
  }

  get(name: string): RoleAssignmentRecord | null {
    const row = this.sql.exec<{ record: string }>("SELECT record FROM role_assignments WHERE name = ?", name.toLowerCase()).toArray()[0];
    return row ? (JSON.parse(row.record) as RoleAssignmentRecord) : null;
  }

  insert(record: RoleAssignmentRecord): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO role_assignments (name, scope, scope_key, principal_id, role_definition_id, record) VALUES (?, ?, ?, ?, ?, ?)",
      record.name.toLowerCase(),
      record.scope,
      resourceKey(record.scope),
      record.principalId.toLowerCase(),
      record.roleDefinitionId.toLowerCase(),
      JSON.stringify(record),
    );
  }

  /**
   * Inserts or updates `record` unless another assignment of the same role to the same principal
   * at the same scope exists under another name; answers that one's name then. One synchronous
   * call in the tenant's object: concurrent PUTs cannot both pass the check (Azure allows one).
   */
  insertUnique(record: RoleAssignmentRecord): { inserted: true } | { inserted: false; existingName: string } {
    const duplicate = this.findDuplicate(record.scope, record.principalId, record.roleDefinitionId);
    if (duplicate && duplicate.name.toLowerCase() !== record.name.toLowerCase()) return { inserted: false, existingName: duplicate.name };
    this.insert(record);
    return { inserted: true };
  }

  remove(name: string): RoleAssignmentRecord | null {
    const existing = this.get(name);
    if (existing) this.sql.exec("DELETE FROM role_assignments WHERE name = ?", name.toLowerCase());
    return existing;
  }

  assignmentsOf(principalId: string): RoleAssignmentRecord[] {
    return this.sql
      .exec<{ record: string }>("SELECT record FROM role_assignments WHERE principal_id = ?", principalId.toLowerCase())
      .toArray()
      .map((row) => JSON.parse(row.record) as RoleAssignmentRecord);
  }

  /**
   * Assignments relevant to `scope`: at it and above it (atScope()), and, unless `atScopeOnly`,
   * below it too; optionally only one principal's.
   */
  list(scope: string, filter: { atScopeOnly?: boolean; principalId?: string } = {}): RoleAssignmentRecord[] {
    const key = resourceKey(scope);
    const ancestors = ancestorKeys(key);
    const placeholders = ancestors.map(() => "?").join(", ");
    const clauses = [`scope_key IN (${placeholders})`];
    const args: string[] = [...ancestors];
    if (!filter.atScopeOnly) {
      // Everything below: keys that start with "<key>/", as a range ('0' sorts right after '/').
      clauses.push("(scope_key > ? AND scope_key < ?)");
      args.push(`${key}/`, `${key}0`);
    }
    let sql = `SELECT record FROM role_assignments WHERE (${clauses.join(" OR ")})`;
    if (filter.principalId) {
      sql += " AND principal_id = ?";
      args.push(filter.principalId.toLowerCase());
    }
    return this.sql
      .exec<{ record: string }>(`${sql} ORDER BY name`, ...args)
      .toArray()
      .map((row) => JSON.parse(row.record) as RoleAssignmentRecord);
  }

  /** An assignment of the same role to the same principal at the same scope, under any name. */
  findDuplicate(scope: string, principalId: string, roleDefinitionGuid: string): RoleAssignmentRecord | null {
    const row = this.sql
      .exec<{ record: string }>(
        "SELECT record FROM role_assignments WHERE principal_id = ? AND scope_key = ? AND role_definition_id = ?",
        principalId.toLowerCase(),
        resourceKey(scope),
        roleDefinitionGuid.toLowerCase(),
      )
      .toArray()[0];
    return row ? (JSON.parse(row.record) as RoleAssignmentRecord) : null;
  }

  roleDefinition(guid: string): RoleDefinitionData | undefined {
    const builtIn = builtInRole(guid);
    if (builtIn) return builtIn;
    const row = this.sql.exec<{ record: string }>("SELECT record FROM custom_roles WHERE name = ?", guid.toLowerCase()).toArray()[0];
    return row ? (JSON.parse(row.record) as RoleDefinitionData) : undefined;
  }

  /** Built-in roles and the tenant's custom roles. */
  roleDefinitions(): RoleDefinitionData[] {
    const custom = this.sql.exec<{ record: string }>("SELECT record FROM custom_roles ORDER BY role_name").toArray();
    return [...BUILT_IN_ROLES, ...custom.map((r) => JSON.parse(r.record) as RoleDefinitionData)];
  }

  /** Creates or replaces a custom role. False when another role already has its roleName. */
  putCustomRole(role: RoleDefinitionData): boolean {
    const clash = this.roleDefinitions().find(
      (r) => r.roleName.toLowerCase() === role.roleName.toLowerCase() && r.name.toLowerCase() !== role.name.toLowerCase(),
    );
    if (clash) return false;
    this.sql.exec(
      "INSERT OR REPLACE INTO custom_roles (name, role_name, record) VALUES (?, ?, ?)",
      role.name.toLowerCase(),
      role.roleName,
      JSON.stringify(role),
    );
    return true;
  }

  /** Deletes a custom role unless assignments still use it; answers what happened. */
  deleteCustomRole(guid: string): "deleted" | "missing" | "inUse" {
    const role = this.roleDefinition(guid);
    if (!role || role.type !== "CustomRole") return "missing";
    const used = this.sql.exec("SELECT 1 FROM role_assignments WHERE role_definition_id = ? LIMIT 1", guid.toLowerCase()).toArray();
    if (used.length) return "inUse";
    this.sql.exec("DELETE FROM custom_roles WHERE name = ?", guid.toLowerCase());
    return "deleted";
  }

  /**
   * Whether the principal holds any role assignment at, above or below `scope`: what makes Azure
   * list a subscription to a principal (a Reader on one resource group sees its subscription).
   */
  hasAccessWithin(principalId: string, scope: string): boolean {
    return this.list(scope, { principalId }).length > 0;
  }

  /** Whether the principal may perform `action` (or data action) at `scope`, through any assignment at or above it. */
  async checkAccess(principalId: string, action: string, scope: string, kind: "action" | "dataAction" = "action"): Promise<AccessDecision> {
    const assignments = this.assignmentsOf(principalId);
    const covering: string[] = [];
    for (const assignment of assignments) {
      if (!scopeContains(assignment.scope, scope)) continue;
      const role = this.roleDefinition(assignment.roleDefinitionId);
      if (role && roleGrants(role, action, kind)) {
        return { allowed: true, grantedBy: { assignmentName: assignment.name, roleName: role.roleName, scope: assignment.scope } };
      }
      covering.push(role?.roleName ?? assignment.roleDefinitionId);
    }
    const what = kind === "dataAction" ? "data action" : "action";
    if (assignments.length === 0) return { allowed: false, reason: "the principal has no role assignments" };
    if (covering.length === 0) {
      return { allowed: false, reason: `none of the principal's ${assignments.length} role assignment(s) is at or above the scope` };
    }
    return { allowed: false, reason: `its roles at or above the scope (${[...new Set(covering)].join(", ")}) do not grant the ${what}` };
  }
}

/** The keys of a scope and of every scope above it, "/" included. */
function ancestorKeys(key: string): string[] {
  const parts = key.split("/").filter(Boolean);
  const keys = [""];
  for (let i = 1; i <= parts.length; i++) keys.push("/" + parts.slice(0, i).join("/"));
  return keys;
}
