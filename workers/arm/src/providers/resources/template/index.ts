// ARM JSON template engine: the entry point the deployments engine imports.
//
//   const prepared = await prepareDeployment(template, parameters, scope);   // validates everything, nothing applied
//   for (const r of prepared.resources) if (r.condition) put(r.id, await prepared.evaluate(r, runtime));
//   const outputs = await prepared.outputs(runtime);
//
// Differences from the first sketch of this API, and why:
// - prepareDeployment is async (returns a Promise): guid() hashes with WebCrypto's SHA-1, which is
//   asynchronous, and guid() is common in resource names (role assignments).
// - TemplateError.code is also "ResourceNotFound" (reference() to a resource that does not exist,
//   Azure's code for it) and "DeploymentOutputEvaluationFailed" (outputs(), with the inner error
//   in `details`); "InvalidDeployment" is declared but not produced today.
// - outputs() leaves `value` out for secureString/secureObject outputs (as Azure does), so its
//   `value` is optional.
// - DeploymentScope has optional deploymentLocation, tenantDisplayName, tenantCountryCode for
//   deployment() and tenant().
export {
  prepareDeployment,
  type DeploymentScope,
  type PlannedResource,
  type PreparedDeployment,
  type TemplateRuntime,
} from "./engine";
export { TemplateError, type TemplateErrorCode, type TemplateErrorDetail } from "./errors";
export { uniqueString, deterministicGuid } from "./hash";
