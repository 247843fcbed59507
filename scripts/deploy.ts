// `npm run deploy [-- <wrangler deploy args>]`: deploys every worker under workers/ to Cloudflare.
//
// For each worker, its own wrangler.toml merged over the top-level one (the same merge `npm start`
// uses, scripts/stack.ts) is written to dist/<folder>/wrangler.json, and
// `wrangler deploy --config dist/<folder>/wrangler.json <args>` is run with it. Workers are deployed
// after the workers they bind to (aad, imds, arm). Secrets are never written: ADMIN_CLIENT_SECRET
// is set once with `wrangler secret put` (a hint is printed).
//
//   npm run deploy -- --dry-run     build and validate only (no account, no network); the bundle
//                                   of each worker goes to dist/<folder>/out
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, sep } from "node:path";
import { ROOT, loadWorkerConfigs, wranglerJson, type WorkerConfig } from "./stack.ts";

function posix(path: string): string {
  return path.split(sep).join("/");
}

/** The folder of a worker's generated config, relative to the repository root. */
function outFolder(worker: WorkerConfig): string {
  return posix(join("dist", worker.folder));
}

/** The merged wrangler config of one worker, as deployed (never with a secret in it). */
function deployConfig(worker: WorkerConfig, withoutServices: string[] = []): Record<string, unknown> {
  return wranglerJson(worker, join(ROOT, "dist", worker.folder), { withoutServices });
}

interface DeployStep {
  worker: WorkerConfig;
  /** Service bindings left out of this step: they close a cycle and are added by a later step. */
  withoutServices: string[];
  /** The file this step deploys (a bootstrap step gets its own). */
  configFile: string;
}

/**
 * Workers ordered so that every worker comes after the workers it binds to (ties: by folder).
 * A cycle (Resource Manager and Key Vault bind to each other) is broken the way Cloudflare
 * allows: the first worker of the cycle is deployed without the bindings to workers that do
 * not exist yet, and deployed again with all of them at the end.
 */
function deployPlan(workers: WorkerConfig[]): DeployStep[] {
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
    const folder = outFolder(worker);
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

function run(command: string, args: string[]): Promise<number> {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: "inherit" });
    child.on("error", (err) => {
      console.error(`${command}: ${err.message}`);
      resolvePromise(127);
    });
    child.on("exit", (code, signal) => resolvePromise(code ?? (signal ? 128 : 1)));
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const dryRun = args.includes("--dry-run");
  const userOutdir = args.some((a) => a === "--outdir" || a.startsWith("--outdir="));
  if (args.some((a) => a === "--config" || a === "-c" || a.startsWith("--config="))) {
    console.error("deploy: --config is chosen per worker by this script; do not pass it");
    return 2;
  }

  const workers = loadWorkerConfigs();
  if (workers.length === 0) {
    console.error("deploy: no workers found under workers/");
    return 1;
  }
  const plan = deployPlan(workers);
  for (const step of plan) {
    mkdirSync(join(ROOT, outFolder(step.worker)), { recursive: true });
    writeFileSync(join(ROOT, step.configFile), JSON.stringify(deployConfig(step.worker, step.withoutServices), null, 2) + "\n");
  }
  console.log(`deploy: wrote ${plan.map((s) => s.configFile).join(", ")}`);
  console.log(
    `deploy: order ${plan.map((s) => (s.withoutServices.length ? `${s.worker.name} (without ${s.withoutServices.join(", ")})` : s.worker.name)).join(" -> ")}${dryRun ? " (dry run)" : ""}\n`,
  );

  const results: { name: string; code: number }[] = [];
  for (const { worker, configFile } of plan) {
    const folder = outFolder(worker);
    const wranglerArgs = ["wrangler", "deploy", "--config", configFile, ...args];
    // Absolute: wrangler resolves a relative --outdir against the config file's folder.
    if (dryRun && !userOutdir) wranglerArgs.push("--outdir", join(ROOT, folder, "out"));
    console.log(`\n=== ${worker.name}: npx ${wranglerArgs.join(" ")}`);
    const code = await run("npx", wranglerArgs);
    results.push({ name: worker.name, code });
    if (code !== 0) console.error(`=== ${worker.name}: wrangler exited with ${code}`);
  }

  console.log("\ndeploy summary:");
  for (const r of results) console.log(`  ${r.name.padEnd(12)} ${r.code === 0 ? (dryRun ? "ok (dry run)" : "deployed") : `FAILED (exit ${r.code})`}`);

  const authority = workers.find((w) => w.folder === "aad");
  if (authority) {
    console.log(
      `\nThe admin's client secret is a secret, not a var, and is not in any config file. Set it once with:\n` +
        `  npx wrangler secret put ADMIN_CLIENT_SECRET --name ${authority.name}`,
    );
  }
  return results.every((r) => r.code === 0) ? 0 : 1;
}

process.exitCode = await main();
