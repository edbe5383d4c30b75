import { userInfo } from 'node:os';

/** The OS account the agent runs as. userInfo() throws for a uid without a passwd entry (containers); then the variables. */
export function currentOsUser(env: NodeJS.ProcessEnv = process.env): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? env.USERNAME ?? 'unknown';
  }
}
