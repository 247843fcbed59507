// IMDS → authority (entrypoint "TokenEndpoint"): HTTP to `/{tenant}/oauth2/token` and
// `/{tenant}/oauth2/v2.0/token` only — IMDS redeems a signed client assertion there, exactly as a
// client on the network would; every other path answers 404.
export type TokenEndpointBinding = Fetcher;

/** The paths the binding lets through. */
export const TOKEN_ENDPOINT_PATH = /^\/[^/]+\/oauth2\/(?:v2\.0\/)?token\/?$/;
