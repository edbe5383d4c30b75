/**
 * Electron's parts behind the agent's ports (per-user mode, where this app hosts the agent): `Notification` for the
 * notifier port, `net.fetch` for HTTP, `safeStorage` for the device token. Each takes the Electron object as a
 * parameter so the tests can hand in stand-ins (test/app/main-wiring.test.ts).
 */
import { readFile, unlink } from 'node:fs/promises';
import type { Notification, NotificationConstructorOptions, safeStorage } from 'electron';
import { DeviceCredentials, type TokenStore } from '../../agent/enroll/token-store.js';
import type { Logger } from '../../agent/log.js';
import { NotifyError, type DesktopNotification, type Notifier } from '../../agent/notify/port.js';
import { writeFileAtomic } from '../../agent/state/files.js';
import type { Fetch } from '../../agent/transport/errors.js';
import type { HttpTransport } from '../../agent/transport/http.js';

export interface NotificationPort {
  new (options: NotificationConstructorOptions): Pick<Notification, 'show' | 'once'>;
  isSupported(): boolean;
}

/** The notifier port over Electron's Notification: resolves when the OS shows it, rejects when it fails or is unsupported. */
export function electronNotifier(N: NotificationPort, o: { icon?: string; giveUpAfterMs?: number } = {}): Notifier {
  return {
    notify(n: DesktopNotification) {
      if (!N.isSupported()) return Promise.reject(new NotifyError('NOTIFY_UNSUPPORTED', 'this desktop shows no notifications'));
      return new Promise<void>((resolve, reject) => {
        const note = new N({
          title: n.title,
          body: n.body,
          urgency: n.urgency,
          // A critical one stays until the employee closes it (Windows: 'never'; Linux: urgency does it).
          timeoutType: n.urgency === 'critical' ? 'never' : 'default',
          ...(o.icon ? { icon: o.icon } : {}),
        });
        // Some Windows setups never say 'show' for a toast that went to the Action Center: no failure in time counts as shown.
        const timer = setTimeout(resolve, o.giveUpAfterMs ?? 5_000);
        note.once('show', () => (clearTimeout(timer), resolve()));
        note.once(
          'failed',
          (_e, error) => (clearTimeout(timer), reject(new NotifyError('NOTIFY_FAILED', `notification failed: ${error}`))),
        );
        note.show();
      });
    },
  };
}

/** HTTP through Chromium's network stack: the OS proxy settings (PAC, WPAD) and the OS certificate store. */
export function netFetchTransport(net: { fetch: (input: string, init?: RequestInit) => Promise<Response> }): HttpTransport {
  const fetch: Fetch = (input, init) => net.fetch(input, init);
  return { fetch, close: async () => {} };
}

export type SafeStoragePort = Pick<typeof safeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString'> & {
  getSelectedStorageBackend?: () => string;
};

/**
 * Whether safeStorage really protects: on Linux without a keyring (no GNOME Keyring / KWallet, e.g. a bare session)
 * Electron falls back to 'basic_text', a key built into Chromium — obfuscation, not protection.
 */
export function keyringUsable(s: SafeStoragePort, platform: NodeJS.Platform): boolean {
  if (!s.isEncryptionAvailable()) return false;
  return platform !== 'linux' || s.getSelectedStorageBackend?.() !== 'basic_text';
}

/**
 * The device token in the OS keychain (macOS Keychain, Windows DPAPI, libsecret/KWallet): `device.safe` in the state
 * folder holds it encrypted with a key only this account's login can unlock. Where no keyring protects it, the
 * agent's own owner-only file store (device.json, 0600) is used instead and the log says so once — the same protection
 * the headless per-user agent has, named honestly rather than pretending.
 */
export function safeStorageTokenStore(
  s: SafeStoragePort,
  o: { path: string; fallback: TokenStore; platform: NodeJS.Platform; log: Logger },
): TokenStore {
  if (!keyringUsable(s, o.platform)) {
    o.log.warn('no OS keyring protects secrets here; the device token stays in the owner-only state file', {
      location: o.fallback.location,
    });
    return o.fallback;
  }
  return {
    location: `${o.path} (${o.platform === 'darwin' ? 'Keychain' : o.platform === 'win32' ? 'DPAPI' : 'keyring'})`,
    async load() {
      let blob: Buffer;
      try {
        blob = await readFile(o.path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        // A token from before the keyring was used (or from the headless agent) moves over once.
        const old = await o.fallback.load();
        if (old.status === 'ok') {
          await this.save(old.credentials);
          await o.fallback.clear();
        }
        return old;
      }
      try {
        return { status: 'ok', credentials: DeviceCredentials.parse(JSON.parse(s.decryptString(blob))) };
      } catch (err) {
        await unlink(o.path).catch(() => {});
        return { status: 'unusable', reason: `${o.path} could not be decrypted (${(err as Error).message}); enrolling again` };
      }
    },
    async save(credentials) {
      await writeFileAtomic(o.path, s.encryptString(JSON.stringify(DeviceCredentials.parse(credentials))), 0o600);
    },
    async clear() {
      await unlink(o.path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    },
  };
}
