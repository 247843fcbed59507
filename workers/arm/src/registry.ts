// The one registry of what this Resource Manager hosts. Every resource type has one line in
// RESOURCE_TYPES (its record lives in its provider's folder); a provider with routes that are not
// one type's CRUD (extension resources, read-outs, catalogs) has one line in PROVIDER_ROUTES.
// Routing, the resource group cascade, `GET …/resources`, `GET …/providers` and the deployments
// engine all read these lists, so adding a type touches its folder and one line here.
import { computeCatalogRoutes } from "./providers/compute/image-routes";
import { managedImages } from "./providers/compute/managed-image-type";
import { virtualMachines } from "./providers/compute/virtual-machine-type";
import { authorizationRoutes } from "./providers/authorization/role-assignment-routes";
import { vaults } from "./providers/key-vault/vault-type";
import { managedIdentityRoutes } from "./providers/managed-identity/system-identity-readout";
import { federatedIdentityCredentials, userAssignedIdentities } from "./providers/managed-identity/user-assigned-identity-type";
import { networkInterfaces } from "./providers/network/network-interface-type";
import { networkSecurityGroups } from "./providers/network/network-security-group-type";
import { publicIPAddresses } from "./providers/network/public-ip-address-type";
import { subnets, virtualNetworks } from "./providers/network/virtual-network-type";
import { deploymentOperations, deployments } from "./providers/resources/deployments/deployment-type";
import { deploymentRoutes } from "./providers/resources/deployments/deployment-routes";
import { blobServices, containers } from "./providers/storage/blob-service-type";
import { storageAccounts, storageRoutesProvider } from "./providers/storage/storage-account-type";
import { serverFarms } from "./providers/web/server-farms";
import { sites } from "./providers/web/site-type";
import { webRoutes } from "./providers/web/web-routes";
import type { ProviderRoutes, ResourceTypeRecord } from "./resource-types";

export const RESOURCE_TYPES: readonly ResourceTypeRecord[] = [
  virtualMachines,
  userAssignedIdentities,
  federatedIdentityCredentials,
  vaults,
  managedImages,
  virtualNetworks,
  subnets,
  networkSecurityGroups,
  publicIPAddresses,
  networkInterfaces,
  deployments,
  deploymentOperations,
  storageAccounts,
  sites,
  serverFarms,
  blobServices,
  containers,
];

export const PROVIDER_ROUTES: readonly ProviderRoutes[] = [
  authorizationRoutes,
  managedIdentityRoutes,
  computeCatalogRoutes,
  deploymentRoutes,
  storageRoutesProvider,
  webRoutes,
];

const BY_TYPE = new Map<string, ResourceTypeRecord>();
function index(): Map<string, ResourceTypeRecord> {
  // Built on first use: provider modules import the operations that import this module.
  if (BY_TYPE.size === 0) for (const record of RESOURCE_TYPES) BY_TYPE.set(record.type.toLowerCase(), record);
  return BY_TYPE;
}

/** The record of a full type (case-insensitive), e.g. microsoft.compute/virtualmachines. */
export function recordFor(type: string): ResourceTypeRecord | undefined {
  return index().get(type.toLowerCase());
}
