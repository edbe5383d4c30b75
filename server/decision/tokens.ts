import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EscalationConfig } from '../escalation/config.js';

export type DecisionTokens = Record<'dovecot' | 'nginx' | 'blocklist', string>;

const FILE = 'decision-tokens.json';

/**
 * One token per decision endpoint, so a mail server's token cannot read the block list. Tokens given in the
 * environment win; the rest are generated once into `<data>/decision-tokens.json` (0600) for the admin to copy
 * into the Dovecot and nginx configuration.
 */
export function loadOrCreateDecisionTokens(dataDir: string, given: EscalationConfig['tokens']): DecisionTokens {
  const path = join(dataDir, FILE);
  let stored: Partial<DecisionTokens> = {};
  try {
    stored = JSON.parse(readFileSync(path, 'utf8')) as Partial<DecisionTokens>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const fresh = () => 'awx_' + randomBytes(32).toString('base64url');
  const tokens: DecisionTokens = {
    dovecot: given.dovecot ?? stored.dovecot ?? fresh(),
    nginx: given.nginx ?? stored.nginx ?? fresh(),
    blocklist: given.blocklist ?? stored.blocklist ?? fresh(),
  };
  if (tokens.dovecot !== stored.dovecot || tokens.nginx !== stored.nginx || tokens.blocklist !== stored.blocklist)
    writeFileSync(path, JSON.stringify(tokens, null, 2) + '\n', { mode: 0o600 });
  return tokens;
}
