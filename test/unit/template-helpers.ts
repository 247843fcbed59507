// Shared fixtures for the template engine's unit tests (not a test file itself).
import { expect } from "vitest";
import {
  prepareDeployment,
  TemplateError,
  type DeploymentScope,
  type TemplateRuntime,
} from "../../workers/arm/src/providers/resources/template";

export const SUB = "00000000-0000-0000-0000-000000000001";
export const TENANT = "00000000-0000-0000-0000-0000000000aa";
export const RG_ID = `/subscriptions/${SUB}/resourceGroups/rg1`;

export const SCOPE: DeploymentScope = {
  subscriptionId: SUB,
  tenantId: TENANT,
  subscriptionDisplayName: "Emulated subscription",
  deploymentName: "dep1",
  resourceGroup: { id: RG_ID, name: "rg1", location: "westus", tags: { env: "test" } },
};

export const SUB_SCOPE: DeploymentScope = {
  subscriptionId: SUB,
  tenantId: TENANT,
  subscriptionDisplayName: "Emulated subscription",
  deploymentName: "subdep",
  deploymentLocation: "eastus",
};

export interface FakeRuntime extends TemplateRuntime {
  calls: Array<[string, string | undefined]>;
}

/** A runtime answering from a fixed map of documents (ids compared case-insensitively). */
export function fakeRuntime(docs: Record<string, Record<string, unknown>> = {}): FakeRuntime {
  const byId = new Map(Object.entries(docs).map(([id, doc]) => [id.toLowerCase(), doc]));
  const calls: Array<[string, string | undefined]> = [];
  return {
    calls,
    async readResource(id, apiVersion) {
      calls.push([id, apiVersion]);
      return byId.get(id.toLowerCase()) ?? null;
    },
  };
}

export const NO_RUNTIME = fakeRuntime();

/** The value of one expression (evaluated as a variable, so no reference()). */
export async function value(expression: unknown, extra: { parameters?: Record<string, unknown>; variables?: Record<string, unknown>; given?: Record<string, unknown>; scope?: DeploymentScope } = {}): Promise<unknown> {
  const template = {
    $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    contentVersion: "1.0.0.0",
    parameters: extra.parameters ?? {},
    variables: { ...(extra.variables ?? {}), probe: expression },
    resources: [],
    outputs: { o: { type: "object", value: "[createObject('v', variables('probe'))]" } },
  };
  const prepared = await prepareDeployment(template, extra.given ?? {}, extra.scope ?? SCOPE);
  const outputs = await prepared.outputs(NO_RUNTIME);
  return (outputs.o!.value as { v: unknown }).v;
}

/** The TemplateError a promise rejects with (fails the test if it resolves or throws something else). */
export async function failure(promise: Promise<unknown>): Promise<TemplateError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(TemplateError);
    return e as TemplateError;
  }
  throw new Error("expected a TemplateError, but the promise resolved");
}

/** The error message of evaluating one expression. */
export async function valueError(expression: unknown, extra: Parameters<typeof value>[1] = {}): Promise<string> {
  return (await failure(value(expression, extra))).message;
}

export function template(resources: unknown[], more: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    contentVersion: "1.0.0.0",
    ...more,
    resources,
  };
}
