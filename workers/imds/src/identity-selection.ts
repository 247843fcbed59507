// Which of a host's identities a token request means, by the rules IMDS and App Service share: a
// selector (client id, principal/object id, or a user-assigned identity's resource id) names one;
// without one, the system-assigned identity, else the only user-assigned one. Each endpoint words
// "none" and "ambiguous" in its own shape.
import type { ImdsIdentity } from "../../../shared/rpc";

export interface IdentitySelector {
  clientId?: string;
  objectId?: string;
  resourceId?: string;
}

export type Selection = { identity: ImdsIdentity } | { refusal: "notFound" | "ambiguous" };

export function selectIdentity(identities: readonly ImdsIdentity[], selector: IdentitySelector): Selection {
  const one = (identity: ImdsIdentity | undefined): Selection => (identity ? { identity } : { refusal: "notFound" });
  if (selector.clientId) return one(identities.find((i) => i.clientId.toLowerCase() === selector.clientId!.toLowerCase()));
  if (selector.objectId) return one(identities.find((i) => i.principalId.toLowerCase() === selector.objectId!.toLowerCase()));
  if (selector.resourceId) {
    const wanted = selector.resourceId.toLowerCase();
    return one(identities.find((i) => i.kind === "UserAssigned" && i.resourceId.toLowerCase() === wanted));
  }
  const system = identities.find((i) => i.kind === "SystemAssigned");
  if (system) return { identity: system };
  const user = identities.filter((i) => i.kind === "UserAssigned");
  if (user.length === 1) return { identity: user[0]! };
  return { refusal: user.length > 1 ? "ambiguous" : "notFound" };
}
