/**
 * Invoice-preview anomaly rules. Each rule is named (a stable `code` stored
 * with findings and thresholds), says in words what it checks with the
 * thresholds in force (`explain`), and is a pure function of its input and
 * thresholds (`check`) returning a finding or null. Thresholds are parameters
 * because finance admins edit them.
 */
export type AnomalyFinding<D = unknown> = { code: string; title: string; message: string; details: D };

export type AnomalyRule<I, P, D> = {
  code: string;
  title: string;
  explain(params: P): string;
  check(input: I, params: P): AnomalyFinding<D> | null;
};

export function defineRule<I, P, D>(def: {
  code: string;
  title: string;
  explain(params: P): string;
  evaluate(input: I, params: P): { message: string; details: D } | null;
}): AnomalyRule<I, P, D> {
  return {
    code: def.code,
    title: def.title,
    explain: def.explain,
    check(input, params) {
      const hit = def.evaluate(input, params);
      return hit && { code: def.code, title: def.title, ...hit };
    },
  };
}
