/** What the process watch matches: the names a policy's rules name (watch-list.ts) and their matcher (process-watch.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Policy } from '../../../protocol/index.js';
import { loadDefaultPolicy } from '../../../agent/policy/default-policy.js';
import { watchMatchers } from '../../../agent/runtime/process-watch.js';
import { watchedProcessNames } from '../../../agent/runtime/watch-list.js';

describe('watchedProcessNames() and watchMatchers()', () => {
  const policy = (rules: Policy['rules']): Policy => ({ ...loadDefaultPolicy(), rules });
  it('names the executables of catalog and custom rules, once each, and nothing for an unknown app', () => {
    const names = watchedProcessNames(
      policy([
        { id: 'ban-telegram', app: 'telegram', action: 'ban', deadline: '2026-03-01T00:00:00Z' },
        { id: 'ban-telegram-again', app: 'telegram', action: 'warn' },
        { id: 'ban-future', app: 'an-app-from-a-newer-catalog', action: 'ban', deadline: '2026-03-01T00:00:00Z' },
        {
          id: 'chatty',
          custom: { name: 'Chatty', match: { processes: ['chatty', 'Chatty.exe'] } },
          action: 'ban',
          deadline: '2026-03-01T00:00:00Z',
        },
      ] as Policy['rules']),
    );
    assert.ok(names.includes('Telegram'), `the catalog's Telegram executable (${names.join(', ')})`);
    assert.ok(names.includes('chatty') && names.includes('Chatty.exe'));
    assert.equal(new Set(names).size, names.length, 'no repeats');
    assert.deepEqual([...names].sort(), names, 'sorted: equal lists compare equal');
  });

  it('matches what the evaluation matches, exactly on Linux, without .exe and case on Windows; none: no matcher', () => {
    const set = watchMatchers(['Telegram', 'WhatsApp.exe', 'whatsapp-for-linux'])!;
    const hit = (name: string, os: 'linux' | 'windows' | 'macos', path?: string) =>
      set.matchProcess({ pid: 1, name, ...(path ? { path } : {}) }, os).length > 0;
    assert.equal(hit('Telegram', 'linux'), true);
    assert.equal(hit('telegram', 'linux'), false, 'Linux names are exact');
    assert.equal(hit('TelegramDesktop', 'linux'), false, 'never a substring');
    assert.equal(hit('x', 'linux', '/opt/Telegram/Telegram'), true, 'by the executable path');
    assert.equal(hit('whatsapp-for-li', 'linux'), true, 'a name the kernel cut to 15 characters');
    assert.equal(hit('WHATSAPP', 'windows'), true);
    assert.equal(watchMatchers([]), undefined);
  });
});
