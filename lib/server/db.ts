import "server-only";
import { createPrismaClient, type Db } from "./db/client";

// One client per server process; kept on globalThis so dev hot reloads do not open new pools.
const globalForDb = globalThis as unknown as { meterdeskDb?: Db };
export const db: Db = globalForDb.meterdeskDb ?? createPrismaClient();
if (process.env.NODE_ENV !== "production") globalForDb.meterdeskDb = db;
