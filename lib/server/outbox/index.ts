// The outbox: enqueue in the domain transaction, send from the worker. No "server-only".
export { enqueueOperation, type EnqueueInput, type OperationKind, type OperationPayloads } from "./enqueue";
export {
  registerOutboxHandler,
  unregisterOutboxHandler,
  handlerFor,
  type OutboxHandler,
  type OutboxOperation,
  type SendResult,
} from "./handlers";
export {
  runOutboxOnce,
  startOutboxWorker,
  retryOperation,
  claimDueOperations,
  backoffDelayMs,
  DEFAULT_MAX_ATTEMPTS,
  type OutboxRunOptions,
  type OutboxRunResult,
  type OutboxWorkerOptions,
  type OutboxWorkerHandle,
} from "./worker";
export { outboxStats, type OutboxStats } from "./stats";
export { startBackgroundWork, type BackgroundWorkOptions, type BackgroundWorkHandle } from "./background";
