import type { z } from 'zod';

/**
 * Zod's issues as one readable line each, with the path into the document: how the agent says why a policy, a report
 * or a server answer does not fit its schema. Here beside the schemas, so neither side imports it from the other.
 */
export function describeIssues(error: z.ZodError, max = 5): string {
  const lines = error.issues.slice(0, max).map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
  if (error.issues.length > max) lines.push(`… ${error.issues.length - max} more`);
  return lines.join('; ');
}
