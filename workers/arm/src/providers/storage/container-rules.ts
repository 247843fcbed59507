// Blob container names and bodies as Resource Manager's Storage provider checks them. Pure, so
// unit tests load it in Node. Names: 3-63 of [a-z0-9-], starting and ending with a letter or
// digit, no "--" (the Blob service's rule; the special $root/$web/$logs are the data plane's).
import { ArmErrors } from "../../../../../shared/errors/arm";
import { isObject } from "../../request-body";
import { StorageResourceErrors } from "./storage-errors";

export function isValidContainerName(name: string): boolean {
  return name.length >= 3 && name.length <= 63 && /^[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$/.test(name);
}

/** Azure answers both through its Blob service's words: a length out of range, or invalid characters. */
export function validateContainerName(name: string): void {
  if (name.length < 3 || name.length > 63) throw StorageResourceErrors.containerNameLength();
  if (!isValidContainerName(name)) throw StorageResourceErrors.containerNameInvalid();
}

const PUBLIC_ACCESS = ["None", "Blob", "Container"] as const;
type PublicAccess = (typeof PUBLIC_ACCESS)[number];
const MAX_METADATA_BYTES = 8 * 1024;

/**
 * What a container PUT or PATCH asks of the data plane. PUT sets both (absent: no public access,
 * no metadata); PATCH only what it names.
 */
export function validateContainerProperties(
  value: unknown,
  mode: "put" | "patch",
): { publicAccess?: PublicAccess; metadata?: Record<string, string> } {
  if (value !== undefined && value !== null && !isObject(value)) throw ArmErrors.invalidRequestContent("properties must be an object");
  const p = (value ?? {}) as Record<string, unknown>;
  let publicAccess: PublicAccess | undefined;
  if (p.publicAccess !== undefined && p.publicAccess !== null) {
    const given = p.publicAccess;
    publicAccess = typeof given === "string" ? PUBLIC_ACCESS.find((a) => a.toLowerCase() === given.toLowerCase()) : undefined;
    if (!publicAccess) throw StorageResourceErrors.invalidPropertyValue(given, "publicAccess");
  }
  let metadata: Record<string, string> | undefined;
  if (p.metadata !== undefined && p.metadata !== null) {
    if (!isObject(p.metadata)) throw ArmErrors.invalidRequestContent("properties.metadata must be an object of string values");
    metadata = {};
    const seen = new Set<string>();
    let bytes = 0;
    const encoder = new TextEncoder();
    for (const [name, v] of Object.entries(p.metadata)) {
      if (typeof v !== "string") throw ArmErrors.invalidRequestContent(`the metadata value of '${name}' must be a string`);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw StorageResourceErrors.invalidMetadata(`The metadata name '${name}' is not a valid C# identifier.`);
      if (seen.has(name.toLowerCase())) throw StorageResourceErrors.invalidMetadata(`The metadata name '${name}' is given twice.`);
      seen.add(name.toLowerCase());
      bytes += encoder.encode(name).length + encoder.encode(v).length;
      metadata[name] = v;
    }
    if (bytes > MAX_METADATA_BYTES) throw StorageResourceErrors.invalidMetadata("The metadata exceeds 8 KB.");
  }
  if (mode === "put") return { publicAccess: publicAccess ?? "None", metadata: metadata ?? {} };
  return { ...(publicAccess ? { publicAccess } : {}), ...(metadata ? { metadata } : {}) };
}
