// GET {scope}/providers/Microsoft.ManagedIdentity/identities/default: the system-assigned identity
// of the resource at {scope}, an extension resource (so it is a provider route, not a type record).
import { ArmErrors } from "../../../../../shared/errors/arm";
import { parseResourceId } from "../../../../../shared/resource-id";
import { requireApiVersion } from "../../api-versions";
import { armJson, methodNotAllowed, requireSubscription, type ArmRequest } from "../../arm-request";
import { authorize } from "../../authorization";
import type { ProviderRoutes } from "../../resource-types";
import { identityHostObject, isSiteId, isVirtualMachineId } from "./identity-hosts";
import { MANAGED_IDENTITY_API_VERSIONS } from "./api-versions";

export const managedIdentityRoutes: ProviderRoutes = {
  namespace: "Microsoft.ManagedIdentity",
  async routes(req: ArmRequest): Promise<Response | null> {
    const { path } = req;
    if (path.types.length !== 1 || path.types[0]!.toLowerCase() !== "identities" || path.names[0]?.toLowerCase() !== "default") return null;
    if (req.method !== "GET") methodNotAllowed(req.method);
    requireApiVersion(req.query, "Microsoft.ManagedIdentity/identities", MANAGED_IDENTITY_API_VERSIONS);
    const scope = parseResourceId(path.scope);
    const id = `${path.scope}/providers/Microsoft.ManagedIdentity/identities/default`;
    await authorize(req.env, req.caller, "Microsoft.ManagedIdentity/identities/read", path.scope);
    // The hosts of system-assigned identities here: virtual machines and App Service sites.
    const isHost = isVirtualMachineId(path.scope) || isSiteId(path.scope);
    const notFound = () => ArmErrors.resourceNotFound("Microsoft.ManagedIdentity/identities", "default", scope?.resourceGroup ?? "");
    if (!scope?.subscriptionId || !isHost) throw notFound();
    requireSubscription(req.env, scope.subscriptionId);
    const system = await identityHostObject(req.env, path.scope).systemIdentity();
    if (!system) throw notFound();
    const login = (req.env.LOGIN_URL ?? "https://login.microsoftonline.com").replace(/\/+$/, "");
    return armJson({
      id,
      name: "default",
      type: "Microsoft.ManagedIdentity/identities",
      location: (system.doc as { location: string }).location,
      tags: (system.doc as { tags?: Record<string, string> }).tags ?? {},
      properties: {
        tenantId: system.tenantId,
        principalId: system.principalId,
        clientId: system.clientId,
        clientSecretUrl: `${login}/${system.tenantId}/credentials?resource=${encodeURIComponent(system.doc.id)}&oid=${system.principalId}&aid=${system.clientId}`,
      },
    });
  },
};
