// GET /subscriptions/{s}/providers[/{namespace}] and POST …/{namespace}/register (`az provider
// show | list | register`): every namespace this Resource Manager hosts, always Registered, with
// the resource types and api-versions of the registry.
import { ArmErrors } from "../../../../../shared/errors/arm";
import { subscriptionScope } from "../../../../../shared/resource-id";
import { armJson, methodNotAllowed, type ArmRequest } from "../../arm-request";
import { authorize } from "../../authorization";
import { PROVIDER_ROUTES, RESOURCE_TYPES } from "../../registry";

/** Where the emulator says its resources can live: everywhere a client asks for is accepted, these are listed. */
const LOCATIONS = ["East US", "East US 2", "West US", "West US 2", "West US 3", "Central US", "North Europe", "West Europe", "UK South", "Southeast Asia", "Japan East", "Australia East"];

function providers(subscriptionId: string) {
  const byNamespace = new Map<string, { resourceType: string; locations: string[]; apiVersions: string[] }[]>();
  const add = (type: string, apiVersions: readonly string[]) => {
    const [namespace, ...rest] = type.split("/");
    const list = byNamespace.get(namespace!) ?? [];
    list.push({ resourceType: rest.join("/"), locations: LOCATIONS, apiVersions: [...apiVersions].reverse() });
    byNamespace.set(namespace!, list);
  };
  for (const record of RESOURCE_TYPES) add(record.type, record.apiVersions);
  for (const provider of PROVIDER_ROUTES) for (const t of provider.resourceTypes ?? []) add(t.type, t.apiVersions);
  return [...byNamespace.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([namespace, resourceTypes]) => ({
      id: `${subscriptionScope(subscriptionId)}/providers/${namespace}`,
      namespace,
      registrationState: "Registered",
      registrationPolicy: "RegistrationRequired",
      resourceTypes,
    }));
}

export async function providerRegistrations(req: ArmRequest, subscriptionId: string, namespace: string | undefined, action: string | undefined): Promise<Response> {
  await authorize(req.env, req.caller, action ? "Microsoft.Resources/subscriptions/providers/register/action" : "Microsoft.Resources/subscriptions/providers/read", subscriptionScope(subscriptionId));
  const all = providers(subscriptionId);
  if (!namespace) {
    if (req.method !== "GET") methodNotAllowed(req.method);
    return armJson({ value: all });
  }
  const provider = all.find((p) => p.namespace.toLowerCase() === namespace.toLowerCase());
  if (!provider) {
    throw ArmErrors.invalidParameter(`The resource namespace '${namespace}' is invalid.`, "InvalidResourceNamespace");
  }
  if (action) {
    if (req.method !== "POST" || !["register", "unregister"].includes(action.toLowerCase())) methodNotAllowed(req.method);
    if (action.toLowerCase() === "unregister") throw ArmErrors.notImplemented("Unregistering a resource provider");
  } else if (req.method !== "GET") methodNotAllowed(req.method);
  return armJson(provider);
}
