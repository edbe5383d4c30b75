import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Report } from '../../../protocol/index.js';
import { Outbox } from '../../../agent/outbox/outbox.js';
import { spawnTs } from '../../helpers/child.js';

const CHILD = 'test/agent/outbox/children/enqueue-loop.ts';
const ROUNDS = Number(process.env.APPWACHT_KILL_ROUNDS ?? 50);
const ENTRY = /^\d{12}-change-([0-9a-f-]{36})\.json$/;

let dir: string;
after(async () => dir && (await rm(dir, { recursive: true, force: true })));

describe('Outbox durability under SIGKILL', () => {
  it(`loses nothing whose enqueue resolved and tears nothing, over ${ROUNDS} kills at random moments`, async () => {
    // The real disk (not tmpfs): fsync and rename are what is under test.
    dir = await mkdtemp(join(tmpdir(), 'appwacht-durability-'));
    const resolved = new Set<string>();
    const tried = new Set<string>();
    let leftoverTemps = 0;
    let killedMidEnqueue = 0;

    for (let round = 0; round < ROUNDS; round++) {
      const child = spawnTs(CHILD, [dir]);
      await child.waitFor(/^ready$/);
      await new Promise((r) => setTimeout(r, Math.random() * 150));
      await child.kill();

      for (const line of child.lines) {
        const [what, id] = line.split(' ');
        if (what === 'ok') resolved.add(id!);
        if (what === 'try') tried.add(id!);
      }
      const last = child.lines[child.lines.length - 1] ?? '';
      if (last.startsWith('try ')) killedMidEnqueue++;

      // Inspect the raw folder before anything cleans it: every entry file is complete and valid.
      const names = await readdir(dir);
      leftoverTemps += names.filter((n) => n.endsWith('.tmp')).length;
      const onDisk: string[] = [];
      for (const name of names) {
        const m = ENTRY.exec(name);
        if (!m) continue;
        const text = await readFile(join(dir, name), 'utf8');
        const parsed = Report.safeParse(JSON.parse(text));
        assert.ok(parsed.success, `round ${round}: torn or invalid file ${name}: ${text.slice(0, 80)}`);
        assert.equal(parsed.data.reportId, m[1], `round ${round}: ${name} holds another report`);
        onDisk.push(m[1]!);
      }
      assert.equal(new Set(onDisk).size, onDisk.length, `round ${round}: a report is on disk twice`);
      for (const id of resolved) assert.ok(onDisk.includes(id), `round ${round}: report ${id} resolved but is lost`);
      for (const id of onDisk) assert.ok(tried.has(id), `round ${round}: ${id} on disk was never enqueued`);

      // And the outbox loads it: same set, each once, temp files gone.
      const outbox = await Outbox.open({ dir, maxEntries: 1_000_000, maxBytes: 1e12 });
      const listed = outbox.list().map((e) => e.reportId);
      assert.deepEqual(new Set(listed), new Set(onDisk));
      assert.equal((await readdir(dir)).filter((n) => n.endsWith('.tmp')).length, 0);
      assert.equal((await outbox.readAll()).length, listed.length, `round ${round}: an entry did not read back`);
    }

    const extra = [...(await Outbox.open({ dir, maxEntries: 1_000_000, maxBytes: 1e12 })).list()].length - resolved.size;
    console.log(
      `# ${ROUNDS} SIGKILLs: ${resolved.size} enqueues resolved, all present once; ${extra} more on disk whose enqueue was cut short ` +
        `after the rename; killed mid-enqueue ${killedMidEnqueue}×; ${leftoverTemps} temp files from cut writes cleaned up`,
    );
    assert.ok(resolved.size > ROUNDS, 'the child got real work done between kills');
  });
});
