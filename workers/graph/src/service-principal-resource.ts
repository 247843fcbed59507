// The servicePrincipal resource as every Graph answer carries it (GET, lists, getByIds): the
// directory's view plus the properties Graph always shows.
import type { DirectoryServicePrincipal } from "../../../shared/rpc";

export function servicePrincipalResource(principal: DirectoryServicePrincipal): Record<string, unknown> {
  return { ...principal, deletedDateTime: null, tags: [] };
}
