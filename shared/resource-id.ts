// Resource Manager ids: parsing request paths into what they address, and the case-insensitive
// keys resources are stored under (ARM compares ids, names and types case-insensitively).

export interface ArmPath {
  /** Path segments, slashes collapsed (clients such as @azure/arm-authorization send `//subscriptions`). */
  segments: string[];
  subscriptionId?: string;
  resourceGroup?: string;
  /** Provider namespace of the addressed resource type, e.g. Microsoft.Compute. */
  namespace?: string;
  /** Resource type path below the namespace, e.g. ["virtualMachines"]. */
  types: string[];
  /** Names matching `types` (one fewer when the path addresses a collection). */
  names: string[];
  /** Everything before the last /providers/ segment (the scope of an extension resource). */
  scope: string;
}

export function collapseSlashes(path: string): string {
  return path.replace(/\/{2,}/g, "/");
}

export function parseArmPath(path: string): ArmPath {
  const segments = collapseSlashes(path).split("/").filter(Boolean).map(decodeSegment);
  const result: ArmPath = { segments, types: [], names: [], scope: "" };
  let i = 0;
  if (segments[0]?.toLowerCase() === "subscriptions" && segments.length > 1) {
    result.subscriptionId = segments[1];
    i = 2;
    if (segments[2]?.toLowerCase() === "resourcegroups" && segments.length > 3) {
      result.resourceGroup = segments[3];
      i = 4;
    }
  }
  let lastProviders = -1;
  for (let j = i; j < segments.length; j++) if (segments[j]!.toLowerCase() === "providers") lastProviders = j;
  if (lastProviders >= 0 && segments.length > lastProviders + 1) {
    result.scope = "/" + segments.slice(0, lastProviders).join("/");
    result.namespace = segments[lastProviders + 1];
    const rest = segments.slice(lastProviders + 2);
    for (let k = 0; k < rest.length; k++) (k % 2 === 0 ? result.types : result.names).push(rest[k]!);
  } else {
    result.scope = "/" + segments.join("/");
  }
  return result;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The storage key of a resource id: lower-case, no trailing slash. */
export function resourceKey(id: string): string {
  return collapseSlashes(id).replace(/\/+$/, "").toLowerCase();
}

export function subscriptionScope(subscriptionId: string): string {
  return `/subscriptions/${subscriptionId}`;
}

export function resourceGroupId(subscriptionId: string, resourceGroup: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
}

export function providerResourceId(
  subscriptionId: string,
  resourceGroup: string,
  namespace: string,
  type: string,
  name: string,
): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${namespace}/${type}/${name}`;
}

/** Whether `ancestor` is `scope` or contains it (segment-wise, case-insensitive). "/" contains everything. */
export function scopeContains(ancestor: string, scope: string): boolean {
  const a = resourceKey(ancestor);
  const s = resourceKey(scope);
  if (a === "" || a === "/") return true;
  return s === a || s.startsWith(a + "/");
}

/** Parts of a full resource id, e.g. the id of an identity named in a VM body. */
export function parseResourceId(id: string): ArmPath | null {
  if (!id.startsWith("/")) return null;
  const parsed = parseArmPath(id);
  if (!parsed.subscriptionId || !parsed.namespace || parsed.types.length === 0 || parsed.types.length !== parsed.names.length) {
    return null;
  }
  return parsed;
}
