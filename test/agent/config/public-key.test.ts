import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { publicKeyBytes } from '../../../protocol/public-key.js';
import { publicKeyFromBase64 } from '../../../protocol/signing.js';
import { resolveConfig } from '../../../agent/config/resolve.js';

const accepted = (text: string) => {
  try {
    publicKeyFromBase64(text);
    return true;
  } catch {
    return false;
  }
};

describe('publicKeyBytes(): the config check of policyPublicKey without node:crypto', () => {
  it('accepts exactly what publicKeyFromBase64 accepts', () => {
    const samples = [
      '',
      'not base64 at all',
      Buffer.alloc(31, 7).toString('base64'),
      Buffer.alloc(33, 7).toString('base64'),
      Buffer.alloc(32, 0).toString('base64'),
      Buffer.alloc(32, 0xff).toString('base64'),
      ` ${Buffer.alloc(32, 3).toString('base64')}\n`,
      Buffer.alloc(32, 9).toString('base64url'),
      ...Array.from({ length: 200 }, () => randomBytes(32).toString('base64')),
    ];
    for (const text of samples) assert.equal(publicKeyBytes(text) !== undefined, accepted(text), JSON.stringify(text));
  });

  it('is what the config check uses: a key of 31 bytes is refused with the reason, one of 32 taken', async () => {
    const env = (key: string) => ({ APPWACHT_POLICY_PUBLIC_KEY: key, APPWACHT_STATE_DIR: '/tmp/appwacht-public-key-test' });
    await assert.rejects(
      resolveConfig({ env: env(Buffer.alloc(31, 1).toString('base64')), cli: {} }),
      /APPWACHT_POLICY_PUBLIC_KEY.*32-byte Ed25519/s,
    );
    const { config } = await resolveConfig({ env: env(randomBytes(32).toString('base64')), cli: {} });
    assert.equal(publicKeyBytes(config.policyPublicKey!)?.length, 32);
  });
});
