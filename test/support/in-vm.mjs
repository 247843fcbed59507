// Code "running inside a VM": a fresh process whose only link to its identity is
// AZURE_POD_IDENTITY_AUTHORITY_HOST (msal-node picks its managed-identity source once per
// process, so each VM gets its own process, as each real VM is its own machine).
// argv: <client> <scope> [clientId]; prints one JSON line.
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
  } else {
    throw new Error(`unknown client ${client}`);
  }
  console.log(JSON.stringify(result));
} catch (err) {
  console.log(JSON.stringify({ error: err?.message ?? String(err), name: err?.name }));
}
