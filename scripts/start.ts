// `npm start`: the whole emulator on this machine until interrupted (see README).
// `npm start -- --help` lists the knobs. Problems a person can fix (an invalid knob, a busy port,
// a data folder another emulator holds, an unusable CA) are one clear line each, never a stack.
import { helpText, knobErrors } from "./knobs.ts";
import { optionsFromEnv, startStack, StartupError } from "./stack.ts";

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  console.log(helpText());
  process.exit(0);
}
const unknown = process.argv.slice(2).filter((a) => a !== "--");
if (unknown.length) {
  console.error(`npm start takes no arguments (got ${unknown.join(" ")}); it is configured by MIE_* variables. See npm start -- --help.`);
  process.exit(2);
}
const invalid = knobErrors(process.env);
if (invalid.length) {
  for (const line of invalid) console.error(`invalid setting: ${line}`);
  process.exit(2);
}

const started = Date.now();
const options = optionsFromEnv();
console.log(`Managed Identity Emulator: starting (data in ${options.dataDir})`);
let stack;
try {
  stack = await startStack({
    ...options,
    log: (line) => console.log(`  [workerd] ${line}`),
    progress: (line) => console.log(`  … ${line}`),
  });
} catch (err) {
  if (err instanceof StartupError) {
    console.error(`cannot start: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
const e = stack.endpoints;
console.log(`
Managed Identity Emulator is ready (${Date.now() - started} ms)

  Resource Manager   ${e.arm}
  Azure AD (login)   ${e.login}
  Microsoft Graph    ${e.graph}
  IMDS               ${e.imds}   (each VM: POST {arm}{vmId}/listImdsEndpoint)
  Key Vault          ${e.keyVault ?? "(not served)"}   (each vault: its properties.vaultUri)
  Blob Storage       ${e.storage ?? "(not served)"}   (each account: its properties.primaryEndpoints.blob)
  Console            ${e.console ?? "(not served)"}   (open in a browser: the tenant and the token flow, live)
  Tenant             ${e.tenantId}
  Subscription       ${e.subscriptionId}
  Admin client id    ${e.admin.clientId}   (Owner on the subscription)
  Admin secret       ${e.admin.clientSecret}
  CA certificate     ${e.caCertificate}

  export NODE_EXTRA_CA_CERTS=${e.caCertificate}
  Facts for scripts: ${options.dataDir}/endpoints.json
  Health: GET {any endpoint}/emulator/health
  Control (admin token): POST {arm}/emulator/reset, GET|POST {arm}/emulator/clock, {arm}/emulator/faults
  Log: ${process.env.MIE_LOG ?? "info"} (MIE_LOG=off|info|debug)
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
