export { createMetronomeProvider, NO_EXPIRY, type MetronomeProviderConfig } from "./provider";
export { USD_CENTS_CREDIT_TYPE, type MetronomeCatalog } from "./map";
