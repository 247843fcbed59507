// Microsoft.Storage's own errors in Resource Manager, worded as the Storage resource provider
// words them (Learn "Resolve errors for storage account names", errors seen from the service in
// public issue threads). Where the emulator refuses something Azure would do, the message says so.
import { ArmError } from "../../../../../shared/errors/arm";
import { emulatorNow } from "../../../../../shared/emulator-clock";

/** The Blob service's text as the Storage RP passes it through, with its RequestId and Time lines. */
function blobServiceText(message: string): string {
  return `${message}\nRequestId:${crypto.randomUUID()}\nTime:${new Date(emulatorNow()).toISOString().replace(/\.(\d{3})Z$/, ".$10000Z")}`;
}

export const StorageResourceErrors = {
  accountNameInvalid: (name: string) =>
    new ArmError(
      400,
      "AccountNameInvalid",
      `${name} is not a valid storage account name. Storage account name must be between 3 and 24 characters in length and use numbers and lower-case letters only.`,
    ),
  /** The name is claimed outside this subscription (here: by a claim the data plane still holds). */
  accountAlreadyTaken: (name: string) => new ArmError(409, "StorageAccountAlreadyTaken", `The storage account named ${name} is already taken.`),
  /** The name belongs to an account in another resource group of the same subscription. */
  accountInAnotherResourceGroup: (name: string) =>
    new ArmError(409, "StorageAccountInAnotherResourceGroup", `The account ${name} is already in another resource group in this subscription.`),
  invalidValues: (parameters: string[]) =>
    new ArmError(
      400,
      "InvalidValuesForRequestParameters",
      `Values for request parameters are invalid: ${parameters.join(", ")}. For more information, see - https://aka.ms/storageaccounttypes`,
    ),
  invalidPropertyValue: (value: unknown, property: string) =>
    new ArmError(400, "InvalidRequestPropertyValue", `The value '${typeof value === "string" ? value : JSON.stringify(value)}' is not allowed for property ${property}.`),
  locationChange: (name: string, resourceGroup: string, existing: string, requested: string) =>
    new ArmError(
      409,
      "InvalidResourceLocation",
      `The resource '${name}' already exists in location '${existing}' in resource group '${resourceGroup}'. A resource with the same name cannot be created in location '${requested}'. Please select a new resource name.`,
    ),
  identityNotEmulated: (type: string) =>
    new ArmError(
      400,
      "InvalidRequestPropertyValue",
      `The identity type '${type}' is not emulated for storage accounts: the managed identity emulator accepts only 'None' on Microsoft.Storage/storageAccounts (an account's own identity is used for customer-managed keys, which are not emulated).`,
    ),
  invalidKeyName: (keyName: unknown) =>
    new ArmError(
      400,
      "InvalidRequestPropertyValue",
      `The value '${typeof keyName === "string" ? keyName : JSON.stringify(keyName)}' is not allowed for property keyName. Allowed values are 'key1' and 'key2'.`,
    ),
  /** A delete that could not finish earlier; the next DELETE (or the group's cascade) finishes it. */
  accountBeingDeleted: (name: string) =>
    new ArmError(409, "StorageAccountIsBeingDeleted", `The storage account ${name} is being deleted. Retry the DELETE to finish it, then create it again.`),
  blobServiceName: (name: string) =>
    new ArmError(400, "InvalidResourceName", `The blob service name '${name}' is invalid. The only blob service of an account is 'default'.`),
  containerNameInvalid: () => new ArmError(400, "ContainerOperationFailure", blobServiceText("The specifed resource name contains invalid characters.")),
  containerNameLength: () =>
    new ArmError(400, "ContainerOperationFailure", blobServiceText("The specified resource name length is not within the permissible limits.")),
  containerNotFound: () => new ArmError(404, "ContainerNotFound", blobServiceText("The specified container does not exist.")),
  publicAccessNotPermitted: () => new ArmError(409, "PublicAccessNotPermitted", blobServiceText("Public access is not permitted on this storage account.")),
  invalidMetadata: (detail: string) => new ArmError(400, "ContainerOperationFailure", blobServiceText(`The metadata specified is invalid. ${detail}`)),
};
