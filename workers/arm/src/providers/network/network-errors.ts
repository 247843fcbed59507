// Microsoft.Network's own errors, in the Network resource provider's wording where it is known.
// All are 400s except a concurrent write to the same resource (409).
import { ArmError, ArmErrors } from "../../../../../shared/errors/arm";

const bad = (code: string, message: string) => new ArmError(400, code, message);

export const NetworkErrors = {
  invalidName: (name: string) =>
    ArmErrors.invalidResourceName(
      `Resource name ${name} is invalid. The name can be up to 80 characters long. It must begin with a word character, and it must end with a word character or with '_'. The name may contain word characters or '.', '-', '_'.`,
    ),
  /** A reference to a resource that does not exist, or is in another region. */
  invalidReference: (referenced: string, referrer: string) =>
    bad(
      "InvalidResourceReference",
      `Resource ${referenced} referenced by resource ${referrer} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`,
    ),
  /** A reference that is not a resource id at all. */
  invalidPropertyId: (value: unknown, path: string) =>
    bad(
      "LinkedInvalidPropertyId",
      `Property id '${String(value)}' at path '${path}' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{subscriptionId}' or '/providers/{resourceProviderNamespace}/'.`,
    ),
  invalidRequest: (message: string) => bad("InvalidRequestFormat", message),
  locationChange: (name: string, resourceGroup: string, existing: string, requested: string) =>
    bad(
      "InvalidResourceLocation",
      `The resource '${name}' already exists in location '${existing}' in resource group '${resourceGroup}'. A resource with the same name cannot be created in location '${requested}'. Please select a new resource name.`,
    ),
  publicIpInUse: (publicIpId: string, ipConfigurationId: string, holderId: string) =>
    bad(
      "PublicIPAddressInUse",
      `Resource ${ipConfigurationId} is referencing public IP address ${publicIpId} that is already allocated to resource ${holderId}.`,
    ),
  publicIpCannotBeDeleted: (publicIpId: string, holderId: string) =>
    bad(
      "PublicIPAddressCannotBeDeleted",
      `Public IP address ${publicIpId} can not be deleted since it is still allocated to resource ${holderId}. In order to delete the public IP, disassociate/detach the Public IP address from the resource.  To learn how to do this, see aka.ms/deletepublicip.`,
    ),
  nsgInUse: (nsgId: string, users: string[]) =>
    bad(
      "InUseNetworkSecurityGroupCannotBeDeleted",
      `Network security group ${nsgId} cannot be deleted because it is in use by the following resources: ${users.join(", ")}. In order to delete the Network security group, remove the association with the resource(s). To learn how to do this, see aka.ms/deletensg.`,
    ),
  subnetInUse: (subnetName: string, ipConfigurationId: string) =>
    bad(
      "InUseSubnetCannotBeDeleted",
      `Subnet ${subnetName} is in use by ${ipConfigurationId} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.`,
    ),
  subnetInUseCannotChange: (subnetName: string, ipConfigurationId: string) =>
    bad(
      "InUseSubnetCannotBeUpdated",
      `Subnet ${subnetName} is in use by ${ipConfigurationId} and its address prefix cannot be changed to one that does not contain the addresses in use.`,
    ),
  nicInUse: (nicId: string, vmId: string) =>
    bad(
      "NicInUse",
      `Network Interface ${nicId} is used by existing resource ${vmId}. In order to delete the network interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic.`,
    ),
  nicAttachedElsewhere: (nicId: string, vmId: string) =>
    bad(
      "NicInUse",
      `Network Interface ${nicId} is used by existing resource ${vmId}. In order to attach it to another virtual machine, first delete or update the virtual machine that uses it.`,
    ),
  invalidCidr: (prefix: string, resourceId: string) =>
    bad("InvalidCIDRNotation", `The address prefix ${prefix} in resource ${resourceId} has an invalid CIDR notation.`),
  misalignedCidr: (prefix: string, resourceId: string, expected: string) =>
    bad(
      "InvalidCIDRNotation",
      `The address prefix ${prefix} in resource ${resourceId} has an invalid CIDR notation. For the given prefix length, the address prefix should be ${expected}.`,
    ),
  subnetOutsideVnet: (subnet: string, vnet: string) =>
    bad("NetcfgSubnetRangeOutsideVnet", `Subnet '${subnet}' is not valid because its IP address range is outside the IP address range of virtual network '${vnet}'.`),
  subnetsOverlap: (subnet: string, vnet: string) =>
    bad("NetcfgSubnetRangesOverlap", `Subnet '${subnet}' is not valid because its IP address range overlaps with that of an existing subnet in virtual network '${vnet}'.`),
  subnetFull: (subnet: string, prefix: string) =>
    bad("SubnetIsFull", `Subnet ${subnet} with address prefix ${prefix} does not have enough capacity for 1 IP addresses.`),
  privateIpNotInSubnet: (ipConfigurationId: string, address: string, subnetId: string) =>
    bad("PrivateIPAddressNotInSubnet", `IP configuration ${ipConfigurationId} is referencing a private IP address ${address} that is not in subnet ${subnetId} address space.`),
  privateIpReserved: (ipConfigurationId: string, address: string, subnetId: string) =>
    bad("PrivateIPAddressIsReserved", `IP configuration ${ipConfigurationId} is using the private IP address ${address} which is reserved by Azure in subnet ${subnetId}.`),
  privateIpInUse: (ipConfigurationId: string, address: string, holderId: string) =>
    bad("PrivateIPAddressInUse", `IP configuration ${ipConfigurationId} is using the private IP address ${address} which is already allocated to resource ${holderId}.`),
  ruleInvalidPriority: (rule: string, priority: unknown) =>
    bad("SecurityRuleInvalidPriority", `Security rule ${rule} has invalid Priority. Value provided: ${String(priority)} Allowed range 100-4096.`),
  ruleConflict: (rule: string, other: string) =>
    bad("SecurityRuleConflict", `Security rule ${rule} conflicts with rule ${other}. Rules cannot have the same Priority and Direction.`),
  standardSkuMustBeStatic: (publicIpId: string) =>
    bad("StandardSkuPublicIPAddressesMustBeStatic", `Standard sku publicIp ${publicIpId} must have AllocationMethod set to Static.`),
  anotherOperation: (id: string) =>
    new ArmError(409, "AnotherOperationInProgress", `Another operation on this or dependent resource is in progress: ${id}. Retry the request.`),
};
