// Code "running inside a VM": a fresh process whose only link to its identity is
// AZURE_POD_IDENTITY_AUTHORITY_HOST (msal-node picks its managed-identity source once per
// process, so each VM gets its own process, as each real VM is its own machine).
// argv: <client> <scope> [clientId]; prints one JSON line.
// argv: keyvault-get <vaultUrl> <secretName>: reads a secret with @azure/keyvault-secrets'
// SecretClient and the VM's ManagedIdentityCredential, challenge round trip included.
import { DefaultAzureCredential, ManagedIdentityCredential } from "@azure/identity";
import { ManagedIdentityApplication } from "@azure/msal-node";

const [client, scope, clientId] = process.argv.slice(2);
try {
  let result;
  if (client === "managed-identity-credential") {
    const credential = clientId ? new ManagedIdentityCredential(clientId) : new ManagedIdentityCredential();
    const token = await credential.getToken(scope);
    result = { token: token.token, expiresOnTimestamp: token.expiresOnTimestamp };
  } else if (client === "default-azure-credential") {
    const token = await new DefaultAzureCredential().getToken(scope);
    result = { token: token.token, expiresOnTimestamp: token.expiresOnTimestamp };
  } else if (client === "msal-node") {
    const app = new ManagedIdentityApplication(clientId ? { managedIdentityIdParams: { userAssignedClientId: clientId } } : {});
    const token = await app.acquireToken({ resource: scope.replace(/\/\.default$/, "") });
    result = { token: token.accessToken, expiresOnTimestamp: token.expiresOn?.getTime() };
  } else if (client === "keyvault-get") {
    const { SecretClient } = await import("@azure/keyvault-secrets");
    // The challenge names https://vault.azure.net; local vault URLs are not *.vault.azure.net.
    const secrets = new SecretClient(scope, new ManagedIdentityCredential(), { disableChallengeResourceVerification: true });
    const secret = await secrets.getSecret(clientId);
    result = { value: secret.value, id: secret.properties.id, version: secret.properties.version };
  } else {
    throw new Error(`unknown client ${client}`);
  }
  console.log(JSON.stringify(result));
} catch (err) {
  console.log(JSON.stringify({ error: err?.message ?? String(err), name: err?.name, statusCode: err?.statusCode, code: err?.code }));
}
