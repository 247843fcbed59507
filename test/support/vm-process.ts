import { execFile } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "../../scripts/stack.ts";

export type VmClient = "managed-identity-credential" | "default-azure-credential" | "msal-node";

/** What a hosted process prints: a token, a value read with one, or the error. */
export interface HostedResult {
  token?: string;
  expiresOnTimestamp?: number;
  value?: string;
  error?: string;
  name?: string;
  statusCode?: number;
  code?: string;
}

/** Runs an unmodified SDK client "inside" the VM whose IMDS base is `endpoint`. */
export function tokenFromVm(
  endpoint: string,
  client: VmClient,
  scope: string,
  options: { clientId?: string; env?: Record<string, string> } = {},
): Promise<HostedResult> {
  return runHosted({ AZURE_POD_IDENTITY_AUTHORITY_HOST: endpoint, ...options.env }, client, scope, options.clientId);
}

/** The environment App Service gives a site's code: what listIdentityEndpoint returns. */
export interface SiteEnvironment {
  IDENTITY_ENDPOINT: string;
  IDENTITY_HEADER: string;
  MSI_ENDPOINT: string;
  MSI_SECRET: string;
}

/** Runs an unmodified SDK client "inside" an App Service site with `siteEnv` (and optional extra variables). */
export function runInSite(
  siteEnv: SiteEnvironment,
  client: VmClient | "blob-get",
  scope: string,
  options: { clientId?: string; env?: Record<string, string> } = {},
): Promise<HostedResult> {
  return runHosted({ ...siteEnv, ...options.env }, client, scope, options.clientId);
}

/** A fresh process with exactly the identity variables given (none inherited from the test's own environment). */
function runHosted(vars: Record<string, string>, client: string, scope: string, argument?: string): Promise<HostedResult> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const k of [
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "IDENTITY_SERVER_THUMBPRINT",
    "MSI_ENDPOINT",
    "MSI_SECRET",
  ]) {
    delete env[k];
  }
  Object.assign(env, vars);
  const args = [join(ROOT, "test/support/hosted-code.mjs"), client, scope, ...(argument ? [argument] : [])];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { env, cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      const line = stdout.trim().split("\n").pop();
      if (!line) return reject(new Error(`no output from the hosted process: ${err?.message ?? ""} ${stderr}`));
      resolve(JSON.parse(line));
    });
  });
}
