import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Report } from '../../../protocol/index.js';
import { memoryLogger } from '../../../agent/log.js';
import { planCompaction } from '../../../agent/outbox/compaction.js';
import { Outbox, OutboxError } from '../../../agent/outbox/outbox.js';
import { StateFileError } from '../../../agent/state/files.js';
import { finding, report } from '../../helpers/sample-reports.js';

const dirs: string[] = [];
async function tempDir(base = tmpdir()): Promise<string> {
  const dir = await mkdtemp(join(base, 'appwacht-outbox-'));
  dirs.push(dir);
  return dir;
}
/**
 * The compaction tests enqueue thousands of reports; each enqueue costs two fsyncs (~5 ms on this disk), which
 * measures the disk, not compaction. They run on a RAM-backed tmpfs (/dev/shm) where one exists — still a real file
 * system with real files, renames and unlinks. Durability itself is tested on the real disk in durability.test.ts.
 */
const fastBase = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const entryFiles = async (dir: string) => (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();

describe('Outbox', () => {
  it('has the report on disk, complete, when enqueue resolves', async () => {
    const dir = await tempDir();
    const outbox = await Outbox.open({ dir });
    const r = report();
    const entry = await outbox.enqueue(r);
    const onDisk = JSON.parse(await readFile(join(dir, entry.file), 'utf8'));
    assert.deepEqual(Report.parse(onDisk), r);
    assert.match(entry.file, new RegExp(`^000000000001-change-${r.reportId}\\.json$`));
  });

  it('delivers oldest first, also across a reopen, and continues the sequence', async () => {
    const dir = await tempDir();
    const first = await Outbox.open({ dir });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await first.enqueue(report())).reportId);
    const second = await Outbox.open({ dir });
    assert.deepEqual(
      second.list().map((e) => e.reportId),
      ids,
    );
    const sixth = await second.enqueue(report());
    assert.equal(sixth.seq, 6);
    const seen: string[] = [];
    for (let next = await second.peek(); next; next = await second.peek()) {
      seen.push(next.report.reportId);
      await second.remove(next.entry);
    }
    assert.deepEqual(seen, [...ids, sixth.reportId]);
    assert.deepEqual(await entryFiles(dir), []);
  });

  it('keeps enqueue order even when concurrent writes finish out of order', async () => {
    const dir = await tempDir();
    const outbox = await Outbox.open({ dir });
    const reports = Array.from({ length: 30 }, () => report());
    await Promise.all(reports.map((r) => outbox.enqueue(r)));
    assert.deepEqual(
      outbox.list().map((e) => e.reportId),
      reports.map((r) => r.reportId),
    );
  });

  it('deletes temp files a crash left behind, and never indexes them', async () => {
    const dir = await tempDir();
    await (await Outbox.open({ dir })).enqueue(report());
    await writeFile(join(dir, '.000000000002-change-x.json.1234.abcd.tmp'), '{"reportId":"half');
    const log = memoryLogger();
    const outbox = await Outbox.open({ dir, log });
    assert.equal(outbox.size, 1);
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.endsWith('.tmp')),
      [],
    );
    assert.ok(log.lines.some((l) => l.msg === 'removed unfinished writes' && l.count === 1));
  });

  it('moves a corrupt entry aside and goes on with the next one', async () => {
    const dir = await tempDir();
    const log = memoryLogger();
    const outbox = await Outbox.open({ dir, log });
    const bad = await outbox.enqueue(report());
    const good = await outbox.enqueue(report());
    const wrongId = await outbox.enqueue(report());
    await writeFile(join(dir, bad.file), '{"reportId": "trunc');
    // Valid JSON of another report under this entry's name: also not trusted.
    await writeFile(join(dir, wrongId.file), JSON.stringify(report()));
    const next = await outbox.peek();
    assert.equal(next?.report.reportId, good.reportId);
    await outbox.remove(next!.entry);
    assert.equal(await outbox.peek(), undefined);
    const names = await readdir(dir);
    assert.equal(names.filter((n) => n.includes('.corrupt-')).length, 2);
    assert.equal(log.lines.filter((l) => l.msg === 'corrupt outbox entry moved aside').length, 2);
    // Reopening does not resurrect them.
    assert.equal((await Outbox.open({ dir })).size, 0);
  });

  it('refuses a report that does not match the protocol before touching the disk', async () => {
    const dir = await tempDir();
    const outbox = await Outbox.open({ dir });
    await assert.rejects(
      outbox.enqueue({ ...report(), reportId: 'nope' }),
      (e: unknown) => e instanceof OutboxError && e.code === 'INVALID_REPORT',
    );
    assert.deepEqual(await entryFiles(dir), []);
  });

  it('dead-letters a rejected report into rejected/ and keeps only the newest few', async () => {
    const dir = await tempDir();
    const outbox = await Outbox.open({ dir, keepAside: 3 });
    for (let i = 0; i < 5; i++) {
      const e = await outbox.enqueue(report());
      await outbox.deadLetter(e, 'HTTP 400');
    }
    assert.equal(outbox.size, 0);
    const rejected = await readdir(join(dir, 'rejected'));
    assert.equal(rejected.length, 3);
    assert.ok(rejected.every((n) => /^00000000000[345]-change-/.test(n)));
  });
});

describe('planCompaction()', () => {
  const e = (seq: number, kind: 'change' | 'heartbeat', bytes = 100) => ({ seq, kind, bytes });
  const limits = { maxEntries: 1000, maxBytes: 1_000_000 };
  const seqs = (list: { seq: number }[]) => list.map((x) => x.seq);

  const cases = [
    { name: 'empty', entries: [], limits, keep: [] },
    { name: 'a lone heartbeat stays', entries: [e(1, 'heartbeat')], limits, keep: [1] },
    {
      name: 'heartbeats superseded by a later heartbeat go',
      entries: [e(1, 'heartbeat'), e(2, 'heartbeat'), e(3, 'heartbeat')],
      limits,
      keep: [3],
    },
    {
      name: 'heartbeats superseded by a change go, the change stays',
      entries: [e(1, 'heartbeat'), e(2, 'change'), e(3, 'heartbeat'), e(4, 'change')],
      limits,
      keep: [2, 4],
    },
    {
      name: 'every change stays under the caps',
      entries: [e(1, 'change'), e(2, 'change'), e(3, 'heartbeat')],
      limits,
      keep: [1, 2, 3],
    },
    {
      name: 'over the count cap: the middle goes oldest-first; oldest and newest stay',
      entries: [1, 2, 3, 4, 5, 6].map((s) => e(s, 'change')),
      limits: { maxEntries: 3, maxBytes: 1e9 },
      keep: [1, 5, 6],
    },
    {
      name: 'over the byte cap',
      entries: [e(1, 'change', 400), e(2, 'change', 400), e(3, 'change', 400)],
      limits: { maxEntries: 100, maxBytes: 900 },
      keep: [1, 3],
    },
    {
      name: 'the newest stays even when alone over the byte cap',
      entries: [e(1, 'change', 5000)],
      limits: { maxEntries: 100, maxBytes: 10 },
      keep: [1],
    },
    {
      name: 'with a cap of one only the newest is left',
      entries: [e(1, 'change'), e(2, 'change'), e(3, 'change')],
      limits: { maxEntries: 1, maxBytes: 1e9 },
      keep: [3],
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(seqs(planCompaction(c.entries, c.limits).keep), c.keep));
});

describe('Outbox compaction and bound', () => {
  it('turns 10,000 heartbeats while the server is away into a small outbox that still holds every transition', async () => {
    const dir = await tempDir(fastBase);
    const outbox = await Outbox.open({ dir });
    const transitions: string[] = [];
    const states = [
      { state: { status: 'compliant' as const, pastDeadline: false, daysPastDeadline: 0 }, findings: [] },
      {
        state: { status: 'violation' as const, deadline: '2026-03-01T12:00:00.000Z', pastDeadline: false, daysPastDeadline: 0 },
        findings: [finding('whatsapp')],
      },
    ];
    let current = states[0]!;
    let lastId = '';
    const start = performance.now();
    for (let i = 0; i < 10_000; i++) {
      // Every 997th scan the state flips: a transition the server must see.
      if (i % 997 === 500) {
        current = current === states[0] ? states[1]! : states[0]!;
        const r = report({ kind: 'change', ...current });
        transitions.push(r.reportId);
        await outbox.enqueue(r);
      }
      const hb = report({ kind: 'heartbeat', ...current });
      lastId = hb.reportId;
      await outbox.enqueue(hb);
    }
    const ms = performance.now() - start;
    const kept = outbox.list();
    assert.deepEqual(
      kept.filter((k) => k.kind === 'change').map((k) => k.reportId),
      transitions,
    );
    assert.equal(kept.length, transitions.length + 1, 'transitions plus the latest heartbeat');
    assert.equal(kept[kept.length - 1]!.reportId, lastId);
    assert.equal((await entryFiles(dir)).length, kept.length, 'superseded heartbeats are gone from disk too');
    // Reloading from disk gives the same picture.
    assert.deepEqual(
      (await Outbox.open({ dir })).list().map((k) => k.reportId),
      kept.map((k) => k.reportId),
    );
    console.log(
      `# 10,000 heartbeats + ${transitions.length} transitions → ${kept.length} entries, ${outbox.bytes} bytes, ${Math.round(ms)} ms`,
    );
  });

  it('stays under its hard cap when the state flaps for weeks, dropping the middle of the backlog and saying so', async () => {
    const dir = await tempDir(fastBase);
    const log = memoryLogger();
    const outbox = await Outbox.open({ dir, log, maxEntries: 200, maxBytes: 10 * 1024 * 1024 });
    const ids: string[] = [];
    for (let i = 0; i < 1500; i++) ids.push((await outbox.enqueue(report({ kind: 'change' }))).reportId);
    const kept = outbox.list().map((e) => e.reportId);
    assert.equal(kept.length, 200);
    assert.equal(kept[0], ids[0], 'the oldest change continues the server’s history');
    assert.deepEqual(kept.slice(1), ids.slice(-199), 'then the newest ones');
    const warnings = log.lines.filter((l) => l.level === 'warn' && String(l.msg).startsWith('outbox over its cap'));
    assert.equal(
      warnings.reduce((n, l) => n + (l.count as number), 0),
      1300,
    );
    assert.equal((await entryFiles(dir)).length, 200);
  });

  it('applies the byte cap too', async () => {
    const dir = await tempDir();
    const outbox = await Outbox.open({ dir, maxBytes: 20_000 });
    for (let i = 0; i < 100; i++) await outbox.enqueue(report());
    assert.ok(outbox.bytes <= 20_000, `${outbox.bytes} bytes`);
    assert.ok(outbox.size > 10);
  });
});

describe('Outbox on a full disk', () => {
  it('rejects enqueue with DISK_FULL on a real 64 KiB tmpfs, keeps the queue intact and works again once there is room', async (t) => {
    const dir = await tempDir();
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'pipe' });
    } catch (err) {
      t.skip(
        `cannot mount a tmpfs here (needs root): ${(err as Error).message.split('\n')[0]}; the simulated test below covers the code path`,
      );
      return;
    }
    try {
      const log = memoryLogger();
      const outbox = await Outbox.open({ dir, log });
      // A fat report (~2.5 kB) fills 64 KiB after a few dozen.
      const fat = () =>
        report({
          state: { status: 'violation', deadline: '2026-03-01T12:00:00.000Z', pastDeadline: false, daysPastDeadline: 0 },
          findings: [
            finding('whatsapp', {
              installs: Array.from({ length: 20 }, (_, i) => ({
                source: 'dpkg' as const,
                scope: 'machine' as const,
                name: `whatsapp-part-${i}`,
                matchedBy: 'package' as const,
              })),
            }),
          ],
        });
      const accepted: string[] = [];
      let error: unknown;
      for (let i = 0; i < 1000 && !error; i++) {
        try {
          accepted.push((await outbox.enqueue(fat())).reportId);
        } catch (err) {
          error = err;
        }
      }
      assert.ok(error instanceof StateFileError, `expected StateFileError, got ${String(error)}`);
      assert.equal(error.code, 'DISK_FULL');
      assert.ok(accepted.length > 5);
      // The queue is what was accepted, every file complete, no temp file left.
      assert.deepEqual(
        outbox.list().map((e) => e.reportId),
        accepted,
      );
      assert.deepEqual(
        (await outbox.readAll()).map((r) => r.reportId),
        accepted,
      );
      assert.deepEqual(
        (await readdir(dir)).filter((n) => n.endsWith('.tmp')),
        [],
      );
      // Delivering frees room; enqueue works again.
      for (let i = 0; i < 5; i++) {
        const next = await outbox.peek();
        await outbox.remove(next!.entry);
      }
      await outbox.enqueue(fat());
      console.log(`# tmpfs 64 KiB: ${accepted.length} reports fit, then DISK_FULL; after 5 deliveries enqueue works again`);
    } finally {
      execFileSync('umount', [dir]);
    }
  });

  it('(simulated ENOSPC, for machines without root) leaves the queue unchanged and reports DISK_FULL', async () => {
    // Simulation: the injected writer throws what writeFileAtomic throws on ENOSPC. The real case is the tmpfs test above.
    const dir = await tempDir();
    let full = false;
    const outbox = await Outbox.open({
      dir,
      writeFile: async (path, data) => {
        if (full) throw new StateFileError('DISK_FULL', `disk full while writing ${path}`);
        await writeFile(path, data);
      },
    });
    await outbox.enqueue(report());
    full = true;
    await assert.rejects(outbox.enqueue(report()), (e: unknown) => e instanceof StateFileError && e.code === 'DISK_FULL');
    assert.equal(outbox.size, 1);
    full = false;
    await outbox.enqueue(report());
    assert.equal(outbox.size, 2);
  });

  it('says clearly when the outbox folder cannot be created', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'file'), 'x');
    await mkdir(join(dir, 'ok'));
    await assert.rejects(
      Outbox.open({ dir: join(dir, 'file', 'outbox') }),
      (e: unknown) => e instanceof StateFileError && e.code === 'DIR_FAILED',
    );
  });
});
