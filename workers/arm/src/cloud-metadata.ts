// Cloud metadata: what `az cloud register --endpoint-resource-manager {arm}/` and the SDKs' cloud
// discovery read to learn this cloud's endpoints. Anonymous, as on Azure (az sends no token).
//
// Shapes by api-version (reference/azure-cli.md §2): 2022-09-01 (az ≥ 2.73) needs `name`,
// `suffixes` and `graphAudience`; 2015-01-01 (older az, msrestazure) needs `graphEndpoint` and
// `authentication`; 2019-05-01, 2019-10-01 and 2020-06-01 are arrays of clouds. One merged object
// satisfies every single-cloud reader, so that is what every other version gets.
import { keyVaultDns } from "../../../shared/vault-uri";
import { suffixWithPort } from "../../../shared/public-url";
import type { ArmEnv } from "./env";

/** The name az stores for this cloud when it reads the document (az uses its own `-n` name). */
const CLOUD_NAME = "ManagedIdentityEmulator";
const ARRAY_VERSIONS = new Set(["2019-05-01", "2019-10-01", "2020-06-01"]);

/** The public bases, each with the trailing slash Azure's metadata carries. */
interface CloudBases {
  arm: string;
  login: string;
  graph: string;
}

export function cloudMetadata(env: ArmEnv, bases: CloudBases, apiVersion: string | null): unknown {
  const slash = (url: string) => `${url.replace(/\/+$/, "")}/`;
  const arm = slash(bases.arm);
  const graph = slash(bases.graph);
  const suffixes: Record<string, string> = {};
  // Only what the emulator serves: a client that builds a host name from a suffix must reach us.
  if (env.VAULT_DNS_SUFFIX) suffixes.keyVaultDns = keyVaultDns(env.VAULT_DNS_SUFFIX, env.VAULT_URL);
  // Blob services answer at {account}.blob.{storage} once the Blob data plane is served.
  if (env.STORAGE_DNS_SUFFIX && env.STORAGE_URL) suffixes.storage = suffixWithPort(env.STORAGE_DNS_SUFFIX, env.STORAGE_URL);
  const cloud = {
    name: CLOUD_NAME,
    resourceManager: arm,
    portal: arm,
    // Microsoft Graph is both the base URL and the token audience az uses for `az ad`/`az role`.
    microsoftGraphResourceId: graph,
    graph,
    graphAudience: graph,
    authentication: {
      loginEndpoint: slash(bases.login),
      // audiences[0] is the audience az asks tokens for; both are what Resource Manager accepts.
      audiences: ["https://management.core.windows.net/", "https://management.azure.com/"],
      tenant: "common",
      identityProvider: "AAD",
    },
    suffixes,
    // `az vm create` resolves image aliases (Ubuntu2204, Win2022Datacenter, …) from this document.
    vmImageAliasDoc: `${arm}metadata/vm-image-aliases`,
    // The 2015-01-01 names, read by az ≤ 2.72.
    galleryEndpoint: arm,
    graphEndpoint: graph,
    portalEndpoint: arm,
  };
  return apiVersion && ARRAY_VERSIONS.has(apiVersion) ? [cloud] : cloud;
}
