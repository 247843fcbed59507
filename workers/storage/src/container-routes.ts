// Container operations (?restype=container on /{account}/{container}):
//   PUT                     Create Container          containers/write (action)
//   GET|HEAD                Get Container Properties  containers/read (action); anonymous: Container access
//   DELETE                  Delete Container (202)    containers/delete (action)
//   PUT  &comp=metadata     Set Container Metadata    containers/write (action)
//   GET|HEAD &comp=metadata Get Container Metadata    containers/read (action); anonymous: Container access
//   GET  &comp=list         List Blobs                blobs/read (data action); anonymous: Container access
//   comp=acl / comp=lease   not emulated (501 NotImplemented)
import { StorageErrors } from "../../../shared/errors/storage";
import { conditionHeaders } from "./conditions";
import { containerHeaders, header, includeSet, maxResults, refuseLeaseId, respond, unwrap, xmlResponse, type StorageRequest } from "./context";
import { publicAccessFromHeader, publicAccessHeader } from "./model";
import { metadataHeaders, readMetadata, requireContainerName } from "./names";
import { Actions, DataActions, authorize, containerScope } from "./permissions";
import { listBlobsXml } from "./xml";

const LIST_BLOBS_INCLUDE = [
  "metadata", "snapshots", "uncommittedblobs", "copy", "deleted", "tags", "versions", "deletedwithversions",
  "immutabilitypolicy", "legalhold", "permissions",
] as const;

function containerName(req: StorageRequest): string {
  const name = req.container!;
  requireContainerName(name);
  return name;
}

export async function handleContainer(req: StorageRequest): Promise<Response> {
  const comp = req.query.get("comp");
  const name = containerName(req);
  switch (comp) {
    case null:
      if (req.method === "PUT") return createContainer(req, name);
      if (req.method === "GET" || req.method === "HEAD") return containerProperties(req, name);
      if (req.method === "DELETE") return deleteContainer(req, name);
      break;
    case "metadata":
      if (req.method === "PUT") return setContainerMetadata(req, name);
      if (req.method === "GET" || req.method === "HEAD") return containerProperties(req, name);
      break;
    case "list":
      if (req.method === "GET") return listBlobs(req, name);
      break;
    case "acl":
      throw StorageErrors.notImplemented("container access policies (comp=acl)");
    case "lease":
      throw StorageErrors.notImplemented("container leases (comp=lease)");
    default:
      throw StorageErrors.invalidQueryParameterValue("comp", comp);
  }
  throw StorageErrors.unsupportedHttpVerb(req.method);
}

async function createContainer(req: StorageRequest, name: string): Promise<Response> {
  const metadata = readMetadata(req.raw.headers);
  const accessHeader = header(req, "x-ms-blob-public-access");
  const publicAccess = publicAccessFromHeader(accessHeader);
  if (!publicAccess) throw StorageErrors.invalidHeaderValue("x-ms-blob-public-access", accessHeader ?? "");
  await authorize(req, { kind: "action", name: Actions.containerWrite, scope: containerScope(req.account, name) });
  const record = unwrap(await req.object.createContainer(name, publicAccess, metadata));
  return respond(201, containerHeaders(record));
}

async function containerProperties(req: StorageRequest, name: string): Promise<Response> {
  const record = await req.object.getContainer(name);
  await authorize(req, { kind: "action", name: Actions.containerRead, scope: containerScope(req.account, name) }, "container", record);
  if (!record) throw StorageErrors.containerNotFound();
  const access = publicAccessHeader(record.publicAccess);
  return respond(200, {
    ...containerHeaders(record),
    ...metadataHeaders(record.metadata),
    "x-ms-lease-status": "unlocked",
    "x-ms-lease-state": "available",
    "x-ms-has-immutability-policy": "false",
    "x-ms-has-legal-hold": "false",
    "x-ms-default-encryption-scope": "$account-encryption-key",
    "x-ms-deny-encryption-scope-override": "false",
    "x-ms-blob-public-access": access,
  });
}

async function deleteContainer(req: StorageRequest, name: string): Promise<Response> {
  refuseLeaseId(req, "container");
  const conditions = conditionHeaders(req.raw.headers);
  await authorize(req, { kind: "action", name: Actions.containerDelete, scope: containerScope(req.account, name) });
  unwrap(await req.object.deleteContainer(name, conditions));
  return respond(202);
}

async function setContainerMetadata(req: StorageRequest, name: string): Promise<Response> {
  refuseLeaseId(req, "container");
  const metadata = readMetadata(req.raw.headers);
  const conditions = conditionHeaders(req.raw.headers);
  await authorize(req, { kind: "action", name: Actions.containerWrite, scope: containerScope(req.account, name) });
  const record = unwrap(await req.object.setContainerMetadata(name, metadata, conditions));
  return respond(200, containerHeaders(record));
}

async function listBlobs(req: StorageRequest, name: string): Promise<Response> {
  const prefix = req.query.get("prefix") ?? "";
  const delimiter = req.query.get("delimiter") || null;
  const marker = req.query.get("marker") || null;
  const max = maxResults(req);
  const include = includeSet(req, LIST_BLOBS_INCLUDE);
  const record = await req.object.getContainer(name);
  await authorize(req, { kind: "dataAction", names: [DataActions.blobRead], scope: containerScope(req.account, name) }, "container", record);
  if (!record) throw StorageErrors.containerNotFound();
  const page = unwrap(await req.object.listBlobs(name, prefix, delimiter, marker, max.effective));
  const xml = listBlobsXml(
    `${req.accountBase}/`,
    name,
    { prefix: req.query.get("prefix"), marker, maxResults: max.requested, delimiter, includeMetadata: include.has("metadata") },
    page.items,
    page.nextMarker,
  );
  return xmlResponse(xml);
}
