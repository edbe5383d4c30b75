import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import type { SignedPolicy } from './policy.js';
import { publicKeyBytes } from './public-key.js';

/**
 * Ed25519 policy signatures. Public keys travel as base64 of the raw 32 bytes (44 characters),
 * short enough for an installer property or a registry value.
 */

export class SignatureError extends Error {
  constructor(
    readonly code: 'BAD_KEY' | 'KEY_MISMATCH' | 'BAD_SIGNATURE',
    message: string,
  ) {
    super(message);
    this.name = 'SignatureError';
  }
}

export function publicKeyFromBase64(raw: string): KeyObject {
  const bytes = publicKeyBytes(raw);
  if (!bytes) throw new SignatureError('BAD_KEY', 'policy public key must be 32 bytes of base64 (Ed25519)');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: bytes.toString('base64url') }, format: 'jwk' });
}

export function publicKeyToBase64(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || !jwk.x) throw new SignatureError('BAD_KEY', 'not an Ed25519 key');
  return Buffer.from(jwk.x, 'base64url').toString('base64');
}

/** First 16 hex digits of the SHA-256 of the raw public key: names the key without revealing anything. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(Buffer.from(publicKeyToBase64(publicKey), 'base64'))
    .digest('hex')
    .slice(0, 16);
}

export function generateSigningKeys(): { privateKeyPem: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKey: publicKeyToBase64(publicKey),
  };
}

export function signPayload(payload: string, privateKeyPem: string): SignedPolicy {
  const privateKey = createPrivateKey(privateKeyPem);
  const publicKey = createPublicKey(privateKey);
  return {
    keyId: keyIdOf(publicKey),
    payload,
    signature: sign(null, Buffer.from(payload, 'utf8'), privateKey).toString('base64'),
  };
}

/** Returns the payload if the signature is valid for the pinned key; throws SignatureError otherwise. */
export function verifyPayload(signed: SignedPolicy, publicKey: KeyObject): string {
  if (signed.keyId !== keyIdOf(publicKey)) {
    throw new SignatureError(
      'KEY_MISMATCH',
      `policy was signed with key ${signed.keyId}, this agent trusts ${keyIdOf(publicKey)}`,
    );
  }
  const ok = verify(null, Buffer.from(signed.payload, 'utf8'), publicKey, Buffer.from(signed.signature, 'base64'));
  if (!ok) throw new SignatureError('BAD_SIGNATURE', 'policy signature does not verify');
  return signed.payload;
}

/**
 * The policy's entity tag: a hash of the signed envelope's bytes. Server and agent compute it the same way, so the
 * agent's If-None-Match names exactly the bytes it verified and holds — never a header a response handed it.
 */
export function policyEtag(signed: SignedPolicy): string {
  const hash = createHash('sha256').update(`${signed.keyId}\n${signed.payload}\n${signed.signature}`, 'utf8');
  return `"${hash.digest('base64url').slice(0, 32)}"`;
}

/**
 * The update feed's index files (latest*.yml) are signed with the policy key when served (server/routes/updates.ts), so
 * an agent runs an installer only when the server it trusts for policies named it: the sha512 inside the index binds
 * the installer, and the signature binds the index — over plain HTTP or through a TLS-inspecting proxy alike.
 */
export const UPDATE_SIGNATURE_HEADER = 'x-appwacht-signature';

/**
 * What is signed: a fixed prefix (these bytes can never be taken for a policy, whose payload is JSON), the channel and
 * the file name (one channel's or OS's index cannot stand in for another's), then the file's exact bytes.
 */
function updateIndexBytes(channel: string, file: string, bytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`appwacht-update-index\n${channel}\n${file}\n`, 'utf8'), bytes]);
}

/** The header value: `<keyId>:<base64 signature>`. */
export function signUpdateIndex(channel: string, file: string, bytes: Uint8Array, privateKey: KeyObject): string {
  const keyId = keyIdOf(createPublicKey(privateKey));
  return `${keyId}:${sign(null, updateIndexBytes(channel, file, bytes), privateKey).toString('base64')}`;
}

/** Throws SignatureError unless `header` is a valid signature of these bytes by the pinned key. */
export function verifyUpdateIndex(
  channel: string,
  file: string,
  bytes: Uint8Array,
  header: string | null,
  publicKey: KeyObject,
): void {
  const match = /^([0-9a-f]{16}):([A-Za-z0-9+/]{86}==)$/.exec(header ?? '');
  if (!match) throw new SignatureError('BAD_SIGNATURE', `${file} came without a valid ${UPDATE_SIGNATURE_HEADER} header`);
  if (match[1] !== keyIdOf(publicKey))
    throw new SignatureError('KEY_MISMATCH', `${file} was signed with key ${match[1]}, this agent trusts ${keyIdOf(publicKey)}`);
  if (!verify(null, updateIndexBytes(channel, file, bytes), publicKey, Buffer.from(match[2]!, 'base64')))
    throw new SignatureError('BAD_SIGNATURE', `the signature of ${file} does not verify`);
}
