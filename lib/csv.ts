// CSV as spreadsheets read it (RFC 4180 quoting). Text that a spreadsheet would run as a
// formula is prefixed with an apostrophe; plain negative numbers are left alone.

function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text = typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  if (/^[=+@\t\r]/.test(text) || /^-(?![\d.])/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly unknown[]): string {
  return `${values.map(cell).join(",")}\r\n`;
}

export function csvFilename(stem: string, at = new Date()): string {
  return `${stem}-${at.toISOString().slice(0, 19).replace(/[:T]/g, "")}.csv`;
}
