import { randomUUID, createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSigningKeys, keyIdOf, publicKeyToBase64 } from '../../protocol/signing.js';
import type { ServerConfig } from '../config.js';
import type { DatabaseHandle } from '../db/connect.js';
import { migrateToLatest } from '../db/migrations/index.js';
import { ConfigError } from '../errors.js';
import { adminsRepo } from '../repositories/admins.js';
import { auditRepo } from '../repositories/audit.js';
import { ownerOnlyDir, ownerOnlyFile } from './owner-only.js';
import { createPolicyStore, PolicyDraft } from './policy-store.js';
import { generatePassword, hashPassword } from './secrets.js';
import { randomBytes } from 'node:crypto';

/** What lives in the data folder besides the SQLite file. Owner-only: these files are the server's identity. */
export interface ServerSecrets {
  signingKeyPem: string;
  /** base64 of the raw Ed25519 public key: what installers pin. */
  publicKey: string;
  keyId: string;
  enrollmentSecret: string;
  /** HMAC key that binds CSRF tokens to a session. */
  sessionSecret: string;
}

export const SECRET_FILES = {
  signingKey: 'policy-signing-key.pem',
  enrollmentSecret: 'enrollment-secret',
  sessionSecret: 'session-secret',
} as const;

/** Creates the file only if it does not exist ('wx'), so two processes starting at once agree on one value. */
function readOrCreate(path: string, create: () => string): { value: string; created: boolean } {
  if (!existsSync(path)) {
    try {
      writeFileSync(path, create(), { mode: 0o600, flag: 'wx' });
      return { value: readFileSync(path, 'utf8'), created: true };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return { value: readFileSync(path, 'utf8'), created: false };
}

export function loadOrCreateSecrets(dataDir: string): ServerSecrets & { created: string[] } {
  ownerOnlyDir(dataDir);
  const created: string[] = [];
  const key = readOrCreate(join(dataDir, SECRET_FILES.signingKey), () => generateSigningKeys().privateKeyPem);
  const secret = readOrCreate(join(dataDir, SECRET_FILES.enrollmentSecret), () => randomBytes(24).toString('base64url') + '\n');
  const session = readOrCreate(join(dataDir, SECRET_FILES.sessionSecret), () => randomBytes(32).toString('base64url') + '\n');
  for (const [name, r] of [
    [SECRET_FILES.signingKey, key],
    [SECRET_FILES.enrollmentSecret, secret],
    [SECRET_FILES.sessionSecret, session],
  ] as const) {
    if (r.created) created.push(name);
    else ownerOnlyFile(join(dataDir, name)); // tighten a copy restored with loose permissions
  }
  let publicKey: string;
  let keyId: string;
  try {
    const pub = createPublicKey(createPrivateKey(key.value));
    publicKey = publicKeyToBase64(pub);
    keyId = keyIdOf(pub);
  } catch (err) {
    throw new ConfigError(
      `${join(dataDir, SECRET_FILES.signingKey)}: not an Ed25519 private key in PEM (${(err as Error).message})`,
    );
  }
  const enrollmentSecret = secret.value.trim();
  if (enrollmentSecret.length < 16)
    throw new ConfigError(`${join(dataDir, SECRET_FILES.enrollmentSecret)}: the secret must have at least 16 characters`);
  return { signingKeyPem: key.value, publicKey, keyId, enrollmentSecret, sessionSecret: session.value.trim(), created };
}

/** assets/default-policy.json, found by walking up from this file (works from server/ and from dist/server/). */
export function findDefaultPolicyFile(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'assets', 'default-policy.json');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return null;
}

export interface BootstrapResult {
  migrations: string[];
  /** Only on the very first start: shown once, never stored in clear. */
  firstAdmin: { username: string; password: string; generated: boolean } | null;
  initialPolicyVersion: number | null;
}

/** Migrates and, on an empty database, creates the first admin and policy version 1. Safe to run on every start. */
export async function bootstrapDatabase(
  handle: DatabaseHandle,
  config: ServerConfig,
  secrets: ServerSecrets,
  now = Date.now,
): Promise<BootstrapResult> {
  const migrations = await migrateToLatest(handle.db as never, handle.dialect);
  const result: BootstrapResult = { migrations, firstAdmin: null, initialPolicyVersion: null };

  const admins = adminsRepo(handle.db);
  if ((await admins.count()) === 0) {
    const password = config.firstAdmin.password ?? generatePassword();
    const at = now();
    await handle.db.transaction().execute(async (trx) => {
      await adminsRepo(trx).create({
        id: randomUUID(),
        username: config.firstAdmin.username,
        password_hash: await hashPassword(password),
        created_at: at,
      });
      await auditRepo(trx).append({
        at,
        actor: 'system',
        action: 'admin.create',
        target: `admin:${config.firstAdmin.username}`,
        details: { firstStart: true },
      });
    });
    result.firstAdmin = { username: config.firstAdmin.username, password, generated: config.firstAdmin.password === null };
  }

  const store = createPolicyStore(handle.db, secrets.signingKeyPem, now, config.policyValidityDays);
  if ((await store.current()) === null) {
    const file = config.initialPolicyFile ?? findDefaultPolicyFile();
    if (file === null)
      throw new ConfigError(
        'APPWACHT_INITIAL_POLICY: no initial policy (assets/default-policy.json is missing); point this variable at a policy JSON file',
      );
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`APPWACHT_INITIAL_POLICY: cannot read ${file} as JSON (${(err as Error).message})`);
    }
    const draft = PolicyDraft.safeParse(json);
    if (!draft.success) {
      const first = draft.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      throw new ConfigError(`APPWACHT_INITIAL_POLICY: ${file} is not a valid policy:\n  ${first.join('\n  ')}`);
    }
    const created = await store.create({ ...draft.data, version: undefined }, 'system');
    result.initialPolicyVersion = created.version;
  }
  return result;
}
