import { readFile } from 'node:fs/promises';
import { Policy, describeIssues } from '../../protocol/index.js';
import { AppwachtError } from '../errors.js';

export class PolicyFileError extends AppwachtError {}

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
