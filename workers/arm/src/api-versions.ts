// The api-versions each resource type accepts. Requests with others are refused as ARM does.
import { ArmErrors } from "../../../shared/errors/arm";

const RESOURCES = [
  "2014-04-01", "2015-01-01", "2015-11-01", "2016-02-01", "2016-06-01", "2016-07-01", "2016-09-01", "2017-05-10",
  "2018-02-01", "2018-05-01", "2019-03-01", "2019-05-01", "2019-05-10", "2019-06-01", "2019-07-01", "2019-08-01",
  "2019-10-01", "2019-11-01", "2020-01-01", "2020-06-01", "2020-08-01", "2020-10-01", "2021-01-01", "2021-04-01",
  "2022-01-01", "2022-09-01", "2022-12-01", "2023-07-01", "2024-03-01", "2024-07-01", "2024-11-01", "2025-01-01",
  "2025-03-01", "2025-04-01",
];

const COMPUTE = [
  "2017-03-30", "2017-12-01", "2018-04-01", "2018-06-01", "2018-10-01", "2019-03-01", "2019-07-01", "2019-12-01",
  "2020-06-01", "2020-12-01", "2021-03-01", "2021-04-01", "2021-07-01", "2021-11-01", "2022-03-01", "2022-08-01",
  "2022-11-01", "2023-03-01", "2023-07-01", "2023-09-01", "2024-03-01", "2024-07-01", "2024-11-01", "2025-04-01",
  "2026-03-01",
];

const MANAGED_IDENTITY = [
  "2015-08-31-preview", "2018-11-30", "2021-09-30-preview", "2022-01-31-preview", "2023-01-31", "2023-07-31-preview",
  "2024-11-30", "2025-01-31-preview", "2025-05-31-preview",
];

const KEY_VAULT = [
  "2015-06-01", "2016-10-01", "2018-02-14", "2019-09-01", "2021-10-01", "2022-07-01", "2023-02-01", "2023-07-01",
  "2024-11-01", "2026-02-01",
];

export const API_VERSIONS = {
  "Microsoft.ManagedIdentity/userAssignedIdentities": MANAGED_IDENTITY,
  "Microsoft.Resources/subscriptions": RESOURCES,
  "Microsoft.Resources/resourceGroups": RESOURCES,
  "Microsoft.Compute/virtualMachines": COMPUTE,
  "Microsoft.KeyVault/vaults": KEY_VAULT,
} as const;

export type VersionedType = keyof typeof API_VERSIONS;

export function requireApiVersion(query: URLSearchParams, type: VersionedType): string {
  const version = query.get("api-version");
  if (!version) throw ArmErrors.missingApiVersion();
  const supported = API_VERSIONS[type];
  if (!supported.includes(version)) {
    if (type.startsWith("Microsoft.Resources/")) throw ArmErrors.invalidApiVersion(version, supported, type);
    throw ArmErrors.noRegisteredProvider(version, type.split("/")[1]!, supported);
  }
  return version;
}
