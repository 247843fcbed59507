// Role definitions and the matching of action strings against their permissions, as Azure
// evaluates them: effective = union over roles of (actions − notActions), data actions apart.
import builtIn from "../../../../../shared/data/builtin-roles.json";

export interface Permission {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

export interface RoleDefinitionData {
  name: string;
  roleName: string;
  description: string;
  type: "BuiltInRole" | "CustomRole";
  permissions: Permission[];
  assignableScopes: string[];
}

export const BUILT_IN_ROLES: RoleDefinitionData[] = builtIn.roles.map((role) => ({
  ...role,
  type: "BuiltInRole",
  assignableScopes: ["/"],
}));

const byName = new Map(BUILT_IN_ROLES.map((r) => [r.name.toLowerCase(), r]));

export function builtInRole(guid: string): RoleDefinitionData | undefined {
  return byName.get(guid.toLowerCase());
}

export function builtInRoleByName(roleName: string): RoleDefinitionData | undefined {
  return BUILT_IN_ROLES.find((r) => r.roleName.toLowerCase() === roleName.toLowerCase());
}

const patterns = new Map<string, RegExp>();

/**
 * `*` matches anything; a `*` between slashes also matches zero segments, so Managed Identity
 * Operator's `userAssignedIdentities/*\/assign/action` grants `userAssignedIdentities/assign/action`.
 */
export function actionMatches(pattern: string, action: string): boolean {
  let regex = patterns.get(pattern);
  if (!regex) {
    const body = pattern
      .split("/*/")
      .map((part) => part.split("*").map(escapeRegex).join(".*"))
      .join("(?:/.*)?/");
    regex = new RegExp(`^${body}$`, "i");
    patterns.set(pattern, regex);
  }
  return regex.test(action);
}

function escapeRegex(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
}

export function roleGrants(role: RoleDefinitionData, action: string, kind: "action" | "dataAction"): boolean {
  return role.permissions.some((p) => {
    const allow = kind === "action" ? p.actions : p.dataActions;
    const deny = kind === "action" ? p.notActions : p.notDataActions;
    return allow.some((a) => actionMatches(a, action)) && !deny.some((a) => actionMatches(a, action));
  });
}
