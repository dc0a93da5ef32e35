// Reads next-safe-action results into one map of field errors and one form-level message.
type Validation = Record<string, { _errors?: string[] } | undefined> | undefined;
type ServerError = { code?: string; message?: string; fieldErrors?: Record<string, string> } | undefined;

export function actionErrors(result: { validationErrors?: unknown; serverError?: unknown }): { fields: Record<string, string>; message: string | null } {
  const fields: Record<string, string> = {};
  const v = result.validationErrors as Validation & { _errors?: string[] };
  if (v) {
    for (const [k, e] of Object.entries(v)) {
      const first = Array.isArray(e) ? undefined : e?._errors?.[0];
      if (k !== "_errors" && first) fields[k] = first;
    }
  }
  const s = result.serverError as ServerError;
  if (s?.fieldErrors) Object.assign(fields, s.fieldErrors);
  const message = s?.message ?? (Object.keys(fields).length ? "Some fields need attention." : null);
  return { fields, message };
}

export function newRequestId(): string {
  return crypto.randomUUID();
}
