// Microsoft.ManagedIdentity/userAssignedIdentities and their federated identity credentials:
// documents, names and validation, in Azure's shapes.
import { ArmErrors } from "../../../../../shared/errors/arm";
import { isObject } from "../../request-body";

export const UAMI_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities";
export const FIC_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials";
export const MAX_FEDERATED_CREDENTIALS = 20;

export interface UamiDocument {
  id: string;
  name: string;
  type: typeof UAMI_TYPE;
  location: string;
  tags: Record<string, string>;
  properties: { isolationScope: string; tenantId: string; principalId: string; clientId: string };
}

export interface FederatedCredentialDocument {
  id: string;
  name: string;
  type: typeof FIC_TYPE;
  properties: { issuer: string; subject: string; audiences: string[] };
}

/** The id Azure's identity provider answers with: note the lower-case `resourcegroups`. */
export function uamiId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourcegroups/${resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
}

const UAMI_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/;
export function validateUamiName(name: string): void {
  if (!UAMI_NAME.test(name)) {
    throw ArmErrors.invalidResourceName(
      `Resource name '${name}' is invalid. The name can contain only letters, numbers, hyphens and underscores, must start with a letter or number, and must be 3 to 128 characters long.`,
    );
  }
}

const FIC_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,119}$/;
export function validateFicName(name: string): void {
  if (!FIC_NAME.test(name)) {
    throw ArmErrors.invalidResourceName(
      `Federated identity credential name '${name}' is invalid. It must match ^[a-zA-Z0-9]{1}[a-zA-Z0-9-_]{2,119}$.`,
    );
  }
}

/**
 * issuer (https; plain http only on loopback, for local issuers), subject and exactly one
 * audience, each at most 600 characters, as Azure validates them.
 */
export function parseFederatedCredential(body: Record<string, unknown>): { issuer: string; subject: string; audiences: string[] } {
  const properties = isObject(body.properties) ? body.properties : null;
  if (!properties) throw ArmErrors.invalidRequestContent("properties is required");
  const { issuer, subject, audiences } = properties;
  if (typeof issuer !== "string" || issuer === "") throw badRequest("The issuer is required.");
  if (issuer !== issuer.trim()) throw badRequest("The issuer cannot have leading or trailing whitespace.");
  if (issuer.length > 600) throw badRequest("The issuer cannot be longer than 600 characters.");
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw badRequest(`The issuer '${issuer}' is not a valid URL.`);
  }
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw badRequest(`The issuer '${issuer}' must use https (plain http is accepted here only on loopback).`);
  }
  if (typeof subject !== "string" || subject.trim() === "") throw badRequest("The subject is required.");
  if (subject.length > 600) throw badRequest("The subject cannot be longer than 600 characters.");
  if (!Array.isArray(audiences) || audiences.length === 0) throw badRequest("The audiences are required.");
  if (audiences.length > 1) throw badRequest("Only one audience is supported.");
  if (typeof audiences[0] !== "string" || audiences[0] === "" || audiences[0].length > 600) {
    throw badRequest("The audience must be a non-empty string of at most 600 characters.");
  }
  return { issuer, subject, audiences: [audiences[0]] };
}

function badRequest(message: string) {
  return ArmErrors.invalidParameter(message, "BadRequest");
}
