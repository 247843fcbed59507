// Runs the real Azure CLI (Debian 13's azure-cli 2.74) and Debian's python3-azure from the root
// scripts/az/build-root.sh builds, through chroot: loopback is shared, so they reach the
// emulator the test started. Each test file gets its own folder in the root for the CA, az's
// config dir and scripts, and the host names it needs go into the root's /etc/hosts.
import { spawn } from "node:child_process";
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const AZ_ROOT = process.env.MIE_AZ_ROOT ?? "/var/cache/mie-az-root";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Fails loudly (never skips): the suite exists to run the real az. */
export function requireAzRoot(): void {
  if (!existsSync(join(AZ_ROOT, ".mie-ready"))) {
    throw new Error(`No az root at ${AZ_ROOT}: run scripts/az/build-root.sh (as root) first, or set MIE_AZ_ROOT.`);
  }
}

export class ChrootSession {
  /** The session's folder as seen inside the root. */
  readonly inside: string;
  private readonly outside: string;

  constructor(name: string, caCertificate: string) {
    requireAzRoot();
    this.inside = `/tmp/mie-${name}-${process.pid}`;
    this.outside = join(AZ_ROOT, this.inside);
    rmSync(this.outside, { recursive: true, force: true });
    mkdirSync(join(this.outside, "azure"), { recursive: true });
    copyFileSync(caCertificate, join(this.outside, "ca.pem"));
    // az's first command in a fresh config dir checks for updates on the internet; this file says
    // it just did (reference/azure-cli.md §6).
    const now = new Date().toISOString().replace("T", " ").replace("Z", "");
    writeFileSync(
      join(this.outside, "azure", "versionCheck.json"),
      JSON.stringify({ versions: { "azure-cli": { local: "2.74.0" }, core: { local: "2.74.0" }, telemetry: { local: "1.1.0" } }, update_time: now }),
    );
  }

  get caInside(): string {
    return `${this.inside}/ca.pem`;
  }

  /** Makes `names` resolve to 127.0.0.1 inside the root (what the README's hosts-file line does). */
  addHosts(names: string[]): void {
    const hosts = join(AZ_ROOT, "etc", "hosts");
    const current = existsSync(hosts) ? readFileSync(hosts, "utf8") : "127.0.0.1 localhost\n";
    const missing = names.filter((n) => !current.split("\n").some((line) => line.split(/\s+/).slice(1).includes(n)));
    if (missing.length) appendFileSync(hosts, `${current.endsWith("\n") ? "" : "\n"}127.0.0.1 ${missing.join(" ")}\n`);
  }

  writeFile(name: string, content: string): string {
    writeFileSync(join(this.outside, name), content);
    return `${this.inside}/${name}`;
  }

  /** The environment every az and python call gets, as the README tells users to set it. */
  baseEnv(): Record<string, string> {
    return {
      HOME: "/root",
      PATH: "/usr/local/bin:/usr/bin:/bin",
      LANG: "C.UTF-8",
      AZURE_CONFIG_DIR: `${this.inside}/azure`,
      REQUESTS_CA_BUNDLE: this.caInside,
      AZURE_CORE_INSTANCE_DISCOVERY: "false",
      AZURE_CORE_COLLECT_TELEMETRY: "false",
      AZURE_CORE_ERROR_RECOMMENDATION: "off",
      AZURE_EXTENSION_USE_DYNAMIC_INSTALL: "no",
      AZURE_CORE_NO_COLOR: "true",
      // Debian 13's az prints FutureWarnings from Python 3.13 on every command.
      PYTHONWARNINGS: "ignore",
    };
  }

  run(command: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<RunResult> {
    const vars = Object.entries({ ...this.baseEnv(), ...env }).map(([k, v]) => `${k}=${v}`);
    return new Promise((resolve, reject) => {
      const child = spawn("chroot", [AZ_ROOT, "env", "-i", ...vars, ...command], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });
  }

  /** `az …` with JSON output; throws with az's own words unless it exits 0. */
  async az(args: string[], env: Record<string, string> = {}): Promise<any> {
    const result = await this.azRaw(args, env);
    if (result.code !== 0) throw new Error(`az ${args.join(" ")} exited ${result.code}:\n${result.stderr}\n${result.stdout}`);
    const text = result.stdout.trim();
    return text ? JSON.parse(text) : undefined;
  }

  azRaw(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
    return this.run(["az", ...args, "--output", "json"], env);
  }

  /** A Python script run by the root's python3 (Debian's python3-azure). Returns its stdout parsed as JSON. */
  async python(script: string, env: Record<string, string> = {}): Promise<any> {
    const path = this.writeFile(`script-${Math.random().toString(36).slice(2)}.py`, script);
    const result = await this.run(["python3", path], env);
    if (result.code !== 0) throw new Error(`python exited ${result.code}:\n${result.stderr}\n${result.stdout}`);
    return JSON.parse(result.stdout.trim().split("\n").pop()!);
  }

  dispose(): void {
    rmSync(this.outside, { recursive: true, force: true });
  }
}
