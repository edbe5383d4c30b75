/** Splits a list into slices of at most `size`: bulk statements stay under both dialects' bind-parameter limits. */
export function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}
