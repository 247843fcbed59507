// The contract's MIE_* environment knobs: one table that `npm start -- --help` prints and that
// every knob is validated against before anything starts, so a typo is one clear line instead of
// a NaN or a native stack trace later.

export interface Knob {
  name: string;
  default: string;
  help: string;
  /** Null when valid, else what is wrong (one line). */
  check?(value: string): string | null;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const port = (value: string) =>
  /^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 65535 ? null : `'${value}' is not a TCP port (1-65535)`;
const guid = (value: string) => (GUID.test(value) ? null : `'${value}' is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`);
const oneOf = (...allowed: string[]) => (value: string) =>
  allowed.includes(value.toLowerCase()) ? null : `'${value}' is not one of ${allowed.join(", ")}`;

export const KNOBS: Knob[] = [
  { name: "MIE_DATA_DIR", default: ".data", help: "state (Durable Objects), the local CA, endpoints.json" },
  { name: "MIE_HOST", default: "127.0.0.1", help: "address every endpoint binds to", check: (v) => (v.trim() ? null : "must not be empty") },
  { name: "MIE_ARM_PORT", default: "8443", help: "Resource Manager (https)", check: port },
  { name: "MIE_LOGIN_PORT", default: "8444", help: "Azure AD authority (https)", check: port },
  { name: "MIE_GRAPH_PORT", default: "8445", help: "Microsoft Graph (https)", check: port },
  { name: "MIE_IMDS_PORT", default: "8446", help: "IMDS, one base per VM (http)", check: port },
  { name: "MIE_VAULT_PORT", default: "8447", help: "Key Vault data plane (https)", check: port },
  { name: "MIE_STORAGE_PORT", default: "8448", help: "Blob Storage data plane (https)", check: port },
  { name: "MIE_CONSOLE_PORT", default: "8449", help: "the console, a web page for people (http)", check: port },
  { name: "MIE_TENANT_ID", default: "c0ffee00-0000-4000-a000-000000000001", help: "the tenant, seeded on first start", check: guid },
  { name: "MIE_SUBSCRIPTION_ID", default: "c0ffee00-0000-4000-a000-000000000002", help: "the subscription, seeded on first start", check: guid },
  { name: "MIE_ADMIN_CLIENT_ID", default: "c0ffee00-0000-4000-a000-00000000ad01", help: "the admin service principal (Owner on the subscription)", check: guid },
  { name: "MIE_ADMIN_CLIENT_SECRET", default: "(well-known development secret)", help: "the admin's secret", check: (v) => (v.length >= 8 ? null : "must be at least 8 characters") },
  {
    name: "MIE_TOKEN_LIFETIME_SECONDS",
    default: "86400",
    help: "lifetime of managed-identity tokens (app tokens: at most 3599 s)",
    check: (v) => (/^\d+$/.test(v) && Number(v) >= 60 && Number(v) <= 86400 * 7 ? null : `'${v}' is not a whole number of seconds between 60 and 604800`),
  },
  { name: "MIE_RBAC_ENFORCEMENT", default: "on", help: "off: allow everything and log what would have been denied", check: oneOf("on", "off") },
  { name: "MIE_LOG", default: "info", help: "worker log: off, info (a line per request, token issued, denial), debug (also query strings, request ids)", check: oneOf("off", "info", "debug") },
  { name: "MIE_IMDS_THROTTLING", default: "off", help: "on: IMDS answers 429 past Azure's per-VM limits (20 requests/s, 5 at once)", check: oneOf("on", "off") },
  {
    name: "MIE_VAULT_DNS_SUFFIX",
    default: "vault.localhost",
    help: "vaults also answer at {vault}.{suffix}:{vault port}",
    check: (v) => (/^([a-z0-9-]+\.)+[a-z0-9-]+$/i.test(v.replace(/^\./, "")) ? null : `'${v}' is not a DNS suffix with at least two labels (e.g. vault.localhost)`),
  },
  {
    name: "MIE_STORAGE_DNS_SUFFIX",
    default: "localhost",
    help: "storage accounts also answer at {account}.blob.{suffix}:{storage port}",
    check: (v) => (/^([a-z0-9-]+\.)*[a-z0-9-]+$/i.test(v.replace(/^\./, "")) ? null : `'${v}' is not a DNS suffix (e.g. localhost)`),
  },
  { name: "MIE_TLS_DIR", default: "$MIE_DATA_DIR/tls", help: "where the local CA lives" },
];

/** Every invalid knob in `env`, one line each. */
export function knobErrors(env: NodeJS.ProcessEnv): string[] {
  const errors: string[] = [];
  for (const knob of KNOBS) {
    const value = env[knob.name];
    if (value === undefined || !knob.check) continue;
    const problem = knob.check(value);
    if (problem) errors.push(`${knob.name}: ${problem} (default ${knob.default})`);
  }
  const ports = KNOBS.filter((k) => k.name.endsWith("_PORT")).map((k) => [k.name, env[k.name] ?? k.default] as const);
  const seen = new Map<string, string>();
  for (const [name, value] of ports) {
    const other = seen.get(value);
    if (other) errors.push(`${name}: port ${value} is also ${other}'s; every endpoint needs its own port`);
    seen.set(value, name);
  }
  return errors;
}

export function helpText(): string {
  const width = Math.max(...KNOBS.map((k) => k.name.length));
  const rows = KNOBS.map((k) => `  ${k.name.padEnd(width)}  ${k.help} (default: ${k.default})`);
  return [
    "npm start — the Managed Identity Emulator on this machine until interrupted (Ctrl-C).",
    "",
    "Environment knobs (all optional):",
    ...rows,
    "",
    "When every endpoint answers, ${MIE_DATA_DIR}/endpoints.json names them (see README).",
  ].join("\n");
}
