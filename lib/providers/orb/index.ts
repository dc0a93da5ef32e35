export { createOrbProvider, type OrbProviderConfig } from "./provider";
export type { OrbCatalog } from "./map";
