// The regions App Service answers for (GET …/providers/Microsoft.Web/geoRegions) and their display
// names, which Azure also uses to name the Dynamic plans it creates for consumption function apps.
export const WEB_REGIONS: readonly { name: string; displayName: string }[] = [
  ["eastus", "East US"], ["eastus2", "East US 2"], ["westus", "West US"], ["westus2", "West US 2"], ["westus3", "West US 3"],
  ["centralus", "Central US"], ["northcentralus", "North Central US"], ["southcentralus", "South Central US"],
  ["westcentralus", "West Central US"], ["canadacentral", "Canada Central"], ["canadaeast", "Canada East"],
  ["brazilsouth", "Brazil South"], ["northeurope", "North Europe"], ["westeurope", "West Europe"], ["uksouth", "UK South"],
  ["ukwest", "UK West"], ["francecentral", "France Central"], ["germanywestcentral", "Germany West Central"],
  ["swedencentral", "Sweden Central"], ["switzerlandnorth", "Switzerland North"], ["norwayeast", "Norway East"],
  ["polandcentral", "Poland Central"], ["italynorth", "Italy North"], ["eastasia", "East Asia"], ["southeastasia", "Southeast Asia"],
  ["japaneast", "Japan East"], ["japanwest", "Japan West"], ["koreacentral", "Korea Central"], ["australiaeast", "Australia East"],
  ["australiasoutheast", "Australia Southeast"], ["centralindia", "Central India"], ["southindia", "South India"],
  ["uaenorth", "UAE North"], ["southafricanorth", "South Africa North"],
].map(([name, displayName]) => ({ name: name!, displayName: displayName! }));

/** "westus" → "West US"; an unknown location is its own display name. */
export function regionDisplayName(location: string): string {
  return WEB_REGIONS.find((r) => r.name === location.replace(/\s+/g, "").toLowerCase())?.displayName ?? location;
}
