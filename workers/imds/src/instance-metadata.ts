// /metadata/instance: the compute and network sections of one VM, navigable by path, with
// format=text for leaves, as IMDS serves them.
import type { VmImdsConfiguration } from "../../../shared/rpc";

export const INSTANCE_API_VERSIONS = [
  "2025-04-07", "2024-07-17", "2024-03-15", "2023-11-15", "2023-07-01", "2021-12-13", "2021-11-15", "2021-11-01",
  "2021-10-01", "2021-08-01", "2021-05-01", "2021-03-01", "2021-02-01", "2021-01-01", "2020-12-01", "2020-10-01",
  "2020-09-01", "2020-07-15", "2020-06-01", "2019-11-01", "2019-08-15", "2019-08-01", "2019-06-04", "2019-06-01",
  "2019-04-30", "2019-03-11", "2019-02-01", "2018-10-01", "2018-04-02", "2018-02-01", "2017-12-01", "2017-10-01",
  "2017-08-01", "2017-04-02", "2017-03-01",
];

/** The identity category exists from 2018-02-01 on. */
export const IDENTITY_API_VERSIONS = INSTANCE_API_VERSIONS.filter((v) => v >= "2018-02-01");

export function instanceDocument(config: VmImdsConfiguration): Record<string, unknown> {
  return {
    compute: config.compute,
    network: {
      interface: [
        {
          ipv4: {
            ipAddress: [{ privateIpAddress: privateIp(config.compute.vmId), publicIpAddress: "" }],
            subnet: [{ address: "10.0.0.0", prefix: "24" }],
          },
          ipv6: { ipAddress: [] },
          macAddress: macAddress(config.compute.vmId),
        },
      ],
    },
  };
}

export type Navigation = { found: true; value: unknown } | { found: false };

export function navigate(document: unknown, segments: string[]): Navigation {
  let node: unknown = document;
  for (const segment of segments) {
    if (Array.isArray(node)) {
      const index = Number(segment);
      if (!Number.isInteger(index) || index < 0 || index >= node.length) return { found: false };
      node = node[index];
    } else if (node && typeof node === "object") {
      const key = Object.keys(node).find((k) => k.toLowerCase() === segment.toLowerCase());
      if (key === undefined) return { found: false };
      node = (node as Record<string, unknown>)[key];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: node };
}

/** format=text: a leaf as its bare value; an inner node as the list of its children. */
export function asText(value: unknown): string {
  if (value === null || typeof value !== "object") return String(value ?? "");
  if (Array.isArray(value)) return value.map((_, i) => `${i}/`).join("\n");
  return Object.entries(value)
    .map(([k, v]) => (v !== null && typeof v === "object" ? `${k}/` : k))
    .join("\n");
}

// A VM here has no network; these stable stand-ins come from its vmId so scripts that read
// them get the same answer on every call.
function privateIp(vmId: string): string {
  const n = parseInt(vmId.replace(/-/g, "").slice(0, 4), 16);
  return `10.0.0.${4 + (n % 250)}`;
}

function macAddress(vmId: string): string {
  return `000D3A${vmId.replace(/-/g, "").slice(-6)}`.toUpperCase();
}
