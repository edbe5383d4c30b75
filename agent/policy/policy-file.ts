import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { Policy } from '../../protocol/index.js';
import { AppwachtError } from '../errors.js';

export class PolicyFileError extends AppwachtError {}

/** Zod's issues as one readable line each, with the path into the document. */
export function describeIssues(error: z.ZodError, max = 5): string {
  const lines = error.issues.slice(0, max).map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
  if (error.issues.length > max) lines.push(`… ${error.issues.length - max} more`);
  return lines.join('; ');
}

/** Parses and validates policy JSON; the error says what is wrong and where. */
export function parsePolicyJson(text: string, origin: string): Policy {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PolicyFileError('POLICY_MALFORMED', `${origin} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const result = Policy.safeParse(json);
  if (!result.success)
    throw new PolicyFileError('POLICY_INVALID', `${origin} is not a valid policy: ${describeIssues(result.error)}`);
  return result.data;
}

/** A plain (unsigned) policy file, as an admin writes it for `--policy`; signed policies come from the server. */
export async function readPolicyFile(path: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new PolicyFileError('POLICY_UNREADABLE', `cannot read policy file ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parsePolicyJson(text, path);
}
