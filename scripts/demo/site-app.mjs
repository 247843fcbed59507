// The application "running in the App Service site" in `npm run demo`. No credentials in the
// code: App Service gives the site's process IDENTITY_ENDPOINT and IDENTITY_HEADER (here: what
// Resource Manager's listIdentityEndpoint returned), and DefaultAzureCredential finds them.
// Prints one JSON line.
//   node site-app.mjs <blobServiceUrl> <container> <blob>
// AZURE_CLIENT_ID, when set, chooses a user-assigned identity (as on App Service).
import { DefaultAzureCredential } from "@azure/identity";
import { BlobServiceClient } from "@azure/storage-blob";

const [serviceUrl, container, blob] = process.argv.slice(2);
try {
  const service = new BlobServiceClient(serviceUrl, new DefaultAzureCredential());
  const content = await service.getContainerClient(container).getBlobClient(blob).downloadToBuffer();
  console.log(JSON.stringify({ ok: true, value: content.toString("utf8") }));
} catch (err) {
  // A HEAD's error has no body: Storage's code is in x-ms-error-code, which the SDK keeps in details.
  const code = err?.details?.errorCode ?? err?.code;
  console.log(JSON.stringify({ ok: false, error: String(err?.message || code || err).split(/\r?\n/)[0], status: err?.statusCode, code }));
}
