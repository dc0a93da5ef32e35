// npm run audit:verify: prints OK, or the first event whose content or link no longer holds.
import pg from "pg";
import { withDatabase } from "./db/database-url";
import { verifyAuditChain } from "../lib/server/audit-chain/verify";

const code = await withDatabase(async (url) => {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const result = await verifyAuditChain(pool);
    if (result.ok) {
      console.log(`OK: ${result.events} audit events, chain intact`);
      return 0;
    }
    console.log(`BROKEN at audit event ${result.brokenId}: ${result.problem} (${result.events} events before it verified)`);
    return 1;
  } finally {
    await pool.end();
  }
});
process.exit(code);
