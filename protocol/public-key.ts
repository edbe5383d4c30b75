/**
 * The raw 32 bytes of an Ed25519 public key as it travels (base64, 44 characters: short enough for an installer
 * property or a registry value), or undefined when the text is not that. Without node:crypto, so that the agent's config
 * check does not load it on every start (`appwacht status`); signing.ts turns the bytes into a key. Node accepts any 32
 * bytes as an Ed25519 public key, so this is the whole check (test/agent/config/public-key.test.ts holds it to that).
 */
export function publicKeyBytes(text: string): Buffer | undefined {
  const bytes = Buffer.from(text.trim(), 'base64');
  return bytes.length === 32 ? bytes : undefined;
}
