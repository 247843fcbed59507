// `npm run deploy [-- <wrangler deploy args>]`: deploys every worker under workers/ to Cloudflare,
// wired to each other's public URLs, in one run that stops at the first failure.
//
//   npm run deploy                            workers.dev: each worker at https://{name}.{subdomain}.workers.dev
//                                             (the account's subdomain is read from the first deploy's output,
//                                             or given with MIE_WORKERS_DEV_SUBDOMAIN)
//   MIE_DEPLOY_DOMAIN=mie.example.com npm run deploy
//                                             a custom domain (a zone on the account): arm., login., graph.,
//                                             imds., vault. (and *.vault.), storage. (and *.blob.), console.
//   npm run deploy -- --dry-run               build and validate only: no account, no network; each
//                                             worker's upload goes to dist/<folder>/out
//
// Every worker is bundled by bundleWorker (scripts/stack.ts), the bundler the local server uses,
// and uploaded as it is (`no_bundle`): the edge runs the bytes `npm start` runs. Each worker's own
// wrangler.toml merged over the top-level one is written to dist/<folder>/wrangler.json with the
// public URL vars of the chosen addressing. The admin's secret is a Worker secret (never in a
// file): MIE_ADMIN_CLIENT_SECRET if given (the well-known local one is refused), the secret already
// set by an earlier deploy, or a new random one printed once.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULTS, ROOT, bundleWorker, loadWorkerConfigs, wranglerJson, type WorkerConfig } from "./stack.ts";
import { DeployStopped, PUBLIC, SECRET_HOLDERS, addressingFromEnv, addressingVars, deployPlan, routes } from "./deploy-plan.ts";

/** Runs a command, echoing its output, and returns its exit code and what it printed. */
function run(command: string, args: string[], input?: string): Promise<{ code: number; output: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: [input === undefined ? "inherit" : "pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      process.stderr.write(chunk);
    });
    if (input !== undefined) child.stdin!.end(input);
    child.on("error", (err) => resolvePromise({ code: 127, output: err.message }));
    child.on("exit", (code, signal) => resolvePromise({ code: code ?? (signal ? 128 : 1), output }));
  });
}

const wrangler = (args: string[], input?: string) => run(process.execPath, [join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js"), ...args], input);

const ACCESS_HELP =
  "It needs a Cloudflare account: run `npx wrangler login` once, or set CLOUDFLARE_API_TOKEN (and CLOUDFLARE_ACCOUNT_ID) to a token with Workers Scripts: Edit and, for MIE_DEPLOY_DOMAIN, Workers Routes: Edit and DNS: Edit on the zone. Durable Objects on SQLite are available on the Workers Free plan.";

/** MIE_ADMIN_CLIENT_SECRET, checked before anything is done: the well-known local one is refused. */
function givenSecret(env: NodeJS.ProcessEnv): string | undefined {
  const given = env.MIE_ADMIN_CLIENT_SECRET;
  if (given === undefined) return undefined;
  if (given === DEFAULTS.adminClientSecret) {
    throw new DeployStopped("MIE_ADMIN_CLIENT_SECRET is the well-known local secret, which anyone can read in the README: choose another (at least 32 characters), or unset it and a random one is generated.");
  }
  if (given.length < 32) throw new DeployStopped("MIE_ADMIN_CLIENT_SECRET is shorter than 32 characters: the admin is Owner of the subscription, choose a long random secret.");
  return given;
}

async function adminSecret(env: NodeJS.ProcessEnv, authority: WorkerConfig): Promise<{ value: string; generated: boolean } | null> {
  const given = givenSecret(env);
  if (given !== undefined) return { value: given, generated: false };
  const listed = await wrangler(["secret", "list", "--name", authority.name, "--format", "json"]);
  if (listed.code === 0 && /"ADMIN_CLIENT_SECRET"/.test(listed.output)) return null;
  return { value: randomBytes(32).toString("base64url"), generated: true };
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const dryRun = args.includes("--dry-run");
  const userOutdir = args.some((a) => a === "--outdir" || a.startsWith("--outdir="));
  if (args.some((a) => a === "--config" || a === "-c" || a.startsWith("--config="))) {
    throw new DeployStopped("--config is chosen per worker by this script; do not pass it.");
  }
  const addressing = addressingFromEnv(process.env);
  givenSecret(process.env);
  const workers = loadWorkerConfigs();
  if (workers.length === 0) throw new DeployStopped("no workers found under workers/.");
  const authority = workers.find((w) => w.folder === "aad");

  if (!dryRun) {
    console.log("deploy: checking account access (npx wrangler whoami)");
    const whoami = await wrangler(["whoami"]);
    if (whoami.code !== 0 || /not authenticated|not logged in/i.test(whoami.output)) throw new DeployStopped(`wrangler is not signed in to Cloudflare. ${ACCESS_HELP}`);
  }
  const secret = dryRun || !authority ? null : await adminSecret(process.env, authority);
  if (!dryRun) {
    // The R2 buckets the workers bind (Blob Storage's bytes): created when missing.
    for (const bucket of new Set(workers.flatMap((w) => (w.r2_buckets ?? []).map((b) => b.bucket_name)))) {
      console.log(`deploy: R2 bucket ${bucket}`);
      const created = await wrangler(["r2", "bucket", "create", bucket]);
      if (created.code !== 0 && !/already exists|already own|10004/i.test(created.output)) {
        throw new DeployStopped(`creating the R2 bucket ${bucket} failed (wrangler exited with ${created.code}; its message is above). R2 must be enabled on the account (Dashboard → R2).`);
      }
    }
  }

  console.log(`deploy: bundling ${workers.length} workers (the local server's bundler)`);
  const bundles = new Map(await Promise.all(workers.map(async (w) => [w.name, await bundleWorker(w)] as const)));
  const plan = deployPlan(workers);
  const writeConfigs = () => {
    const vars = addressingVars(addressing, workers);
    for (const step of plan) {
      mkdirSync(join(ROOT, "dist", step.worker.folder), { recursive: true });
      const config = {
        ...wranglerJson(step.worker, join(ROOT, "dist", step.worker.folder), { withoutServices: step.withoutServices, vars, bundle: bundles.get(step.worker.name)! }),
        ...routes(addressing, step.worker),
      };
      writeFileSync(join(ROOT, step.configFile), JSON.stringify(config, null, 2) + "\n");
    }
  };
  writeConfigs();
  console.log(`deploy: order ${plan.map((s) => (s.withoutServices.length ? `${s.worker.name} (without ${s.withoutServices.join(", ")})` : s.worker.name)).join(" -> ")}${dryRun ? " (dry run)" : ""}`);

  // On workers.dev the account's subdomain is known once a worker is deployed: the first step
  // deploys, its output names the subdomain, every config is rewritten with the URLs, and the
  // first worker is deployed again at the end with its own.
  const steps = [...plan];
  if (addressing.kind === "workers.dev" && !addressing.subdomain && !dryRun) steps.push(plan[0]!);

  for (const [index, { worker, configFile }] of steps.entries()) {
    const wranglerArgs = ["deploy", "--config", configFile, ...args];
    // Absolute: wrangler resolves a relative --outdir against the config file's folder.
    if (dryRun && !userOutdir) wranglerArgs.push("--outdir", join(ROOT, "dist", worker.folder, "out"));
    console.log(`\n=== ${worker.name} (${index + 1}/${steps.length}): wrangler ${wranglerArgs.join(" ")}`);
    const { code, output } = await wrangler(wranglerArgs);
    if (code !== 0) {
      const stopped = steps.slice(index + 1).map((s) => s.worker.name);
      throw new DeployStopped(
        `${worker.name} failed (wrangler exited with ${code}; its message is above).${stopped.length ? ` Not deployed: ${[...new Set(stopped)].join(", ")}.` : ""} Running npm run deploy again is safe: it deploys every worker again.${/auth|login|token|403/i.test(output) ? ` ${ACCESS_HELP}` : ""}`,
      );
    }
    if (addressing.kind === "workers.dev" && !addressing.subdomain && !dryRun) {
      const found = new RegExp(`https://${worker.name}\\.([a-z0-9-]+)\\.workers\\.dev`, "i").exec(output);
      if (!found) throw new DeployStopped(`wrangler did not print ${worker.name}'s workers.dev URL, so the account's subdomain is unknown: set MIE_WORKERS_DEV_SUBDOMAIN (Workers & Pages → your subdomain) and run again.`);
      addressing.subdomain = found[1]!.toLowerCase();
      writeConfigs();
      console.log(`deploy: the account's workers.dev subdomain is ${addressing.subdomain}; configs rewritten with every worker's URL`);
    }
  }

  if (secret) {
    for (const folder of SECRET_HOLDERS) {
      const holder = workers.find((w) => w.folder === folder);
      if (!holder) continue;
      console.log(`\n=== ${holder.name}: wrangler secret put ADMIN_CLIENT_SECRET`);
      const put = await wrangler(["secret", "put", "ADMIN_CLIENT_SECRET", "--name", holder.name], secret.value);
      if (put.code !== 0) throw new DeployStopped(`setting ADMIN_CLIENT_SECRET on ${holder.name} failed (wrangler exited with ${put.code}).`);
    }
  }

  const vars = addressingVars(addressing, workers);
  console.log(`\ndeploy: ${dryRun ? "every worker built and validated (dry run; nothing was uploaded)" : "every worker deployed"}`);
  for (const worker of workers) {
    const own = PUBLIC[worker.folder];
    if (own) console.log(`  ${worker.name.padEnd(12)} ${vars[own.urlVar]}`);
  }
  if (authority) {
    console.log(`\n  tenant ${authority.vars?.TENANT_ID}, subscription ${authority.vars?.SUBSCRIPTION_ID}, admin client id ${authority.vars?.ADMIN_CLIENT_ID}`);
  }
  if (secret?.generated) {
    console.log(`\n  The admin's client secret (generated now, shown this once; it is also the console's sign-in):\n    ${secret.value}`);
  } else if (!dryRun && !secret) {
    console.log("\n  The admin's client secret is the one an earlier deploy set (MIE_ADMIN_CLIENT_SECRET replaces it).");
  } else if (dryRun) {
    console.log("\n  A real deploy sets the admin's client secret as a Worker secret (MIE_ADMIN_CLIENT_SECRET, or a random one printed once).");
  }
  return 0;
}

try {
  process.exitCode = await main();
} catch (err) {
  if (!(err instanceof DeployStopped)) throw err;
  console.error(`\ndeploy stopped: ${err.message}`);
  process.exitCode = 1;
}
