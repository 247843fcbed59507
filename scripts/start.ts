// `npm start`: the whole emulator on this machine until interrupted (see README).
import { optionsFromEnv, startStack } from "./stack.ts";

const started = Date.now();
const options = optionsFromEnv();
const stack = await startStack({ ...options, log: (line) => console.log(`  [workerd] ${line}`) });
const e = stack.endpoints;
console.log(`
Managed Identity Emulator is ready (${Date.now() - started} ms)

  Resource Manager   ${e.arm}
  Azure AD (login)   ${e.login}
  Microsoft Graph    ${e.graph}
  IMDS               ${e.imds}   (each VM: POST {arm}{vmId}/listImdsEndpoint)
  Key Vault          ${e.keyVault ?? "(not served)"}   (each vault: its properties.vaultUri)
  Tenant             ${e.tenantId}
  Subscription       ${e.subscriptionId}
  Admin client id    ${e.admin.clientId}   (Owner on the subscription)
  Admin secret       ${e.admin.clientSecret}
  CA certificate     ${e.caCertificate}

  export NODE_EXTRA_CA_CERTS=${e.caCertificate}
  Facts for scripts: ${options.dataDir}/endpoints.json
`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await stack.stop();
    process.exit(0);
  });
}
