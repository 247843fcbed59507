import { execFile } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "../../scripts/stack.ts";

export type VmClient = "managed-identity-credential" | "default-azure-credential" | "msal-node";

/** Runs an unmodified SDK client "inside" the VM whose IMDS base is `endpoint`. */
export function tokenFromVm(
  endpoint: string,
  client: VmClient,
  scope: string,
  options: { clientId?: string; env?: Record<string, string> } = {},
): Promise<{ token?: string; expiresOnTimestamp?: number; error?: string; name?: string }> {
  const env: Record<string, string | undefined> = { ...process.env, AZURE_POD_IDENTITY_AUTHORITY_HOST: endpoint, ...options.env };
  for (const k of ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_ENDPOINT", "MSI_ENDPOINT"]) {
    if (!options.env?.[k]) delete env[k];
  }
  const args = [join(ROOT, "test/support/in-vm.mjs"), client, scope, ...(options.clientId ? [options.clientId] : [])];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { env, cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      const line = stdout.trim().split("\n").pop();
      if (!line) return reject(new Error(`no output from VM process: ${err?.message ?? ""} ${stderr}`));
      resolve(JSON.parse(line));
    });
  });
}
