// The api-versions Microsoft.KeyVault answers.
export const KEY_VAULT_API_VERSIONS = [
  "2015-06-01", "2016-10-01", "2018-02-14", "2019-09-01", "2021-10-01", "2022-07-01", "2023-02-01", "2023-07-01",
  "2024-11-01", "2024-12-01-preview", "2025-05-01", "2026-02-01",
] as const;
