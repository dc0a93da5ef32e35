// The built-in sandbox billing provider (see provider.ts). No "server-only": the worker uses it.
export { createSandboxProvider, type SandboxProvider, type SandboxProviderOptions } from "./provider";
export { applyDueSandboxChanges } from "./plan-changes";
export {
  setSandboxFaults,
  scriptSandboxFaults,
  resetSandboxFaults,
  seededRandom,
  NO_FAULTS,
  type SandboxFaults,
  type FaultOutcome,
} from "./faults";
export { canonicalJson, requestHash } from "./idempotency";
