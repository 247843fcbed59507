// Microsoft.Web/sites documents (web apps and function apps): what a PUT or PATCH body becomes and
// what clients read back. Azure's Site shape with the fields az and the SDKs read: kind (derived
// from the plan when absent: a Linux plan makes app,linux), state Running, the azurewebsites.net
// host names, usage and availability, httpsOnly, reserved (the plan's OS), outbound addresses,
// serverFarmId. siteConfig is stored whole but answered sparse (GET …/config/web has all of it);
// app settings never appear in the site (POST …/config/appsettings/list reads them).
import { ArmError, ArmErrors } from "../../../../../shared/errors/arm";
import type { IdentityKinds } from "../../identity-property";
import { isObject, mergePatch, normalizeLocation, validateTags } from "../../request-body";
import { desiredIdentity } from "../managed-identity/desired-identity";
import type { HostWriteRequest } from "../managed-identity/identity-host-object";

export const SITE_TYPE = "Microsoft.Web/sites";
export const HOST_SUFFIX = "azurewebsites.net";

export interface SiteDocument {
  id: string;
  name: string;
  type: typeof SITE_TYPE;
  kind: string;
  location: string;
  tags: Record<string, string>;
  identity?: Record<string, unknown>;
  properties: Record<string, unknown> & { serverFarmId: string; defaultHostName: string };
}

/** The plan a site is on, as the site's write needs it (resolved and checked before the site's object is reached). */
export interface SitePlan {
  id: string;
  reserved: boolean;
  tier: string;
  location: string;
}

export interface SiteWriteRequest extends HostWriteRequest {
  plan: SitePlan;
  /** A Dynamic plan to create for a consumption function app (Azure creates one when serverFarmId is absent). */
  createPlan?: Record<string, unknown> & { id: string };
}

/** What a site write asks besides its document: app settings (replacing the set) and siteConfig (merged). */
export interface SiteExtra extends Record<string, unknown> {
  appSettings?: Record<string, string>;
  siteConfig?: Record<string, unknown>;
}

/** 2-60 letters, digits and hyphens, not starting or ending with a hyphen (a label of azurewebsites.net). */
const SITE_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,58}[a-zA-Z0-9])$/;

export function validSiteName(name: string): boolean {
  return SITE_NAME.test(name);
}

export function validateSiteName(name: string): void {
  if (!validSiteName(name)) {
    throw ArmErrors.invalidResourceName(
      `Site name '${name}' is invalid. The name can contain only letters, numbers and hyphens, must be 2 to 60 characters long, and cannot start or end with a hyphen.`,
    );
  }
}

export const WebErrors = {
  siteNameTaken: (name: string) => new ArmError(409, "Conflict", `Website with given name ${name} already exists.`),
  planNotFound: (name: string) => new ArmError(404, "NotFound", `Cannot find ServerFarm with name ${name}.`),
  serverFarmRequired: () => new ArmError(400, "BadRequest", "The parameter properties.serverFarmId has an invalid value: a site needs an App Service plan."),
};

/** Everything siteConfig holds, as GET …/config/web answers it for a new site. */
export function defaultSiteConfig(name: string, kind: string, reserved: boolean): Record<string, unknown> {
  const functionApp = /functionapp/i.test(kind);
  return {
    numberOfWorkers: 1,
    defaultDocuments: ["Default.htm", "Default.html", "Default.asp", "index.htm", "index.html", "iisstart.htm", "default.aspx", "index.php", "hostingstart.html"],
    netFrameworkVersion: "v4.0",
    phpVersion: reserved ? "" : "5.6",
    pythonVersion: "",
    nodeVersion: "",
    powerShellVersion: "",
    linuxFxVersion: "",
    windowsFxVersion: null,
    requestTracingEnabled: false,
    remoteDebuggingEnabled: false,
    remoteDebuggingVersion: null,
    httpLoggingEnabled: false,
    acrUseManagedIdentityCreds: false,
    acrUserManagedIdentityID: null,
    logsDirectorySizeLimit: 35,
    detailedErrorLoggingEnabled: false,
    publishingUsername: `$${name}`,
    scmType: "None",
    use32BitWorkerProcess: true,
    webSocketsEnabled: false,
    alwaysOn: false,
    javaVersion: null,
    javaContainer: null,
    javaContainerVersion: null,
    appCommandLine: "",
    managedPipelineMode: "Integrated",
    virtualApplications: [{ virtualPath: "/", physicalPath: "site\\wwwroot", preloadEnabled: false, virtualDirectories: null }],
    loadBalancing: "LeastRequests",
    experiments: { rampUpRules: [] },
    autoHealEnabled: false,
    vnetName: "",
    vnetRouteAllEnabled: false,
    vnetPrivatePortsCount: 0,
    cors: null,
    localMySqlEnabled: false,
    ipSecurityRestrictions: [{ ipAddress: "Any", action: "Allow", priority: 2147483647, name: "Allow all", description: "Allow all access" }],
    scmIpSecurityRestrictions: [{ ipAddress: "Any", action: "Allow", priority: 2147483647, name: "Allow all", description: "Allow all access" }],
    scmIpSecurityRestrictionsUseMain: false,
    http20Enabled: false,
    minTlsVersion: "1.2",
    scmMinTlsVersion: "1.2",
    ftpsState: "FtpsOnly",
    preWarmedInstanceCount: 0,
    functionAppScaleLimit: functionApp ? 200 : 0,
    healthCheckPath: null,
    functionsRuntimeScaleMonitoringEnabled: false,
    minimumElasticInstanceCount: functionApp ? 1 : 0,
    azureStorageAccounts: {},
    publicNetworkAccess: null,
  };
}

/** The few siteConfig values a site's own GET carries; the rest read null there (GET …/config/web has them). */
const SPARSE_CONFIG = ["numberOfWorkers", "linuxFxVersion", "acrUseManagedIdentityCreds", "alwaysOn", "http20Enabled", "functionAppScaleLimit", "minimumElasticInstanceCount"];

export function sparseSiteConfig(config: Record<string, unknown>): Record<string, unknown> {
  const sparse = Object.fromEntries(Object.keys(config).map((k) => [k, SPARSE_CONFIG.includes(k) ? config[k] : null]));
  // Read through their own routes (config/appsettings/list), never through the site.
  return { ...sparse, appSettings: null, connectionStrings: null, metadata: null, handlerMappings: null };
}

/** Client-settable site properties that are stored and echoed. */
const SETTABLE: [string, "boolean" | "string" | "number" | "array"][] = [
  ["enabled", "boolean"],
  ["httpsOnly", "boolean"],
  ["clientAffinityEnabled", "boolean"],
  ["clientCertEnabled", "boolean"],
  ["clientCertMode", "string"],
  ["clientCertExclusionPaths", "string"],
  ["hostNamesDisabled", "boolean"],
  ["keyVaultReferenceIdentity", "string"],
  ["publicNetworkAccess", "string"],
  ["virtualNetworkSubnetId", "string"],
  ["vnetRouteAllEnabled", "boolean"],
  ["vnetImagePullEnabled", "boolean"],
  ["vnetContentShareEnabled", "boolean"],
  ["storageAccountRequired", "boolean"],
  ["containerSize", "number"],
  ["dailyMemoryTimeQuota", "number"],
  ["redundancyMode", "string"],
  ["endToEndEncryptionEnabled", "boolean"],
  ["scmSiteAlsoStopped", "boolean"],
];

function settableProperties(p: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, type] of SETTABLE) {
    const value = p[key];
    if (value === undefined || value === null) continue;
    const ok = type === "array" ? Array.isArray(value) : typeof value === type;
    if (!ok) throw ArmErrors.invalidRequestContent(`Error converting value ${JSON.stringify(value)} to the type of properties.${key}`);
    out[key] = value;
  }
  return out;
}

/** siteConfig.appSettings as a map; null when the body does not set them (a GET's `appSettings: null` sent back keeps them). */
export function appSettingsOf(list: unknown): Record<string, string> | undefined {
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list)) throw ArmErrors.invalidRequestContent("properties.siteConfig.appSettings must be an array of {name, value}");
  const settings: Record<string, string> = {};
  for (const [i, entry] of list.entries()) {
    if (!isObject(entry) || typeof entry.name !== "string" || entry.name === "") {
      throw ArmErrors.invalidRequestContent(`properties.siteConfig.appSettings[${i}] must have a name`);
    }
    if (entry.value !== undefined && entry.value !== null && typeof entry.value !== "string") {
      throw ArmErrors.invalidRequestContent(`properties.siteConfig.appSettings[${i}].value must be a string`);
    }
    settings[entry.name] = (entry.value as string | null | undefined) ?? "";
  }
  return settings;
}

/** The app settings map of PUT …/config/appsettings ({properties:{K:V}}): string values only. */
export function appSettingsMap(properties: unknown): Record<string, string> {
  if (properties === undefined || properties === null) return {};
  if (!isObject(properties)) throw ArmErrors.invalidRequestContent("properties must be an object of app settings");
  const settings: Record<string, string> = {};
  for (const [k, v] of Object.entries(properties)) {
    if (v !== null && typeof v !== "string") throw ArmErrors.invalidRequestContent(`the value of app setting '${k}' must be a string`);
    settings[k] = v ?? "";
  }
  return settings;
}

/** siteConfig values a write sets: null means "not given" (a GET's sparse siteConfig sent back changes nothing). */
export function siteConfigChanges(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw ArmErrors.invalidRequestContent("properties.siteConfig must be an object");
  const { appSettings: _settings, ...rest } = value;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== null));
}

/** Outbound addresses derived from the name: stable across reads, distinct between sites. */
function outboundAddresses(name: string): string[] {
  let h = 2166136261;
  for (const c of name.toLowerCase()) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return [0, 1, 2, 3, 4, 5].map((i) => `20.${(h >>> 16) & 255}.${(h >>> 8) & 255}.${((h & 255) + i * 37) % 254 + 1}`);
}

/**
 * The document a PUT or PATCH asks for, which identities it wants, and its app settings and
 * siteConfig changes. `existing` is the site's current document and full siteConfig.
 */
export function desiredSite(
  existing: { doc: SiteDocument; siteConfig: Record<string, unknown> } | null,
  request: SiteWriteRequest,
): { doc: SiteDocument; identity: IdentityKinds; userAssigned: Map<string, string>; extra: SiteExtra } {
  const { body } = request;
  if (body.identity !== undefined && body.identity !== null && !isObject(body.identity)) {
    throw ArmErrors.invalidRequestContent("identity must be an object");
  }
  if (body.properties !== undefined && body.properties !== null && !isObject(body.properties)) {
    throw ArmErrors.invalidRequestContent("properties must be an object");
  }
  const tags = body.tags === undefined ? undefined : validateTags(body.tags);
  const { identity, userAssigned } = desiredIdentity(existing?.doc.identity, body.identity, request.mode);
  const p = (body.properties ?? {}) as Record<string, unknown>;
  const siteConfigBody = p.siteConfig;
  const appSettings = isObject(siteConfigBody) ? appSettingsOf(siteConfigBody.appSettings) : siteConfigBody === undefined || siteConfigBody === null ? undefined : appSettingsOf([]);
  const configChanges = siteConfigChanges(siteConfigBody);

  let location: string;
  if (request.mode === "put") {
    if (typeof body.location !== "string" || body.location.trim() === "") throw ArmErrors.locationRequired();
    location = normalizeLocation(body.location);
  } else {
    location = body.location === undefined ? existing!.doc.location : normalizeLocation(String(body.location));
  }
  if (existing && existing.doc.location !== location) {
    throw ArmErrors.conflict("PropertyChangeNotAllowed", "Changing property 'location' is not allowed.");
  }
  if (body.kind !== undefined && body.kind !== null && (typeof body.kind !== "string" || body.kind.trim() === "")) {
    throw ArmErrors.invalidRequestContent("kind must be a non-empty string");
  }
  const kind = (typeof body.kind === "string" ? body.kind : undefined) ?? existing?.doc.kind ?? (request.plan.reserved ? "app,linux" : "app");
  const name = existing?.doc.name ?? request.name;
  const stored = request.mode === "patch" || existing ? (mergePatch(pickSettable(existing?.doc.properties ?? {}), settableProperties(p)) as Record<string, unknown>) : settableProperties(p);
  const baseConfig = existing?.siteConfig ?? defaultSiteConfig(name, kind, request.plan.reserved);
  const siteConfig = { ...baseConfig, ...configChanges };
  const defaultHostName = `${name.toLowerCase()}.${HOST_SUFFIX}`;
  const scmHostName = `${name.toLowerCase()}.scm.${HOST_SUFFIX}`;
  const outbound = outboundAddresses(name);
  const previous: Record<string, unknown> = existing?.doc.properties ?? {};
  const doc: SiteDocument = {
    id: existing?.doc.id ?? request.id,
    name,
    type: SITE_TYPE,
    kind,
    location,
    tags: tags ?? (request.mode === "patch" ? existing!.doc.tags : {}),
    properties: {
      name,
      state: "Running",
      hostNames: [defaultHostName],
      webSpace: `${request.resourceGroup}-${location}webspace`,
      selfLink: `https://waws-prod-emu-001.api.${HOST_SUFFIX}:454/subscriptions/${request.subscriptionId}/webspaces/${request.resourceGroup}-${location}webspace/sites/${name}`,
      repositorySiteName: name,
      owner: null,
      usageState: "Normal",
      enabled: true,
      adminEnabled: true,
      enabledHostNames: [defaultHostName, scmHostName],
      siteProperties: {
        metadata: null,
        properties: [
          { name: "LinuxFxVersion", value: String(siteConfig.linuxFxVersion ?? "") },
          { name: "WindowsFxVersion", value: (siteConfig.windowsFxVersion as string | null) ?? null },
        ],
        appSettings: null,
      },
      availabilityState: "Normal",
      sslCertificates: null,
      csrs: [],
      cers: null,
      siteMode: null,
      hostNameSslStates: [
        { name: defaultHostName, sslState: "Disabled", ipBasedSslResult: null, virtualIP: null, virtualIPv6: null, thumbprint: null, certificateResourceId: null, toUpdate: null, toUpdateIpBasedSsl: null, ipBasedSslState: "NotConfigured", hostType: "Standard" },
        { name: scmHostName, sslState: "Disabled", ipBasedSslResult: null, virtualIP: null, virtualIPv6: null, thumbprint: null, certificateResourceId: null, toUpdate: null, toUpdateIpBasedSsl: null, ipBasedSslState: "NotConfigured", hostType: "Repository" },
      ],
      computeMode: null,
      serverFarm: null,
      serverFarmId: request.plan.id,
      reserved: request.plan.reserved,
      isXenon: false,
      hyperV: false,
      lastModifiedTimeUtc: new Date().toISOString().replace("Z", ""),
      storageRecoveryDefaultState: "Running",
      contentAvailabilityState: "Normal",
      runtimeAvailabilityState: "Normal",
      dnsConfiguration: {},
      vnetRouteAllEnabled: false,
      vnetImagePullEnabled: false,
      vnetContentShareEnabled: false,
      siteConfig: sparseSiteConfig(siteConfig),
      deploymentId: name,
      slotName: null,
      trafficManagerHostNames: null,
      sku: request.plan.tier,
      scmSiteAlsoStopped: false,
      targetSwapSlot: null,
      hostingEnvironment: null,
      hostingEnvironmentProfile: null,
      clientAffinityEnabled: true,
      clientCertEnabled: false,
      clientCertMode: "Required",
      clientCertExclusionPaths: null,
      hostNamesDisabled: false,
      ipMode: "IPv4",
      domainVerificationIdentifiers: null,
      customDomainVerificationId: (previous.customDomainVerificationId as string | undefined) ?? randomUpperHex(32),
      kind,
      managedEnvironmentId: null,
      inboundIpAddress: outbound[0],
      possibleInboundIpAddresses: outbound[0],
      ftpUsername: `${name}\\$${name}`,
      ftpsHostName: `ftps://waws-prod-emu-001.ftp.azurewebsites.windows.net/site/wwwroot`,
      outboundIpAddresses: outbound.slice(0, 4).join(","),
      possibleOutboundIpAddresses: outbound.join(","),
      containerSize: /functionapp/i.test(kind) ? 1536 : 0,
      dailyMemoryTimeQuota: 0,
      suspendedTill: null,
      siteDisabledReason: 0,
      functionExecutionUnitsCache: null,
      maxNumberOfWorkers: null,
      homeStamp: "waws-prod-emu-001",
      cloningInfo: null,
      hostingEnvironmentId: null,
      tags: null,
      resourceGroup: request.resourceGroup,
      defaultHostName,
      slotSwapStatus: null,
      httpsOnly: false,
      endToEndEncryptionEnabled: false,
      functionsRuntimeAdminIsolationEnabled: false,
      redundancyMode: "None",
      inProgressOperationId: null,
      geoDistributions: null,
      privateEndpointConnections: [],
      publicNetworkAccess: null,
      buildVersion: null,
      targetBuildVersion: null,
      migrationState: null,
      eligibleLogCategories: "AppServiceAppLogs,AppServiceAuditLogs,AppServiceConsoleLogs,AppServiceHTTPLogs,AppServiceIPSecAuditLogs,AppServicePlatformLogs,ScanLogs,AppServiceAuthenticationLogs",
      storageAccountRequired: false,
      virtualNetworkSubnetId: null,
      keyVaultReferenceIdentity: "SystemAssigned",
      autoGeneratedDomainNameLabelScope: null,
      defaultHostNameScope: "Global",
      privateLinkIdentifiers: null,
      sshEnabled: null,
      ...stored,
    },
  };
  return {
    doc,
    identity,
    userAssigned,
    extra: { ...(appSettings ? { appSettings } : {}), siteConfig },
  };
}

function pickSettable(properties: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(SETTABLE.map(([k]) => [k, properties[k]]).filter(([, v]) => v !== undefined && v !== null));
}

function randomUpperHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
}
