// The api-versions Microsoft.Storage answers: az 2.74 (azure-mgmt-storage 23) sends 2024-01-01,
// @azure/arm-storage 20 sends 2025-08-01, and templates in the wild use 2017-10-01 onwards. The
// account body has had the same shape (sku, kind, properties) across all of them.
export const STORAGE_API_VERSIONS = [
  "2017-10-01", "2018-02-01", "2018-07-01", "2018-11-01", "2019-04-01", "2019-06-01",
  "2020-08-01-preview", "2021-01-01", "2021-02-01", "2021-04-01", "2021-06-01", "2021-08-01", "2021-09-01",
  "2022-05-01", "2022-09-01", "2023-01-01", "2023-04-01", "2023-05-01", "2024-01-01",
  "2025-01-01", "2025-06-01", "2025-08-01",
] as const;
