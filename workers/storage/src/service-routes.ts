// Account-level operations (path /{account}/ or the host's root):
//   GET  ?comp=list                              List Containers      containers/read (action, blob service scope)
//   GET  ?restype=service&comp=properties        Get Service Properties  blobServices/read (action)
//   GET|HEAD ?restype=account&comp=properties    Get Account Information (any level; authenticated callers)
import { StorageErrors } from "../../../shared/errors/storage";
import { includeSet, maxResults, respond, unwrap, xmlResponse, type StorageRequest } from "./context";
import { listContainersXml, servicePropertiesXml } from "./xml";
import { Actions, authorize, blobServiceScope } from "./permissions";

export async function listContainers(req: StorageRequest): Promise<Response> {
  const prefix = req.query.get("prefix") ?? "";
  const marker = req.query.get("marker");
  const max = maxResults(req);
  const include = includeSet(req, ["metadata", "deleted", "system"]);
  await authorize(req, { kind: "action", name: Actions.containerRead, scope: blobServiceScope(req.account) });
  const page = unwrap(await req.object.listContainers(prefix, marker || null, max.effective));
  const xml = listContainersXml(
    `${req.accountBase}/`,
    { prefix: req.query.get("prefix"), marker: marker || null, maxResults: max.requested, includeMetadata: include.has("metadata") },
    page.items,
    page.nextMarker,
  );
  return xmlResponse(xml);
}

export async function getServiceProperties(req: StorageRequest): Promise<Response> {
  await authorize(req, { kind: "action", name: Actions.serviceRead, scope: blobServiceScope(req.account) });
  return xmlResponse(servicePropertiesXml());
}

/**
 * Get Account Information: the SDKs call it from any client. The account configuration carries
 * no SKU or kind, so the answer is the defaults `az storage account create` makes
 * (Standard_RAGRS, StorageV2); no hierarchical namespace.
 */
export async function getAccountInformation(req: StorageRequest): Promise<Response> {
  if (req.caller.kind === "anonymous") throw StorageErrors.noAuthentication();
  return respond(200, { "x-ms-sku-name": "Standard_RAGRS", "x-ms-account-kind": "StorageV2", "x-ms-is-hns-enabled": "false" });
}
