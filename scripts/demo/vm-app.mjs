// The application "running on the VM" in `npm run demo`. No credentials in the code: the only
// thing that ties it to its VM is AZURE_POD_IDENTITY_AUTHORITY_HOST, the VM's IMDS (inside Azure,
// http://169.254.169.254 needs no setting at all). Prints one JSON line.
//   node vm-app.mjs <vaultUrl> <secretName> [clientId of a user-assigned identity]
import { DefaultAzureCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";

const [vaultUrl, secretName, clientId] = process.argv.slice(2);
try {
  const credential = new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
  // The vault is not on *.vault.azure.net here, so the client must not insist on that host.
  const client = new SecretClient(vaultUrl, credential, { disableChallengeResourceVerification: true });
  const secret = await client.getSecret(secretName);
  console.log(JSON.stringify({ ok: true, value: secret.value, id: secret.properties.id }));
} catch (err) {
  console.log(JSON.stringify({ ok: false, error: String(err?.message ?? err).split(/\r?\n/)[0], status: err?.statusCode, code: err?.code }));
}
