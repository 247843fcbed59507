// The Blob service's XML: list answers (EnumerationResults), block lists both ways, the service
// properties, as the SDKs parse them. Etags are unquoted inside XML (quoted in headers); list
// answers always carry <Blobs>/<Containers>, even empty (the JS SDK reads .blobItems of it).
// The one XML the service reads is a Put Block List body, parsed strictly here. Pure.
import { StorageErrors, escapeXml } from "../../../shared/errors/storage";
import { httpDate, publicAccessHeader, type BlobListEntry, type BlobRecord, type CommittedBlock, type ContainerRecord, type UncommittedBlock } from "./model";

const PROLOG = '<?xml version="1.0" encoding="utf-8"?>';

function element(name: string, value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === "") return `<${name} />`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

function metadataXml(metadata: Record<string, string>): string {
  const entries = Object.entries(metadata);
  if (!entries.length) return "<Metadata />";
  return `<Metadata>${entries.map(([k, v]) => element(k, v)).join("")}</Metadata>`;
}

export interface ListingParameters {
  prefix: string | null;
  marker: string | null;
  /** As requested (echoed only when given). */
  maxResults: number | null;
  delimiter?: string | null;
  includeMetadata: boolean;
}

export function listContainersXml(serviceEndpoint: string, p: ListingParameters, containers: ContainerRecord[], nextMarker: string): string {
  const items = containers
    .map((c) => {
      const access = publicAccessHeader(c.publicAccess);
      return (
        `<Container>${element("Name", c.name)}<Properties>` +
        element("Last-Modified", httpDate(c.lastModifiedMs)) +
        element("Etag", `"${c.etag}"`) +
        "<LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState>" +
        (access ? element("PublicAccess", access) : "") +
        "<DefaultEncryptionScope>$account-encryption-key</DefaultEncryptionScope><DenyEncryptionScopeOverride>false</DenyEncryptionScopeOverride>" +
        "<HasImmutabilityPolicy>false</HasImmutabilityPolicy><HasLegalHold>false</HasLegalHold>" +
        `</Properties>${p.includeMetadata ? metadataXml(c.metadata) : ""}</Container>`
      );
    })
    .join("");
  return (
    `${PROLOG}<EnumerationResults ServiceEndpoint="${escapeXml(serviceEndpoint)}">` +
    (p.prefix !== null ? element("Prefix", p.prefix) : "") +
    (p.marker !== null ? element("Marker", p.marker) : "") +
    (p.maxResults !== null ? element("MaxResults", p.maxResults) : "") +
    (items ? `<Containers>${items}</Containers>` : "<Containers />") +
    element("NextMarker", nextMarker) +
    "</EnumerationResults>"
  );
}

export function blobPropertiesXml(b: BlobRecord): string {
  return (
    "<Properties>" +
    element("Creation-Time", httpDate(b.createdMs)) +
    element("Last-Modified", httpDate(b.lastModifiedMs)) +
    element("Etag", b.etag) +
    element("Content-Length", b.size) +
    element("Content-Type", b.contentType) +
    element("Content-Encoding", b.contentEncoding) +
    element("Content-Language", b.contentLanguage) +
    element("Content-CRC64", null) +
    element("Content-MD5", b.contentMd5) +
    element("Cache-Control", b.cacheControl) +
    element("Content-Disposition", b.contentDisposition) +
    "<BlobType>BlockBlob</BlobType><AccessTier>Hot</AccessTier><AccessTierInferred>true</AccessTierInferred>" +
    "<LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState><ServerEncrypted>true</ServerEncrypted>" +
    "</Properties>"
  );
}

export function listBlobsXml(serviceEndpoint: string, container: string, p: ListingParameters, entries: BlobListEntry[], nextMarker: string): string {
  const items = entries
    .map((entry) =>
      entry.kind === "prefix"
        ? `<BlobPrefix>${element("Name", entry.name)}</BlobPrefix>`
        : `<Blob>${element("Name", entry.blob.name)}${blobPropertiesXml(entry.blob)}${p.includeMetadata ? metadataXml(entry.blob.metadata) : ""}</Blob>`,
    )
    .join("");
  return (
    `${PROLOG}<EnumerationResults ServiceEndpoint="${escapeXml(serviceEndpoint)}" ContainerName="${escapeXml(container)}">` +
    (p.prefix !== null ? element("Prefix", p.prefix) : "") +
    (p.marker !== null ? element("Marker", p.marker) : "") +
    (p.maxResults !== null ? element("MaxResults", p.maxResults) : "") +
    (p.delimiter ? element("Delimiter", p.delimiter) : "") +
    (items ? `<Blobs>${items}</Blobs>` : "<Blobs />") +
    element("NextMarker", nextMarker) +
    "</EnumerationResults>"
  );
}

export function blockListXml(committed: CommittedBlock[] | null, uncommitted: UncommittedBlock[] | null): string {
  const block = (b: { id: string; size: number }) => `<Block><Name>${escapeXml(b.id)}</Name><Size>${b.size}</Size></Block>`;
  const section = (name: string, blocks: { id: string; size: number }[] | null) =>
    blocks === null ? "" : blocks.length ? `<${name}>${blocks.map(block).join("")}</${name}>` : `<${name} />`;
  return `${PROLOG}<BlockList>${section("CommittedBlocks", committed)}${section("UncommittedBlocks", uncommitted)}</BlockList>`;
}

export type BlockListKind = "Latest" | "Committed" | "Uncommitted";
export interface BlockListEntry {
  kind: BlockListKind;
  id: string;
}

function decodeEntities(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) => {
    if (e === "lt") return "<";
    if (e === "gt") return ">";
    if (e === "amp") return "&";
    if (e === "quot") return '"';
    if (e === "apos") return "'";
    return String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

/**
 * A Put Block List body: <BlockList> with <Latest>, <Committed>, <Uncommitted> children in
 * order. Anything else (other elements, text between them, a second root) is 400 InvalidXmlDocument.
 */
export function parseBlockList(xml: string): BlockListEntry[] {
  let rest = xml.replace(/^\uFEFF/, "").replace(/<\?xml[^?]*\?>/, "").replace(/<!--[\s\S]*?-->/g, "").trim();
  const root = /^<BlockList(\s[^>]*)?>([\s\S]*)<\/BlockList\s*>$/.exec(rest);
  if (!root) {
    if (/^<BlockList(\s[^>]*)?\/>$/.test(rest)) return [];
    throw StorageErrors.invalidXml();
  }
  rest = root[2]!;
  const entries: BlockListEntry[] = [];
  const child = /^\s*<(Latest|Committed|Uncommitted)\s*>([^<]*)<\/\1\s*>/;
  while (rest.trim().length) {
    const m = child.exec(rest);
    if (!m) throw StorageErrors.invalidXml();
    entries.push({ kind: m[1] as BlockListKind, id: decodeEntities(m[2]!.trim()) });
    rest = rest.slice(m[0].length);
  }
  return entries;
}

/** Get Blob Service Properties: the defaults of a new account (nothing of it is settable here). */
export function servicePropertiesXml(): string {
  const retention = "<RetentionPolicy><Enabled>false</Enabled></RetentionPolicy>";
  const metrics = `<Version>1.0</Version><Enabled>false</Enabled>${retention}`;
  return (
    `${PROLOG}<StorageServiceProperties>` +
    `<Logging><Version>1.0</Version><Read>false</Read><Write>false</Write><Delete>false</Delete>${retention}</Logging>` +
    `<HourMetrics>${metrics}</HourMetrics><MinuteMetrics>${metrics}</MinuteMetrics><Cors />` +
    "<DeleteRetentionPolicy><Enabled>false</Enabled></DeleteRetentionPolicy>" +
    "<StaticWebsite><Enabled>false</Enabled></StaticWebsite>" +
    "</StorageServiceProperties>"
  );
}
