// What `npm run deploy` deploys where, as pure functions of the workers' configs and the knobs
// (scripts/deploy.ts runs them): each worker's public URL and host name under a custom domain or
// workers.dev, the vars that wire every worker to the others, the routes, and the order that
// deploys every worker after the workers it binds to. Unit-tested in test/unit/scripts/deploy-plan.test.ts.
import type { WorkerConfig } from "./stack.ts";

/** A deploy that cannot go on: its message is printed as it is, without a stack. */
export class DeployStopped extends Error {}

/** Each worker's host label under a custom domain, and the var that carries its public URL. */
export const PUBLIC: Record<string, { label: string; urlVar: string }> = {
  arm: { label: "arm", urlVar: "ARM_URL" },
  aad: { label: "login", urlVar: "LOGIN_URL" },
  graph: { label: "graph", urlVar: "GRAPH_URL" },
  imds: { label: "imds", urlVar: "IMDS_URL" },
  keyvault: { label: "vault", urlVar: "VAULT_URL" },
  storage: { label: "storage", urlVar: "STORAGE_URL" },
  console: { label: "console", urlVar: "CONSOLE_URL" },
};

/** The workers that read the admin's secret: the authority (it seeds the admin) and the console (its sign-in). */
export const SECRET_HOLDERS = ["aad", "console"];

export type Addressing = { kind: "domain"; domain: string; zone: string } | { kind: "workers.dev"; subdomain: string | null };

export function publicUrl(addressing: Addressing, worker: WorkerConfig): string {
  const own = PUBLIC[worker.folder];
  if (addressing.kind === "domain") return `https://${own?.label ?? worker.folder}.${addressing.domain}`;
  return `https://${worker.name}.${addressing.subdomain ?? "<your-subdomain>"}.workers.dev`;
}

/** The vars every worker gets: each public URL, and the host-name suffixes that only a custom domain can route. */
export function addressingVars(addressing: Addressing, workers: WorkerConfig[]): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const worker of workers) {
    const own = PUBLIC[worker.folder];
    if (own) vars[own.urlVar] = publicUrl(addressing, worker);
  }
  // {vault}.vault.{domain} and {account}.blob.{domain} need wildcard routes; workers.dev has none,
  // so there vaults and accounts are path-style only (their vaultUri and primaryEndpoints say so).
  vars.VAULT_DNS_SUFFIX = addressing.kind === "domain" ? `vault.${addressing.domain}` : "";
  vars.STORAGE_DNS_SUFFIX = addressing.kind === "domain" ? addressing.domain : "";
  return vars;
}

export function routes(addressing: Addressing, worker: WorkerConfig): Record<string, unknown> {
  if (addressing.kind === "workers.dev") return { workers_dev: true };
  const own = PUBLIC[worker.folder];
  if (!own) return { workers_dev: false };
  const list: Record<string, unknown>[] = [{ pattern: `${own.label}.${addressing.domain}`, custom_domain: true }];
  if (worker.folder === "keyvault") list.push({ pattern: `*.vault.${addressing.domain}/*`, zone_name: addressing.zone });
  if (worker.folder === "storage") list.push({ pattern: `*.blob.${addressing.domain}/*`, zone_name: addressing.zone });
  return { workers_dev: false, routes: list };
}

export interface DeployStep {
  worker: WorkerConfig;
  /** Service bindings left out of this step: they close a cycle and are added by a later step. */
  withoutServices: string[];
  /** The file this step deploys (a bootstrap step gets its own). */
  configFile: string;
}

/**
 * Workers ordered so that every worker comes after the workers it binds to (ties: by folder).
 * A cycle (Resource Manager and Key Vault bind to each other; every service and the console) is
 * broken the way Cloudflare allows: the first worker of the cycle is deployed without the bindings
 * to workers that do not exist yet, and deployed again with all of them at the end.
 */
export function deployPlan(workers: WorkerConfig[]): DeployStep[] {
  const byName = new Map(workers.map((w) => [w.name, w]));
  const dependencies = (w: WorkerConfig) => {
    const names = [
      ...(w.services ?? []).map((s) => s.service),
      ...(w.durable_objects?.bindings ?? []).flatMap((b) => (b.script_name ? [b.script_name] : [])),
    ];
    return names.filter((n) => n !== w.name && byName.has(n));
  };
  const deployed = new Set<string>();
  const steps: DeployStep[] = [];
  const finals: DeployStep[] = [];
  const remaining = [...workers].sort((a, b) => a.folder.localeCompare(b.folder));
  while (remaining.length > 0) {
    let index = remaining.findIndex((w) => dependencies(w).every((d) => deployed.has(d)));
    let withoutServices: string[] = [];
    if (index < 0) {
      index = 0;
      withoutServices = dependencies(remaining[0]!).filter((d) => !deployed.has(d));
    }
    const worker = remaining.splice(index, 1)[0]!;
    // Forward slashes: the path wrangler is given, on every platform.
    const folder = `dist/${worker.folder}`;
    if (withoutServices.length) {
      steps.push({ worker, withoutServices, configFile: `${folder}/wrangler.bootstrap.json` });
      finals.push({ worker, withoutServices: [], configFile: `${folder}/wrangler.json` });
    } else {
      steps.push({ worker, withoutServices: [], configFile: `${folder}/wrangler.json` });
    }
    deployed.add(worker.name);
  }
  return [...steps, ...finals];
}

export function addressingFromEnv(env: NodeJS.ProcessEnv): Addressing {
  const domain = env.MIE_DEPLOY_DOMAIN?.trim().toLowerCase().replace(/^\.+|\.+$/g, "");
  if (domain) {
    if (!/^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/.test(domain)) throw new DeployStopped(`MIE_DEPLOY_DOMAIN='${env.MIE_DEPLOY_DOMAIN}' is not a host name (e.g. mie.example.com).`);
    const zone = env.MIE_DEPLOY_ZONE?.trim().toLowerCase() || domain.split(".").slice(-2).join(".");
    if (domain !== zone && !domain.endsWith(`.${zone}`)) throw new DeployStopped(`MIE_DEPLOY_DOMAIN=${domain} is not in the zone MIE_DEPLOY_ZONE=${zone}.`);
    return { kind: "domain", domain, zone };
  }
  const subdomain = env.MIE_WORKERS_DEV_SUBDOMAIN?.trim().toLowerCase() || null;
  if (subdomain && !/^[a-z0-9-]+$/.test(subdomain)) throw new DeployStopped(`MIE_WORKERS_DEV_SUBDOMAIN='${subdomain}' is not a workers.dev subdomain (the part before .workers.dev).`);
  return { kind: "workers.dev", subdomain };
}

/** The admin's secret to set, or null to keep the one an earlier deploy set. */
