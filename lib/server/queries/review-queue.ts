// The finance review queue's reads, over the app's database client (see review-queue-core.ts).
import "server-only";
import { db } from "../db";
import { createReviewQueueQueries } from "./review-queue-core";

export * from "./review-queue-core";

const queries = createReviewQueueQueries(db);
export const getReviewQueue = queries.getReviewQueue;
export const exportReviewQueue = queries.exportReviewQueue;
export const reviewQueueSummary = queries.reviewQueueSummary;
export const getCustomerPreviewFlags = queries.getCustomerPreviewFlags;
export const latestRecomputeJob = queries.latestRecomputeJob;
export const reviewPlanOptions = queries.reviewPlanOptions;
