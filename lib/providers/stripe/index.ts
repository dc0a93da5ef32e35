export { createStripeProvider, type StripeProviderConfig } from "./provider";
export type { StripeCatalog } from "./map";
