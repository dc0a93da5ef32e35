// Background work of one process: the outbox worker and, with the sandbox provider, its
// scheduler for plan changes that fall due. scripts/worker.ts runs it; the dev launcher can call
// startBackgroundWork(db) in-process. No "server-only" or next/*.
import { getBillingProvider } from "@/lib/providers";
import { applyDueSandboxChanges } from "@/lib/providers/sandbox";
import { applyDuePlanChanges } from "../services/apply-due-plan-changes";
import { expireCredits } from "../services/expire-credits";
import { rollUpAllUsage } from "../services/roll-up-usage";
import type { BillingProvider } from "@/lib/providers/types";
import type { Db } from "../db/client";
import { startOutboxWorker, type OutboxRunOptions } from "./worker";

export type BackgroundWorkOptions = OutboxRunOptions & {
  provider?: BillingProvider;
  /** Outbox poll interval when idle (default 1 s). */
  intervalMs?: number;
  /** How often due sandbox plan changes are applied (default 30 s). */
  scheduleIntervalMs?: number;
  /** How often stored usage events are rolled up (default 1 s). */
  rollupIntervalMs?: number;
  signal?: AbortSignal;
};

export type BackgroundWorkHandle = { provider: BillingProvider; stop(): Promise<void> };

const globalForWork = globalThis as unknown as { meterdeskBackgroundWork?: BackgroundWorkHandle };

export function startBackgroundWork(db: Db, opts: BackgroundWorkOptions = {}): BackgroundWorkHandle {
  // One per process: a dev hot reload that calls this again gets the running one.
  if (globalForWork.meterdeskBackgroundWork) return globalForWork.meterdeskBackgroundWork;
  const provider = opts.provider ?? getBillingProvider(db);
  const log = opts.log ?? ((m: string) => console.error(m));
  const controller = new AbortController();
  opts.signal?.addEventListener("abort", () => void handle.stop(), { once: true });
  const outbox = startOutboxWorker(db, provider, { ...opts, log, signal: controller.signal });

  let scheduler: Promise<void> = Promise.resolve();
  let timer: ReturnType<typeof setInterval> | null = null;
  {
    const tick = () => {
      scheduler = scheduler
        .then(async () => {
          const at = (opts.now ?? (() => new Date()))();
          if (provider.kind === "sandbox") {
            const n = await applyDueSandboxChanges(db, at);
            if (n > 0) log(`[sandbox] applied ${n} scheduled plan change(s)`);
          }
          // Meterdesk's own scheduled subscription_changes (phases, status, audit), whatever the provider.
          const { applied } = await applyDuePlanChanges(db, at);
          if (applied > 0) log(`[plans] applied ${applied} scheduled plan change(s)`);
          // Credits past their expiry: an 'expiration' ledger entry for what was left (idempotent).
          const expired = await expireCredits(db, at);
          if (expired.expired > 0) log(`[credits] expired ${expired.expired} grant(s)`);
        })
        .catch((error) => log(`[plans] applying due plan changes failed: ${error instanceof Error ? error.message : String(error)}`));
    };
    tick();
    timer = setInterval(tick, opts.scheduleIntervalMs ?? 30_000);
    timer.unref?.();
  }

  // The usage roll-up job: stored events into usage_hourly / usage_daily (see roll-up-usage.ts).
  let rollup: Promise<void> = Promise.resolve();
  let rollupBusy = false;
  const rollupTimer = setInterval(() => {
    if (rollupBusy) return;
    rollupBusy = true;
    rollup = rollUpAllUsage(db)
      .then((n) => {
        if (n >= 10_000) log(`[usage] rolled up ${n} event(s)`);
      })
      .catch((error) => log(`[usage] roll-up failed (retried next tick): ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        rollupBusy = false;
      });
  }, opts.rollupIntervalMs ?? 1_000);
  rollupTimer.unref?.();

  let stopping: Promise<void> | null = null;
  const handle: BackgroundWorkHandle = {
    provider,
    stop() {
      stopping ??= (async () => {
        if (timer) clearInterval(timer);
        clearInterval(rollupTimer);
        controller.abort();
        await Promise.all([outbox.done, scheduler, rollup]);
        if (globalForWork.meterdeskBackgroundWork === handle) delete globalForWork.meterdeskBackgroundWork;
      })();
      return stopping;
    },
  };
  globalForWork.meterdeskBackgroundWork = handle;
  return handle;
}
