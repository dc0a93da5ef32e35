// The finance review queue. Allowed calls are harmless: review and hold name a customer with no
// preview (refused as not found), the thresholds form changes nothing, and a recompute either
// joins the one already running or queues one (it only rewrites previews).
import { randomUUID } from "node:crypto";
import type { ActionProbe, PathProbe } from "./types";

export const pages: PathProbe[] = [{ path: "/invoices", permission: "customers.view" }];

export const routes: PathProbe[] = [{ path: "/api/invoices/export", permission: "customers.view" }];

export const actions: ActionProbe[] = [
  { name: "markInvoicesReviewedAction", permission: "invoices.review", args: async () => [{ customerIds: [randomUUID()] }] },
  { name: "holdInvoiceAction", permission: "invoices.review", args: async () => [{ customerId: randomUUID(), note: "authorisation probe" }] },
  { name: "recomputePreviewsAction", permission: "invoices.review", args: async () => [{}] },
  { name: "updateAnomalyThresholdsAction", permission: "anomaly_settings.edit", args: async () => [{ values: {} }] },
];
