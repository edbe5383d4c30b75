import { posix, win32 } from 'node:path';
import type { Lang } from '../../protocol/index.js';
import { publicKeyBytes } from '../../protocol/public-key.js';
import { UPDATE_CHANNEL_PATTERN } from '../../protocol/updates.js';
import { AppwachtError } from '../errors.js';
import { LOG_LEVELS, type LogLevel } from '../log.js';

/** Config that cannot be used as given; the message names every bad key and where it came from. */
export class ConfigError extends AppwachtError {}

/**
 * One value's check, on the trimmed string: the value as the agent uses it, or what is wrong with it. Plain functions,
 * not zod: every command resolves the config, `appwacht status` included, and zod's load alone costs more than
 * status's whole budget (BENCHMARKS.md, "Start-up", third pass).
 */
export type Checked = { ok: true; value: string } | { ok: false; message: string };
type Check = (trimmed: string) => Checked;

const ok = (value: string): Checked => ({ ok: true, value });
const holds =
  (test: (v: string) => boolean, message: string): Check =>
  (v) =>
    test(v) ? ok(v) : { ok: false, message };
const oneOf = (values: readonly string[]): Check =>
  holds((v) => values.includes(v), `must be one of ${values.map((v) => `"${v}"`).join(', ')}`);

function isHttpUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname !== '';
  } catch {
    return false;
  }
}

// publicKeyBytes, not publicKeyFromBase64: the same check without loading node:crypto on every start.
const isPublicKey = (v: string): boolean => publicKeyBytes(v) !== undefined;

const httpUrl = (what: string) =>
  holds(isHttpUrl, `must be an http(s) URL of the ${what}, e.g. https://appwacht.intranet.example`);

// Either convention: config is validated on any OS (a Windows registry capture is tested on Linux).
const absolutePath = holds((v) => posix.isAbsolute(v) || win32.isAbsolute(v), 'must be an absolute path');

const LANGS: readonly Lang[] = ['de', 'en'];

export interface KeyDefinition {
  managedName: string;
  env: string;
  flag: string;
  pinned: boolean;
  secret: boolean;
  check: Check;
  /** The allowed values of a setting that is a choice (the Group Policy template offers them as a list). */
  values?: readonly string[];
}

/** A setting that is one of a few words. */
const choice = <V extends string>(values: readonly V[]) => ({ values, check: oneOf(values) });

/**
 * Every setting the agent reads. `pinned` settings decide whom the agent trusts and where its traffic goes:
 * once IT manages the agent they come from managed sources only (see resolve.ts). Names:
 * `key` in JSON files (user settings, /etc/appwacht/config.json), `managedName` in the registry and in
 * macOS managed preferences (the ADMX and the .mobileconfig use the same names), `env`, and `flag` for commands that accept it.
 */
export const CONFIG_KEYS = {
  serverUrl: {
    managedName: 'ServerUrl',
    env: 'APPWACHT_SERVER_URL',
    flag: 'server',
    pinned: true,
    secret: false,
    check: (v) => {
      const url = httpUrl('Appwacht server')(v);
      return url.ok ? ok(url.value.replace(/\/+$/, '')) : url;
    },
  },
  enrollmentSecret: {
    managedName: 'EnrollmentSecret',
    env: 'APPWACHT_ENROLLMENT_SECRET',
    flag: 'secret',
    // Not pinned: a secret only buys a token from the server the agent already trusts.
    pinned: false,
    secret: true,
    check: (v) =>
      v.length < 16
        ? { ok: false, message: 'must be at least 16 characters' }
        : v.length > 200
          ? { ok: false, message: 'must be at most 200 characters' }
          : ok(v),
  },
  policyPublicKey: {
    managedName: 'PolicyPublicKey',
    env: 'APPWACHT_POLICY_PUBLIC_KEY',
    flag: 'policy-key',
    pinned: true,
    secret: false,
    check: holds(isPublicKey, 'must be the base64 of a raw 32-byte Ed25519 public key (44 characters)'),
  },
  caFile: {
    managedName: 'CaFile',
    env: 'APPWACHT_CA_FILE',
    flag: 'ca-file',
    pinned: true,
    secret: false,
    check: absolutePath,
  },
  proxy: {
    managedName: 'Proxy',
    env: 'APPWACHT_PROXY',
    flag: 'proxy',
    pinned: true,
    secret: false,
    check: httpUrl('proxy'),
  },
  minPolicyVersion: {
    managedName: 'MinPolicyVersion',
    env: 'APPWACHT_MIN_POLICY_VERSION',
    flag: 'min-policy-version',
    // Pinned: on a managed device only IT may lower it; a fresh agent refuses older signed versions (a replay).
    pinned: true,
    secret: false,
    check: holds((v) => /^[1-9]\d{0,8}$/.test(v), 'must be a policy version number (1 or more)'),
  },
  updateChannel: {
    managedName: 'UpdateChannel',
    env: 'APPWACHT_UPDATE_CHANNEL',
    flag: 'update-channel',
    // Pinned: it picks which signed release the machine service installs (a pilot group on "beta"); IT's alone.
    pinned: true,
    secret: false,
    check: holds((v) => UPDATE_CHANNEL_PATTERN.test(v), 'must be an update channel: lower-case letters, digits and - (max 32)'),
  },
  agentMode: {
    managedName: 'AgentMode',
    env: 'APPWACHT_AGENT_MODE',
    flag: 'agent-mode',
    // Not pinned: the service definition passes --system; IT's managed value beats the user's sources anyway.
    pinned: false,
    secret: false,
    ...choice(['machine', 'user']),
  },
  language: {
    managedName: 'Language',
    env: 'APPWACHT_LANG',
    flag: 'lang',
    pinned: false,
    secret: false,
    ...choice(LANGS),
  },
  stateDir: {
    managedName: 'StateDir',
    env: 'APPWACHT_STATE_DIR',
    flag: 'state-dir',
    pinned: false,
    secret: false,
    check: absolutePath,
  },
  logLevel: {
    managedName: 'LogLevel',
    env: 'APPWACHT_LOG_LEVEL',
    flag: 'log-level',
    pinned: false,
    secret: false,
    ...choice(LOG_LEVELS),
  },
} as const satisfies Record<string, KeyDefinition>;

export type ConfigKey = keyof typeof CONFIG_KEYS;
export const CONFIG_KEY_NAMES = Object.keys(CONFIG_KEYS) as ConfigKey[];

/** The effective configuration the agent runs with. */
export interface AgentConfig {
  serverUrl?: string;
  enrollmentSecret?: string;
  /** base64 raw Ed25519 key; without it no server policy can be trusted. */
  policyPublicKey?: string;
  caFile?: string;
  proxy?: string;
  /** The lowest signed policy version the agent accepts (digits); unset: any, as long as versions only go up. */
  minPolicyVersion?: string;
  /** The update channel the machine service follows instead of the policy's `updates.channel` (a pilot group). */
  updateChannel?: string;
  /** machine: the system service (agent/service/machine-mode.ts); unset or user: in the employee's account. */
  agentMode?: 'machine' | 'user';
  /** Unset: the employee's locale decides (agent/i18n.ts). */
  language?: Lang;
  stateDir: string;
  logLevel: LogLevel;
}

/** Validates one raw value; returns the normalised value or a message saying what is wrong with it. */
export function validateValue(key: ConfigKey, raw: unknown): Checked {
  if (typeof raw !== 'string') return { ok: false, message: `must be a string, not ${raw === null ? 'null' : typeof raw}` };
  return CONFIG_KEYS[key].check(raw.trim());
}

/** Finds the config key for a name as written in a source (JSON key, or the managed value name); case-insensitive. */
export function keyForName(name: string): ConfigKey | undefined {
  const lower = name.toLowerCase();
  return CONFIG_KEY_NAMES.find((k) => k.toLowerCase() === lower || CONFIG_KEYS[k].managedName.toLowerCase() === lower);
}

/** Secrets as `appwacht config` and logs show them: that one is set and its length, nothing of its content. */
export function maskSecret(value: string): string {
  return `******** (${value.length})`;
}
