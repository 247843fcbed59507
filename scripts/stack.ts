// The whole emulator as one local process: every worker under workers/ in one Miniflare,
// configured from its own wrangler.toml merged over the top-level one, each on its own port.
// Resource Manager, the authority, Graph and Key Vault are served over HTTPS (Azure's SDKs refuse
// bearer tokens over plain http); IMDS is plain HTTP, like the real one. Every public port is a
// Node HTTP(S) front (front.ts) that parses requests, answers malformed ones in the service's JSON
// shape, and forwards the rest to the worker's private loopback socket. Used by `npm start`, the
// tests and the bench.
import type { BuildOptions } from "esbuild";
import type { Miniflare as MiniflareInstance, WorkerOptions } from "miniflare";
import { spawn } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { request as httpRequest } from "node:http";
import { createRequire } from "node:module";
import { createServer as createNetServer } from "node:net";
import { dirname, join, relative, resolve, sep } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parse as parseToml } from "smol-toml";
import { ensureTls, type TlsMaterial } from "./tls.ts";
import { serveFront, type Front, type FrontService } from "./front.ts";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Which contract port each worker folder is served on, and whether over TLS. IMDS is plain HTTP
 * like the real one; the rest are HTTPS because Azure's SDKs refuse bearer tokens over http.
 */
const SERVED: Record<string, { port: keyof StackOptions["ports"]; tls: boolean }> = {
  arm: { port: "arm", tls: true },
  aad: { port: "login", tls: true },
  graph: { port: "graph", tls: true },
  imds: { port: "imds", tls: false },
  keyvault: { port: "vault", tls: true },
  storage: { port: "storage", tls: true },
  // The console is a page for people: plain http on loopback (a secure context for browsers), so
  // opening it shows no certificate warning.
  console: { port: "console", tls: false },
};

/** Defaults of the contract's knobs (README, "Configuration"). */
export const DEFAULTS = {
  dataDir: ".data",
  host: "127.0.0.1",
  ports: { arm: 8443, login: 8444, graph: 8445, imds: 8446, vault: 8447, storage: 8448, console: 8449 },
  adminClientSecret: "mie-well-known-admin-secret-Zm9yLWxvY2FsLXVzZS1vbmx5",
};

interface WranglerConfig {
  name: string;
  main?: string;
  compatibility_date?: string;
  compatibility_flags?: string[];
  vars?: Record<string, string>;
  durable_objects?: { bindings?: { name: string; class_name: string; script_name?: string }[] };
  services?: { binding: string; service: string; entrypoint?: string }[];
  migrations?: { tag: string; new_sqlite_classes?: string[]; new_classes?: string[] }[];
  r2_buckets?: { binding: string; bucket_name: string }[];
  rules?: { type: string; globs: string[]; fallthrough?: boolean }[];
}

export interface WorkerConfig extends WranglerConfig {
  /** Folder name under workers/. */
  folder: string;
  dir: string;
}

/** Each worker's own wrangler.toml with the top-level wrangler.toml merged under it. */
export function loadWorkerConfigs(): WorkerConfig[] {
  const base = parseToml(readFileSync(join(ROOT, "wrangler.toml"), "utf8")) as unknown as WranglerConfig;
  return readdirSync(join(ROOT, "workers"))
    .filter((folder) => existsSync(join(ROOT, "workers", folder, "wrangler.toml")))
    .sort()
    .map((folder) => {
      const dir = join(ROOT, "workers", folder);
      const own = parseToml(readFileSync(join(dir, "wrangler.toml"), "utf8")) as unknown as WranglerConfig;
      return {
        ...base,
        ...own,
        vars: { ...(base.vars ?? {}), ...(own.vars ?? {}) },
        compatibility_flags: own.compatibility_flags ?? base.compatibility_flags ?? [],
        folder,
        dir,
      };
    });
}

/** Vars that are secrets: set with `wrangler secret put`, never written to a config file. */
const SECRET_VARS = ["ADMIN_CLIENT_SECRET"];

/**
 * A worker's complete wrangler config (its own merged over the top-level one) for a file in
 * `configDir`: `main` relative to it, secrets left out unless passed in `vars` explicitly,
 * and optionally without the service bindings named in `withoutServices`.
 */
export function wranglerJson(
  worker: WorkerConfig,
  configDir: string,
  options: { withoutServices?: string[]; vars?: Record<string, string>; bundle?: string } = {},
): Record<string, unknown> {
  const posix = (path: string) => path.split(sep).join("/");
  const schema = join(ROOT, "node_modules", "wrangler", "config-schema.json");
  const vars = Object.fromEntries(Object.entries(worker.vars ?? {}).filter(([name]) => !SECRET_VARS.includes(name)));
  const config: Record<string, unknown> = {
    ...(existsSync(schema) ? { $schema: posix(relative(configDir, schema)) } : {}),
    name: worker.name,
    // With `bundle`, the script bundleWorker built (one bundler for the local server and the edge):
    // wrangler uploads it as it is. Without, wrangler bundles the source (the in-runtime tests).
    ...(options.bundle
      ? { main: posix(relative(configDir, options.bundle)), no_bundle: true }
      : { main: posix(relative(configDir, join(worker.dir, worker.main ?? "src/index.ts"))), ...(worker.rules ? { rules: worker.rules } : {}) }),
    compatibility_date: worker.compatibility_date,
    compatibility_flags: worker.compatibility_flags ?? [],
    vars: { ...vars, ...options.vars },
  };
  if (worker.durable_objects) config.durable_objects = worker.durable_objects;
  const services = (worker.services ?? []).filter((s) => !(options.withoutServices ?? []).includes(s.service));
  if (services.length) config.services = services;
  if (worker.migrations) config.migrations = worker.migrations;
  if (worker.r2_buckets) config.r2_buckets = worker.r2_buckets;
  return config;
}

/**
 * Bundles a worker as wrangler would, into dist/<folder>/index.js, once: the bundle is kept with
 * a manifest (dist/<folder>/bundle.json) naming what it was built from: esbuild's version, the
 * options, the installed dependency tree (node_modules/.package-lock.json) and every file esbuild
 * read (its metafile's inputs), each by content hash. A start whose inputs all hash the same reuses
 * the bundle without loading esbuild; any change rebuilds it. (A new file that changes how an
 * unchanged import resolves is not seen; `rm -rf dist` forces a rebuild.) Files are written under
 * temporary names and renamed, so two stacks starting at once (tests) never read half a bundle.
 */
export async function bundleWorker(worker: WorkerConfig): Promise<string> {
  const dir = join(ROOT, "dist", worker.folder);
  const outfile = join(dir, "index.js");
  const manifestFile = join(dir, "bundle.json");
  const options = {
    entryPoints: [join(worker.dir, worker.main ?? "src/index.ts")],
    outfile,
    absWorkingDir: ROOT,
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    external: ["cloudflare:*", "node:*"],
    // The console's page, styles and client script are bundled as text (its wrangler.toml [[rules]]).
    loader: { ".html": "text", ".css": "text", ".client.js": "text" },
    logLevel: "warning",
    sourcemap: "linked",
  } satisfies BuildOptions;
  const key = (esbuildVersion: string) =>
    hash(JSON.stringify({ cache: BUNDLE_CACHE_VERSION, esbuild: esbuildVersion, options, tree: fileHash(join(ROOT, "node_modules", ".package-lock.json")) }));

  try {
    const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as BundleManifest;
    if (
      manifest.key === key(manifest.esbuild) &&
      installedEsbuildVersion() === manifest.esbuild &&
      existsSync(outfile) &&
      Object.entries(manifest.inputs).every(([path, digest]) => fileHash(join(ROOT, path)) === digest)
    ) {
      return outfile;
    }
  } catch {
    /* no usable manifest: build */
  }

  const { build, version } = await import("esbuild");
  const result = await build({ ...options, write: false, metafile: true });
  mkdirSync(dir, { recursive: true });
  const inputs = Object.fromEntries(Object.keys(result.metafile.inputs).map((path) => [path, fileHash(join(ROOT, path))]));
  // The map before the script, the manifest last: a manifest on disk always describes files already there.
  for (const file of [...result.outputFiles].sort((a, b) => Number(a.path === outfile) - Number(b.path === outfile))) {
    writeAtomically(file.path, file.contents);
  }
  writeAtomically(manifestFile, JSON.stringify({ key: key(version), esbuild: version, inputs } satisfies BundleManifest, null, 1));
  return outfile;
}

/**
 * The key in the console URL of endpoints.json: the console worker's own (workers/console/src/
 * session.ts computes the same HMAC of the admin's secret), so the link signs in.
 */
export function consoleKey(adminClientSecret: string, adminClientId: string): string {
  return createHmac("sha256", adminClientSecret).update(`console sign-in key for ${adminClientId.toLowerCase()}`).digest("base64url");
}

/** Bump when bundleWorker's output changes in a way the options do not show. */
const BUNDLE_CACHE_VERSION = 1;

interface BundleManifest {
  key: string;
  esbuild: string;
  /** Every file esbuild read, relative to ROOT, with its SHA-256. */
  inputs: Record<string, string>;
}

function hash(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** A file's SHA-256, or "" if it cannot be read. */
function fileHash(path: string): string {
  try {
    return hash(readFileSync(path));
  } catch {
    return "";
  }
}

/** The installed esbuild's version, read from its package.json (loading esbuild itself costs more). */
function installedEsbuildVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, "node_modules", "esbuild", "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "";
  }
}

function writeAtomically(path: string, contents: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, path);
}

/** A start-up problem a person can fix: printed as its message, without a stack. */
export class StartupError extends Error {
  /** "EADDRINUSE" for a taken port, so callers that pick ports can retry on others. */
  readonly code?: string;
  constructor(message: string, code?: string) {
    super(message);
    this.name = "StartupError";
    if (code) this.code = code;
  }
}

/** Which knob sets each public port, for messages. */
const PORT_KNOBS: Record<keyof StackOptions["ports"], string> = {
  arm: "MIE_ARM_PORT",
  login: "MIE_LOGIN_PORT",
  graph: "MIE_GRAPH_PORT",
  imds: "MIE_IMDS_PORT",
  vault: "MIE_VAULT_PORT",
  storage: "MIE_STORAGE_PORT",
  console: "MIE_CONSOLE_PORT",
};

type PortName = keyof StackOptions["ports"];

/** Every public port, each from `value` (PORT_KNOBS names them all: one place to add a service's port). */
function portsFrom(value: (key: PortName) => number): StackOptions["ports"] {
  return Object.fromEntries((Object.keys(PORT_KNOBS) as PortName[]).map((key) => [key, value(key)])) as StackOptions["ports"];
}

/** The MIE_*_PORT variables that make `npm start` (a child process) serve on `ports`. */
export function portKnobs(ports: StackOptions["ports"]): Record<string, string> {
  return Object.fromEntries((Object.keys(PORT_KNOBS) as PortName[]).map((key) => [PORT_KNOBS[key], String(ports[key])]));
}

export interface StackOptions {
  dataDir: string;
  /** Where the local CA lives (default: <dataDir>/tls). Tests share one CA across servers. */
  tlsDir?: string;
  host: string;
  ports: { arm: number; login: number; graph: number; imds: number; vault: number; storage: number; console: number };
  tenantId?: string;
  subscriptionId?: string;
  adminClientId?: string;
  adminClientSecret: string;
  tokenLifetimeSeconds?: string;
  rbacEnforcement?: string;
  /** off | info | debug: what the workers print through `log` (knob MIE_LOG; default info). */
  logLevel?: string;
  /** "on": IMDS answers 429 past Azure's per-VM limits (knob MIE_IMDS_THROTTLING; default off). */
  imdsThrottling?: string;
  /** Vaults also answer at {name}.{suffix} (default: the top-level wrangler.toml's VAULT_DNS_SUFFIX). */
  vaultDnsSuffix?: string;
  /** Storage accounts' Blob services also answer at {account}.blob.{suffix} (default: wrangler.toml's STORAGE_DNS_SUFFIX). */
  storageDnsSuffix?: string;
  log?: (line: string) => void;
  /** Tests only: enables Resource Manager's fault seam (workers/arm/src/failpoints.ts). */
  testFailpoints?: boolean;
  /** Progress lines for a person waiting (npm start). */
  progress?: (line: string) => void;
}

export interface Endpoints {
  tenantId: string;
  subscriptionId: string;
  arm: string;
  login: string;
  graph: string;
  imds: string;
  keyVault?: string;
  storage?: string;
  /** The console's page, with the key that signs in (contract: "the URL may carry a secret"). */
  console?: string;
  caCertificate: string;
  admin: { clientId: string; objectId: string; clientSecret: string };
}

/** How long a start took, and each of its phases (as `progress` named them). */
export interface StartTimings {
  totalMs: number;
  phases: { phase: string; ms: number }[];
}

export interface RunningStack {
  endpoints: Endpoints;
  timings: StartTimings;
  stop(): Promise<void>;
}

/** Reads the contract's MIE_* environment knobs. */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): StackOptions {
  const port = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback);
  return {
    dataDir: resolve(ROOT, env.MIE_DATA_DIR ?? DEFAULTS.dataDir),
    tlsDir: env.MIE_TLS_DIR ? resolve(ROOT, env.MIE_TLS_DIR) : undefined,
    host: env.MIE_HOST ?? DEFAULTS.host,
    ports: portsFrom((key) => port(PORT_KNOBS[key], DEFAULTS.ports[key])),
    tenantId: env.MIE_TENANT_ID,
    subscriptionId: env.MIE_SUBSCRIPTION_ID,
    adminClientId: env.MIE_ADMIN_CLIENT_ID,
    adminClientSecret: env.MIE_ADMIN_CLIENT_SECRET ?? DEFAULTS.adminClientSecret,
    tokenLifetimeSeconds: env.MIE_TOKEN_LIFETIME_SECONDS,
    rbacEnforcement: env.MIE_RBAC_ENFORCEMENT,
    logLevel: env.MIE_LOG,
    imdsThrottling: env.MIE_IMDS_THROTTLING,
    vaultDnsSuffix: env.MIE_VAULT_DNS_SUFFIX,
    storageDnsSuffix: env.MIE_STORAGE_DNS_SUFFIX,
  };
}

/**
 * Free ports for a stack of its own (tests, bench), drawn from below Linux's ephemeral range
 * (32768+) so that no socket the runtime opens on port 0 can take one between this check and
 * the stack binding it. `startStack` still fails cleanly with EADDRINUSE if one was taken.
 */
export async function pickFreePorts(host: string): Promise<StackOptions["ports"]> {
  const ports: number[] = [];
  const keys = Object.keys(PORT_KNOBS) as PortName[];
  while (ports.length < keys.length) {
    const candidate = 20_000 + Math.floor(Math.random() * 12_000);
    if (ports.includes(candidate)) continue;
    const free = await new Promise<boolean>((resolvePromise) => {
      const server = createNetServer();
      server.once("error", () => resolvePromise(false));
      server.listen(candidate, host, () => server.close(() => resolvePromise(true)));
    });
    if (free) ports.push(candidate);
  }
  return portsFrom((key) => ports[keys.indexOf(key)]!);
}

/**
 * Whether starting failed because a port was taken. workerd reports a socket it cannot bind
 * only as a failed start, so that counts too (a real start failure repeats on new ports).
 */
export function isAddressInUse(err: unknown): boolean {
  const text = err instanceof Error ? `${err.message} ${(err as { code?: string }).code ?? ""}` : String(err);
  return /EADDRINUSE|address already in use|ERR_RUNTIME_FAILURE/i.test(text);
}

function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

export async function startStack(options: StackOptions): Promise<RunningStack> {
  const log = options.log ?? (() => undefined);
  const phases = new PhaseClock(options.progress);
  mkdirSync(options.dataDir, { recursive: true });
  const endpointsFile = join(options.dataDir, "endpoints.json");
  // The lock first: a second start must leave a running emulator and its endpoints.json alone.
  const lock = acquireDataDirLock(options.dataDir);
  const releaseLock = lock.release;
  try {
    await requireFreePorts(options);
  } catch (err) {
    releaseLock();
    throw err;
  }
  rmSync(endpointsFile, { force: true });

  const workers = loadWorkerConfigs();
  const vaultDnsSuffix = options.vaultDnsSuffix?.replace(/^\.+/, "").toLowerCase() ?? workers[0]?.vars?.VAULT_DNS_SUFFIX;
  const storageDnsSuffix = options.storageDnsSuffix?.replace(/^\.+/, "").toLowerCase() ?? workers[0]?.vars?.STORAGE_DNS_SUFFIX;
  // Host-named vaults ({name}.{suffix}) are served on the same certificate: a wildcard for the suffix.
  const tlsDir = options.tlsDir ?? join(options.dataDir, "tls");
  const firstStart = !existsSync(join(tlsDir, "ca.pem"));
  // The certificates (RSA key generation: the CA's on a first start, the server's every time) are
  // made while the workers are bundled and the runtime starts; only the fronts need them.
  const tlsReady: Promise<{ tls: TlsMaterial } | { error: Error }> = serverTls(tlsDir, options.host, [
    ...(vaultDnsSuffix ? [`*.${vaultDnsSuffix}`] : []),
    ...(storageDnsSuffix ? [`*.blob.${storageDnsSuffix}`] : []),
  ]).then(
    (tls) => ({ tls }),
    (error: Error) => ({ error }),
  );
  const h = urlHost(options.host);
  const publicUrls = {
    ARM_URL: `https://${h}:${options.ports.arm}`,
    LOGIN_URL: `https://${h}:${options.ports.login}`,
    GRAPH_URL: `https://${h}:${options.ports.graph}`,
    IMDS_URL: `http://${h}:${options.ports.imds}`,
    VAULT_URL: `https://${h}:${options.ports.vault}`,
    STORAGE_URL: `https://${h}:${options.ports.storage}`,
    CONSOLE_URL: `http://${h}:${options.ports.console}`,
  };
  const overrides: Record<string, string | undefined> = {
    TENANT_ID: options.tenantId,
    SUBSCRIPTION_ID: options.subscriptionId,
    ADMIN_CLIENT_ID: options.adminClientId,
    TOKEN_LIFETIME_SECONDS: options.tokenLifetimeSeconds,
    RBAC_ENFORCEMENT: options.rbacEnforcement,
    LOG: options.logLevel?.toLowerCase(),
    IMDS_THROTTLING: options.imdsThrottling?.toLowerCase(),
    VAULT_DNS_SUFFIX: vaultDnsSuffix,
    STORAGE_DNS_SUFFIX: storageDnsSuffix,
    TEST_FAILPOINTS: options.testFailpoints ? "on" : undefined,
  };

  let mf: MiniflareInstance | null = null;
  let tether: { stop(): void } | null = null;
  const fronts: Front[] = [];
  const stop = async () => {
    await Promise.all(fronts.map((f) => f.close()));
    await mf?.dispose();
    tether?.stop();
    releaseLock();
  };
  try {
    return await serve();
  } catch (err) {
    // Nothing half-started stays behind: a caller may retry on other ports.
    await tlsReady;
    await stop().catch(() => undefined);
    throw err;
  }

  async function serve(): Promise<RunningStack> {
  phases.next(firstStart ? `bundling ${workers.length} workers (and creating the local certificate authority in ${tlsDir}: first start)` : `bundling ${workers.length} workers`);
  const scripts = await Promise.all(workers.map((w) => bundleWorker(w)));
  const workerOptions: WorkerOptions[] = workers.map((w, i) => {
    const sqlite = new Set((w.migrations ?? []).flatMap((m) => m.new_sqlite_classes ?? []));
    const vars: Record<string, string> = { ...(w.vars ?? {}), ...publicUrls, ADMIN_CLIENT_SECRET: options.adminClientSecret };
    for (const [k, v] of Object.entries(overrides)) if (v !== undefined) vars[k] = v;
    // Ids are compared case-insensitively everywhere; keep them lower-case as Azure prints them.
    for (const k of ["TENANT_ID", "SUBSCRIPTION_ID", "ADMIN_CLIENT_ID"]) if (vars[k]) vars[k] = vars[k]!.toLowerCase();
    // Every worker listens on a private loopback port; the public ones behind their front (front.ts).
    const socket = { host: "127.0.0.1", port: 0 };
    const script = scripts[i]!;
    return {
      name: w.name,
      // The bundle is one module with only cloudflare:/node: imports: named as such, Miniflare
      // does not parse it to look for more (a second or so of CPU for the six bundles).
      modulesRoot: dirname(script),
      modules: [{ type: "ESModule", path: script }],
      compatibilityDate: w.compatibility_date,
      compatibilityFlags: w.compatibility_flags,
      bindings: vars,
      durableObjects: Object.fromEntries(
        (w.durable_objects?.bindings ?? []).map((b) => [b.name, { className: b.class_name, scriptName: b.script_name, useSQLite: sqlite.has(b.class_name) }]),
      ),
      serviceBindings: Object.fromEntries(
        (w.services ?? []).map((s) => [s.binding, s.entrypoint ? { name: s.service, entrypoint: s.entrypoint } : s.service]),
      ),
      // Blob bytes: Miniflare's local R2, persisted under the data dir like the Durable Objects.
      ...(w.r2_buckets?.length ? { r2Buckets: Object.fromEntries(w.r2_buckets.map((b) => [b.binding, b.bucket_name])) } : {}),
      unsafeDirectSockets: [socket],
    } as WorkerOptions;
  });

  phases.next("starting the runtime (workerd)");
  // Loaded with require: Node's ESM loader would first scan Miniflare's CommonJS bundle for its
  // export names (about a quarter of a second).
  const { Miniflare } = createRequire(import.meta.url)("miniflare") as typeof import("miniflare");
  const runtimesBefore = childRuntimes();
  mf = new Miniflare({
    workers: workerOptions,
    host: "127.0.0.1",
    port: 0,
    durableObjectsPersist: join(options.dataDir, "durable-objects"),
    r2Persist: join(options.dataDir, "r2"),
    handleRuntimeStdio(stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) {
      // One call of `log` per line: the runtime writes several lines in one chunk under load.
      stdout.on("data", (d: Buffer) => {
        for (const line of d.toString().split("\n")) if (line.trim()) log(line.trimEnd());
      });
      stderr.on("data", (d: Buffer) => {
        const text = d.toString().trimEnd();
        if (text && !/Request\.cf|cf\.json/i.test(text)) log(text);
      });
    },
  });
  await mf.ready;
  const runtime = mf;
  // The runtime is a child process that outlives this one if it is killed (SIGKILL, a crash):
  // tie it to this process, and note it in the lock so the next start on this folder ends it
  // before its own runtime opens the same Durable Object files.
  const runtimePids = childRuntimes().filter((pid) => !runtimesBefore.includes(pid));
  lock.noteRuntimes(runtimePids);
  tether = tetherRuntimes(runtimePids);

  const tlsResult = await tlsReady;
  if ("error" in tlsResult) {
    throw new StartupError(
      `The local CA in ${tlsDir} cannot be used (${tlsResult.error.message}). Remove ${join(tlsDir, "ca.pem")} and ${join(tlsDir, "ca-key.pem")}: a new CA is made on the next start (trust the new ca.pem again).`,
    );
  }
  const { tls } = tlsResult;

  phases.next("serving the public ports");
  const served = workers.filter((w) => SERVED[w.folder]);
  const targets = await Promise.all(served.map((w) => runtime.unsafeGetDirectURL(w.name)));
  // In workers' order, so that a failure names the same port every time.
  for (const [i, w] of served.entries()) {
    const { port, tls: overTls } = SERVED[w.folder]!;
    fronts.push(
      await serveFront({
        service: w.folder as FrontService,
        host: options.host,
        port: options.ports[port],
        targetPort: Number(targets[i]!.port),
        ...(overTls ? { tls } : {}),
      }),
    );
  }

  const tenantId = (overrides.TENANT_ID ?? workers[0]!.vars!.TENANT_ID!).toLowerCase();
  const subscriptionId = (overrides.SUBSCRIPTION_ID ?? workers[0]!.vars!.SUBSCRIPTION_ID!).toLowerCase();
  const adminClientId = (overrides.ADMIN_CLIENT_ID ?? workers[0]!.vars!.ADMIN_CLIENT_ID!).toLowerCase();
  const endpoints: Endpoints = {
    tenantId,
    subscriptionId,
    arm: publicUrls.ARM_URL,
    login: publicUrls.LOGIN_URL,
    graph: publicUrls.GRAPH_URL,
    imds: publicUrls.IMDS_URL,
    ...(workers.some((w) => w.folder === "keyvault") ? { keyVault: publicUrls.VAULT_URL } : {}),
    ...(workers.some((w) => w.folder === "storage") ? { storage: publicUrls.STORAGE_URL } : {}),
    ...(workers.some((w) => w.folder === "console") ? { console: `${publicUrls.CONSOLE_URL}/?key=${consoleKey(options.adminClientSecret, adminClientId)}` } : {}),
    caCertificate: tls.caCertificatePath,
    admin: { clientId: adminClientId, objectId: await adminObjectId(tenantId, adminClientId), clientSecret: options.adminClientSecret },
  };

  phases.next("waiting for every endpoint to answer");
  // Ready when every endpoint answers through its front (the first discovery call also generates
  // the tenant's keys), asked at once.
  await Promise.all([
    probe(`${endpoints.login}/${tenantId}/v2.0/.well-known/openid-configuration`, tls.caCertificatePem, 200),
    probe(`${endpoints.arm}/metadata/endpoints?api-version=2022-09-01`, tls.caCertificatePem, 200),
    probe(`${endpoints.imds}/metadata/instance`, tls.caCertificatePem, 404),
  ]);

  const tmp = `${endpointsFile}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(endpoints, null, 2) + "\n");
  renameSync(tmp, endpointsFile);
  const timings = phases.end();

  return { endpoints, timings, stop };
  }
}

/**
 * The server certificate of a start: ensureTls issues one (an RSA key generated each time), and a
 * process that starts several stacks on the same CA, host and names (the tests, the bench) reuses
 * it. Keyed by the CA's own files, so a CA removed or replaced in between gets a new one.
 */
const issued = new Map<string, Promise<TlsMaterial>>();
function serverTls(dir: string, host: string, extraNames: string[]): Promise<TlsMaterial> {
  let ca: string;
  try {
    ca = hash(readFileSync(join(dir, "ca.pem"), "utf8") + readFileSync(join(dir, "ca-key.pem"), "utf8"));
  } catch {
    return ensureTls(dir, host, extraNames); // no CA yet: ensureTls makes one
  }
  const key = JSON.stringify([dir, host, extraNames, ca]);
  let material = issued.get(key);
  if (!material) {
    material = ensureTls(dir, host, extraNames);
    issued.set(key, material);
    material.catch(() => issued.delete(key));
  }
  return material;
}

/**
 * Names each phase of a start for a person waiting (`progress`), and keeps how long each took
 * (RunningStack.timings: the bench prints them, and they show what a slow start spent its time on).
 */
class PhaseClock {
  private readonly started = performance.now();
  private current: { name: string; since: number } | null = null;
  private readonly done: { phase: string; ms: number }[] = [];
  private readonly progress?: (line: string) => void;
  constructor(progress?: (line: string) => void) {
    this.progress = progress;
  }
  next(name: string): void {
    this.close();
    this.current = { name, since: performance.now() };
    this.progress?.(name);
  }
  end(): StartTimings {
    this.close();
    return { totalMs: Math.round(performance.now() - this.started), phases: this.done };
  }
  private close(): void {
    if (this.current) this.done.push({ phase: this.current.name, ms: Math.round(performance.now() - this.current.since) });
    this.current = null;
  }
}

/**
 * Holds `${dataDir}/emulator.lock` (the pid of the emulator using the folder) until released.
 * A lock whose process is gone is taken over; a live one refuses the start.
 */
function acquireDataDirLock(dataDir: string): { release(): void; noteRuntimes(pids: number[]): void } {
  const lockFile = join(dataDir, "emulator.lock");
  const started = new Date().toISOString();
  let mine = JSON.stringify({ pid: process.pid, started });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, mine, { flag: "wx" });
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          try {
            if (readFileSync(lockFile, "utf8") === mine) rmSync(lockFile, { force: true });
          } catch {
            /* already gone */
          }
        },
        noteRuntimes(pids: number[]) {
          const next = JSON.stringify({ pid: process.pid, started, runtimePids: pids });
          const tmp = `${lockFile}.${process.pid}.tmp`;
          writeFileSync(tmp, next);
          renameSync(tmp, lockFile);
          mine = next;
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let holder: { pid?: number; started?: string; runtimePids?: number[] } = {};
      try {
        holder = JSON.parse(readFileSync(lockFile, "utf8"));
      } catch {
        /* unreadable: treat as stale */
      }
      if (holder.pid && holder.pid !== process.pid && processAlive(holder.pid)) {
        throw new StartupError(
          `The data folder ${dataDir} is in use by a running emulator (pid ${holder.pid}, started ${holder.started ?? "earlier"}). Stop it first, or start another one with MIE_DATA_DIR set to another folder (and other MIE_*_PORT values).`,
        );
      }
      // A stale lock: its emulator is gone, but its runtime may not be (killed with SIGKILL, the
      // runtime survives its parent): end it before another runtime opens the same files.
      endRuntimes(holder.runtimePids ?? []);
      rmSync(lockFile, { force: true });
    }
  }
  throw new StartupError(`Could not take the lock ${lockFile}; remove it if no emulator is running.`);
}

/** The workerd processes that are children of this process (Linux /proc; elsewhere none are found). */
function childRuntimes(): number[] {
  if (!existsSync("/proc")) return [];
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      if (/^Name:\s+workerd$/m.test(status) && new RegExp(`^PPid:\\s+${process.pid}$`, "m").test(status)) pids.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

/** Ends the runtimes a stale lock names, if they are still workerd processes (a pid may have been reused). */
function endRuntimes(pids: number[]): void {
  for (const pid of pids) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("workerd")) continue;
      process.kill(pid, "SIGKILL");
    } catch {
      continue;
    }
    // Until it is gone: its files must be closed before the new runtime opens them.
    const deadline = Date.now() + 5_000;
    while (existsSync(`/proc/${pid}`) && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
}

/**
 * A watchdog for the runtime: a small detached shell that ends the runtime as soon as this
 * process is gone without stopping it (SIGKILL, a crash). Stopped with the stack, so it never
 * outlives the runtime it watches (a later process could reuse the pid).
 */
function tetherRuntimes(pids: number[]): { stop(): void } {
  if (pids.length === 0 || process.platform === "win32") return { stop() {} };
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 0.5; done; kill -9 ${pids.join(" ")} 2>/dev/null`;
  const watchdog = spawn("sh", ["-c", script], { detached: true, stdio: "ignore" });
  watchdog.on("error", () => undefined);
  watchdog.unref();
  return {
    stop() {
      try {
        if (watchdog.pid) process.kill(watchdog.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    },
  };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Every public port must be free before the runtime starts: name the address and its knob if not. */
async function requireFreePorts(options: StackOptions): Promise<void> {
  for (const [key, port] of Object.entries(options.ports) as [keyof StackOptions["ports"], number][]) {
    const problem = await new Promise<string | null>((resolvePromise) => {
      const server = createNetServer();
      server.once("error", (err: NodeJS.ErrnoException) => resolvePromise(err.code ?? err.message));
      server.listen(port, options.host, () => server.close(() => resolvePromise(null)));
    });
    if (!problem) continue;
    const address = `${urlHost(options.host)}:${port}`;
    if (problem === "EADDRINUSE") {
      throw new StartupError(`${address} is already in use (${PORT_KNOBS[key]}). Stop what listens there, or set ${PORT_KNOBS[key]} to a free port.`, "EADDRINUSE");
    }
    if (problem === "EADDRNOTAVAIL") throw new StartupError(`${options.host} is not an address of this machine (MIE_HOST).`);
    if (problem === "EACCES") throw new StartupError(`${address} needs privileges to bind (${PORT_KNOBS[key]}); choose a port above 1023.`);
    throw new StartupError(`${address} cannot be bound (${problem}; ${PORT_KNOBS[key]}).`);
  }
}

/**
 * Asks `url` until it answers `expectedStatus`. Each attempt is its own connection, closed with
 * its answer (`agent: false`: Connection: close), so a probe leaves no kept-alive socket behind
 * for the fronts to wait on when the stack stops.
 */
async function probe(url: string, ca: string, expectedStatus: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  let lastError = "";
  while (Date.now() < deadline) {
    try {
      const status = await new Promise<number>((resolvePromise, reject) => {
        const request = (url.startsWith("https:") ? httpsRequest : httpRequest)(url, { ca, timeout: 10_000, agent: false }, (res) => {
          res.resume();
          res.on("end", () => resolvePromise(res.statusCode ?? 0));
        });
        request.on("error", reject);
        request.on("timeout", () => request.destroy(new Error("timeout")));
        request.end();
      });
      if (status === expectedStatus) return;
      lastError = `status ${status}`;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer as expected: ${lastError}`);
}

/** Same derivation as shared/seed.ts, so endpoints.json names the admin's object id. */
export async function adminObjectId(tenantId: string, clientId: string): Promise<string> {
  const { createHash } = await import("node:crypto");
  const digest = createHash("sha256").update(["mie-admin-object-id", tenantId, clientId].join("\u0000").toLowerCase()).digest().subarray(0, 16);
  digest[6] = (digest[6]! & 0x0f) | 0x50;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  const h = digest.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
