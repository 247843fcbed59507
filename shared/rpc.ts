import type { Outcome } from "./outcome";
// The contracts of the service bindings between workers. Each worker implements its side as a
// WorkerEntrypoint; callers see these types through their bindings.

/** A certificate credential as the directory stores it: public parts only. */
export interface KeyCredentialInput {
  /** base64 DER */
  certificate: string;
  x5t: string;
  x5tS256: string;
  notBefore: string;
  notAfter: string;
}

export interface ManagedIdentityPrincipalInput {
  tenantId: string;
  /** Chosen by Resource Manager so that retries of a half-done operation converge on one principal. */
  objectId: string;
  appId: string;
  displayName: string;
  /** Azure's form: ["isExplicit=False", "<resource id>"] (True for user-assigned identities). */
  alternativeNames: string[];
  credential: KeyCredentialInput;
}

export interface ServicePrincipalView {
  id: string;
  appId: string;
  displayName: string;
  servicePrincipalType: "ManagedIdentity" | "Application";
  alternativeNames: string[];
  accountEnabled: boolean;
  createdDateTime: string;
}

export interface PublicJwk {
  kty: "RSA";
  use: "sig";
  kid: string;
  x5t: string;
  n: string;
  e: string;
  x5c: string[];
  issuer?: string;
}

/**
 * A password credential as Microsoft Graph shows it. Graph never returns a secret after it is
 * created: `secretText` is null here, and `hint` is its first three characters.
 */
export interface PasswordCredentialView {
  customKeyIdentifier: null;
  displayName: string | null;
  endDateTime: string;
  hint: string;
  keyId: string;
  secretText: null;
  startDateTime: string;
}

/** The answer to addPassword: the only time the secret is ever shown. */
export interface NewPasswordCredential extends Omit<PasswordCredentialView, "secretText"> {
  secretText: string;
}

export interface PasswordCredentialInput {
  displayName?: string | null;
  startDateTime?: string;
  endDateTime?: string;
}

/** A certificate credential as Graph shows it: `key` (the certificate) is only returned on $select. */
export interface KeyCredentialView {
  customKeyIdentifier: string;
  displayName: string | null;
  endDateTime: string;
  key: null;
  keyId: string;
  startDateTime: string;
  type: "AsymmetricX509Cert";
  usage: "Verify";
}

/**
 * One entry of `keyCredentials` in Graph's PATCH /applications/{id}, its shape checked by the
 * Graph worker (type AsymmetricX509Cert, usage Verify); the authority parses the certificate.
 * An entry without `key` must name an existing credential by `keyId`: it keeps that credential.
 */
export interface KeyCredentialUpload {
  /** base64 DER of the certificate */
  key?: string;
  keyId?: string;
  displayName?: string | null;
  startDateTime?: string;
  endDateTime?: string;
  customKeyIdentifier?: string | null;
}

/** What Graph's PATCH /applications/{id} may change; absent properties stay as they are. */
export interface ApplicationChange {
  displayName?: string;
  /** Replaces the application's certificates, as Graph's PATCH does. */
  keyCredentials?: KeyCredentialUpload[];
}

/** A service principal as Graph's servicePrincipal resource shows it. */
export interface DirectoryServicePrincipal extends ServicePrincipalView {
  /** The tenant that owns the application; null for managed identities, as in Azure. */
  appOwnerOrganizationId: string | null;
  appDisplayName: string | null;
  servicePrincipalNames: string[];
  signInAudience: string | null;
  keyCredentials: KeyCredentialView[];
  passwordCredentials: PasswordCredentialView[];
}

/** An application registration as Graph's application resource shows it. */
export interface ApplicationView {
  id: string;
  appId: string;
  displayName: string;
  createdDateTime: string;
  signInAudience: "AzureADMyOrg";
  identifierUris: string[];
  keyCredentials: KeyCredentialView[];
  passwordCredentials: PasswordCredentialView[];
}

/**
 * One `$filter` clause on servicePrincipals, evaluated by the authority over its listing index (so
 * paging stays exact). Every comparison is case-insensitive, as Graph's are on these properties.
 */
export type ServicePrincipalFilter =
  /** `property eq 'value'` on a column of the listing. */
  | { operator: "eq"; property: "appId" | "displayName" | "servicePrincipalType"; value: string }
  /** `startswith(displayName,'value')`: `az ad sp list --display-name`. */
  | { operator: "startsWith"; property: "displayName"; value: string }
  /**
   * `servicePrincipalNames/any(c:c eq 'value')`: one of the names the servicePrincipal resource
   * shows in `servicePrincipalNames` (`az ad sp show --id`, `az ad sp list --spn`).
   */
  | { operator: "any"; property: "servicePrincipalNames"; value: string };

export interface ServicePrincipalPage {
  value: DirectoryServicePrincipal[];
  /** Opaque position after the last item, when more follow. */
  skipToken?: string;
}

/**
 * Why a directory write was refused. The Graph worker words each one; RPC carries plain data,
 * not Error subclasses.
 */
export type DirectoryRefusal =
  | "notFound"
  /** Managed identities are "locked to only be used with Azure resources": only ARM changes them. */
  | "managedIdentity"
  /** POST servicePrincipals for an appId no application has. */
  | "noApplication"
  /** The appId already has a service principal. */
  | "principalExists"
  | "credentialNotFound"
  | "invalidInput";

/** The shared Outcome (shared/outcome.ts) with the directory's reasons; `detail` carries what Graph's wording needs. */
export type DirectoryOutcome<T> = Outcome<T, DirectoryRefusal>;

/**
 * The directory as Microsoft Graph serves it (service binding entrypoint "DirectoryService" of
 * mie-aad, beside DirectoryRpc). Trusted: the Graph worker authenticates and authorizes callers.
 */
export interface GraphDirectoryRpc {
  listServicePrincipals(tenantId: string, query: { filter?: ServicePrincipalFilter; top: number; skipToken?: string }): Promise<ServicePrincipalPage>;
  readServicePrincipal(tenantId: string, objectId: string): Promise<DirectoryServicePrincipal | null>;
  /**
   * The tenant's principals among `objectIds` (GUIDs, at most 1000), in the order asked, each once;
   * ids that name nothing are left out (Graph's directoryObjects/getByIds).
   */
  readServicePrincipals(tenantId: string, objectIds: string[]): Promise<DirectoryServicePrincipal[]>;
  /** A new principal for an application registered in the tenant. */
  createApplicationServicePrincipal(tenantId: string, appId: string): Promise<DirectoryOutcome<DirectoryServicePrincipal>>;
  /** Graph's DELETE: refused for managed identities. */
  removeServicePrincipal(tenantId: string, objectId: string): Promise<DirectoryOutcome<null>>;
  addServicePrincipalPassword(tenantId: string, objectId: string, input: PasswordCredentialInput): Promise<DirectoryOutcome<NewPasswordCredential>>;
  removeServicePrincipalPassword(tenantId: string, objectId: string, keyId: string): Promise<DirectoryOutcome<null>>;

  createApplication(tenantId: string, input: { displayName: string }): Promise<ApplicationView>;
  readApplication(tenantId: string, objectId: string): Promise<ApplicationView | null>;
  /** Graph's PATCH: all of the change or nothing (a refusal names the first invalid part). */
  updateApplication(tenantId: string, objectId: string, change: ApplicationChange): Promise<DirectoryOutcome<null>>;
  /** Deletes the application and its service principal; the authority stops issuing tokens for it at once. */
  deleteApplication(tenantId: string, objectId: string): Promise<DirectoryOutcome<null>>;
  addApplicationPassword(tenantId: string, objectId: string, input: PasswordCredentialInput): Promise<DirectoryOutcome<NewPasswordCredential>>;
  removeApplicationPassword(tenantId: string, objectId: string, keyId: string): Promise<DirectoryOutcome<null>>;
}

/** Trust in an external token issuer (workload identity federation). */
export interface FederatedCredential {
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

/** What IMDS needs to obtain tokens for one identity of a VM. */
export interface ImdsIdentity {
  kind: "SystemAssigned" | "UserAssigned";
  clientId: string;
  principalId: string;
  tenantId: string;
  /** The resource the identity belongs to: the VM for system-assigned, the identity resource for user-assigned (xms_mirid). */
  resourceId: string;
  credential: { privateKeyPkcs8: string; x5t: string };
}

/** The compute section of /metadata/instance, all leaves strings as IMDS serves them. */
export interface InstanceCompute {
  azEnvironment: string;
  location: string;
  name: string;
  osType: string;
  provider: string;
  resourceGroupName: string;
  resourceId: string;
  subscriptionId: string;
  tags: string;
  tagsList: { name: string; value: string }[];
  vmId: string;
  vmSize: string;
  zone: string;
  publisher: string;
  offer: string;
  sku: string;
  version: string;
  osProfile: { adminUsername: string; computerName: string; disablePasswordAuthentication: string };
  [key: string]: unknown;
}

export interface VmImdsConfiguration {
  vmResourceId: string;
  compute: InstanceCompute;
  identities: ImdsIdentity[];
}

/** The per-VM metadata service as seen by Resource Manager. `endpointKey` is the VM's capability. */
export interface ImdsRpc {
  /** Replaces everything IMDS knows about the VM; cached tokens of removed identities are dropped. */
  configureVm(endpointKey: string, configuration: VmImdsConfiguration): Promise<void>;
  /** Forgets the VM: its endpoint stops answering and its credentials are erased. */
  clearVm(endpointKey: string): Promise<void>;
  /** Replaces everything the App Service identity endpoint knows about a site (Microsoft.Web/sites). */
  configureSite(endpointKey: string, configuration: SiteIdentityConfiguration): Promise<void>;
  /** Forgets the site: its identity endpoint stops answering and its credentials are erased. */
  clearSite(endpointKey: string): Promise<void>;
}

/**
 * What the App Service identity endpoint ({imds}/sites/{endpointKey}/msi/token) needs of a site:
 * its id (xms_az_rid for user-assigned tokens), the secret App Service injects as IDENTITY_HEADER
 * and MSI_SECRET, and the site's identities (system-assigned: resourceId = the site).
 */
export interface SiteIdentityConfiguration {
  siteResourceId: string;
  identityHeader: string;
  identities: ImdsIdentity[];
}

/** Resource Manager's authorization decisions, for resource servers (service binding entrypoint "AuthorizationService" of mie-arm). */
export interface AuthorizationRpc {
  /**
   * May `principalId` perform data action `dataAction` (e.g. Microsoft.KeyVault/vaults/secrets/getSecret/action)
   * at `scope` (a resource id, e.g. a vault's id or a secret below it)? Union over the principal's role
   * assignments at the scope and above it, dataActions minus notDataActions. Honours RBAC enforcement off.
   */
  checkDataAction(principalId: string, dataAction: string, scope: string): Promise<{ allowed: boolean }>;
  /**
   * The same for a control-plane action (Storage checks container create/read/delete as actions,
   * e.g. Microsoft.Storage/storageAccounts/blobServices/containers/write): actions minus notActions.
   */
  checkAction(principalId: string, action: string, scope: string): Promise<{ allowed: boolean }>;
}

/** What Resource Manager tells the Key Vault data plane about a vault (Microsoft.KeyVault/vaults). */
export interface VaultConfiguration {
  /** The vault's ARM resource id, as ARM returns it. */
  resourceId: string;
  name: string;
  tenantId: string;
  location: string;
  enableSoftDelete: boolean;
  softDeleteRetentionInDays: number;
  enablePurgeProtection: boolean;
}

/** The Key Vault data plane as seen by Resource Manager (service binding entrypoint "VaultAdminService" of mie-keyvault). */
export interface VaultAdminRpc {
  /** Creates or updates the vault's data-plane record; idempotent. Refused when another vault holds the name. */
  configureVault(configuration: VaultConfiguration): Promise<Outcome<null, "VaultNameTaken">>;
  /** Deletes the vault and all its data (secrets, versions, deleted secrets); idempotent. */
  removeVault(name: string): Promise<void>;
}

/** What Resource Manager tells the Blob data plane about a storage account (Microsoft.Storage/storageAccounts). */
export interface StorageAccountConfiguration {
  /** The account's ARM resource id, as ARM returns it (the RBAC scope of its containers and blobs). */
  resourceId: string;
  /** Lower-case, 3-24 of [a-z0-9], unique across the emulator. */
  name: string;
  tenantId: string;
  location: string;
  /** The two account keys, base64 of 64 random bytes each (Shared Key's HMAC keys once decoded). */
  keys: { key1: string; key2: string };
  /** false: Shared Key requests answer 403 KeyBasedAuthenticationNotPermitted (absent in ARM = true). */
  allowSharedKeyAccess: boolean;
}

/** A blob container as both planes show it (ARM's blobServices/default/containers and the data plane). */
export interface BlobContainerView {
  name: string;
  /** Quoted in headers, unquoted in XML and ARM's etag: e.g. 0x8DC2A1B3C4D5E6F. */
  etag: string;
  /** ISO 8601. */
  lastModified: string;
  publicAccess: "None" | "Blob" | "Container";
  metadata: Record<string, string>;
}

export type StorageRefusal = "AccountNameTaken" | "AccountNotFound" | "ContainerNotFound" | "ContainerAlreadyExists" | "InvalidInput";

/** The Blob data plane as seen by Resource Manager (service binding entrypoint "StorageAdminService" of mie-storage). */
export interface StorageAdminRpc {
  /** Creates or updates the account's data-plane record (keys, Shared Key switch); idempotent. Refused when another account resource holds the name. */
  configureAccount(configuration: StorageAccountConfiguration): Promise<Outcome<null, "AccountNameTaken">>;
  /** Deletes the account and all its containers and blobs (bytes included); idempotent. */
  removeAccount(name: string): Promise<void>;
  /** ARM's PUT of a container: creates it (created: true) or updates publicAccess/metadata. */
  putContainer(
    account: string,
    container: string,
    input: { publicAccess?: "None" | "Blob" | "Container"; metadata?: Record<string, string> },
  ): Promise<Outcome<{ created: boolean; container: BlobContainerView }, StorageRefusal>>;
  readContainer(account: string, container: string): Promise<BlobContainerView | null>;
  listContainers(account: string): Promise<BlobContainerView[]>;
  /** Deletes the container and its blobs; false when it did not exist. */
  deleteContainer(account: string, container: string): Promise<boolean>;
}

/**
 * Operating the emulator (contract: "Operating the emulator"): what Resource Manager's control API
 * asks of every other worker over the existing bindings (and of Graph over its own).
 */
export interface EmulatorControlRpc {
  /** Applies and persists the emulator clock's offset (seconds; never moves it back). */
  setClockOffset(offsetSeconds: number): Promise<void>;
  /** POST {arm}/emulator/reset: forgets everything but what was seeded (tenant, admin, keys). */
  resetState(): Promise<void>;
}

/** IMDS's side: the faults injected into its token requests live where they are applied. */
export interface ImdsControlRpc extends EmulatorControlRpc {
  putFault(definition: import("./faults").FaultDefinition): Promise<import("./faults").ActiveFault>;
  listFaults(): Promise<import("./faults").ActiveFault[]>;
  deleteFault(name: string): Promise<boolean>;
}
