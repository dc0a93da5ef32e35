// Every feature adds its own probe file here; authz.spec.ts runs them all for every role.
import type { ActionProbe, PathProbe } from "./types";
import * as foundation from "./foundation";
import * as plan from "./plan";
import * as credits from "./credits";
import * as invoices from "./invoices";
import * as analytics from "./analytics";

const features: Array<{ pages?: PathProbe[]; routes?: PathProbe[]; actions?: ActionProbe[] }> = [foundation, plan, credits, invoices, analytics];

export const pageProbes: PathProbe[] = features.flatMap((f) => f.pages ?? []);
export const routeProbes: PathProbe[] = features.flatMap((f) => f.routes ?? []);
export const actionProbes: ActionProbe[] = features.flatMap((f) => f.actions ?? []);
