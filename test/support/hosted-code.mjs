// Code "running inside a VM or an App Service site": a fresh process whose only link to its
// identity is its environment — AZURE_POD_IDENTITY_AUTHORITY_HOST for a VM, the four variables
// listIdentityEndpoint returns for a site (msal-node picks its managed-identity source once per
// process, so each host gets its own process, as each real one is its own machine).
// argv: <client> <scope> [clientId]; prints one JSON line.
// argv: keyvault-get <vaultUrl> <secretName>: reads a secret with @azure/keyvault-secrets'
// SecretClient and the VM's ManagedIdentityCredential, challenge round trip included.
// argv: blob-get <blobServiceUrl> <container/blob>: downloads a blob with @azure/storage-blob's
// BlobServiceClient and DefaultAzureCredential, as the seed's App Service example does.
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
  } else if (client === "blob-get") {
    const { BlobServiceClient } = await import("@azure/storage-blob");
    const service = new BlobServiceClient(scope, new DefaultAzureCredential());
    const slash = clientId.indexOf("/");
    const blob = service.getContainerClient(clientId.slice(0, slash)).getBlobClient(clientId.slice(slash + 1));
    const content = (await blob.downloadToBuffer()).toString("utf8");
    result = { value: content };
  } else {
    throw new Error(`unknown client ${client}`);
  }
  console.log(JSON.stringify(result));
} catch (err) {
  console.log(JSON.stringify({ error: err?.message ?? String(err), name: err?.name, statusCode: err?.statusCode, code: err?.code }));
}
