// The api-version check every Resource Manager request passes, against the versions its resource
// type's record lists. Requests with others are refused as ARM does.
import { ArmErrors } from "../../../shared/errors/arm";

export function requireApiVersion(query: URLSearchParams, type: string, supported: readonly string[]): string {
  const version = query.get("api-version");
  if (!version) throw ArmErrors.missingApiVersion();
  if (!supported.includes(version)) {
    if (type.startsWith("Microsoft.Resources/")) throw ArmErrors.invalidApiVersion(version, supported, type);
    throw ArmErrors.noRegisteredProvider(version, type.split("/").slice(1).join("/"), supported);
  }
  return version;
}
