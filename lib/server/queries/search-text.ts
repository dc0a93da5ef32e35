/**
 * Turns what a person typed into a safe ILIKE fragment pattern, or null when it cannot match
 * anything (blank, or longer than any searchable value). %, _ and \ are matched literally.
 */
export const MAX_SEARCH_LENGTH = 200;

export function likeFragment(input: string | undefined | null): string | null | undefined {
  const text = (input ?? "").trim();
  if (!text) return undefined; // no filter
  if (text.length > MAX_SEARCH_LENGTH) return null; // cannot match: empty result
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
