// The api-versions Microsoft.ManagedIdentity answers (az 2.74 sends 2023-01-31).
export const MANAGED_IDENTITY_API_VERSIONS = [
  "2015-08-31-preview", "2018-11-30", "2021-09-30-preview", "2022-01-31-preview", "2023-01-31", "2023-07-31-preview",
  "2024-11-30", "2025-01-31-preview", "2025-05-31-preview",
] as const;
