/**
 * IT's managed settings in every form the installers ship (issue 11), held against the agent's config schema
 * (agent/config/schema.ts) so that none drifts from it: the Group Policy templates (ADMX + en-US/de-DE ADML, generated
 * by scripts/packaging/admx.ts), the macOS example profile and the Linux /etc/appwacht/config.json template. Also the macOS
 * pkg scripts and launchd definitions, which cannot run here (no macOS): parsed and syntax-checked only.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CONFIG_KEYS, CONFIG_KEY_NAMES, validateValue } from '../../agent/config/schema.js';
import { parsePlistDict } from '../../agent/inventory/sources/plist.js';
import { POLICY_DIR, TEXTS, templates } from '../../scripts/packaging/admx.js';
import { REPO } from '../helpers/cli.js';

const run = promisify(execFile);
const hasXmllint = spawnSync('sh', ['-c', 'command -v xmllint']).status === 0;
const MANAGED_NAMES: string[] = CONFIG_KEY_NAMES.map((k) => CONFIG_KEYS[k].managedName).sort();

/** The registry values an ADMX writes, read from its text (independently of the generator). */
function admxValueNames(admx: string): string[] {
  return [...admx.matchAll(/\bvalueName="([^"]+)"/g)].map((m) => m[1]!).sort();
}

/** What a drift check reports: names the schema has and the template lacks, and the other way round. */
function drift(names: string[]): { missing: string[]; extra: string[] } {
  return {
    missing: MANAGED_NAMES.filter((n) => !names.includes(n)),
    extra: names.filter((n) => !MANAGED_NAMES.includes(n)),
  };
}

describe('Group Policy templates (ADMX/ADML)', () => {
  it('the committed files are what scripts/packaging/admx.ts generates from the schema (run it after changing a key)', async () => {
    for (const [rel, text] of Object.entries(templates())) {
      assert.equal(await readFile(join(POLICY_DIR, rel), 'utf8'), text, `${rel} is stale: npx tsx scripts/packaging/admx.ts`);
    }
  });

  it('the ADMX writes exactly the managed names the agent reads, as strings below SOFTWARE\\Policies\\Appwacht', async () => {
    const admx = await readFile(join(POLICY_DIR, 'appwacht.admx'), 'utf8');
    assert.deepEqual(drift(admxValueNames(admx)), { missing: [], extra: [] });
    const keys = new Set([...admx.matchAll(/<policy [^>]*\bkey="([^"]+)"/g)].map((m) => m[1]));
    assert.deepEqual([...keys], ['SOFTWARE\\Policies\\Appwacht']);
    // managed.windows.ts takes REG_SZ/REG_EXPAND_SZ only: no DWORD-writing elements.
    assert.doesNotMatch(admx, /<(decimal|longDecimal|boolean|list|multiText)\b/);
    assert.doesNotMatch(admx, /<(enabledValue|disabledValue)>/);
  });

  it('the drift check itself fails for a key added to one side only', () => {
    const schemaOnly = drift(MANAGED_NAMES.filter((n) => n !== 'Proxy'));
    assert.deepEqual(schemaOnly, { missing: ['Proxy'], extra: [] });
    const templateOnly = drift([...MANAGED_NAMES, 'AutoUpdateUrl']);
    assert.deepEqual(templateOnly, { missing: [], extra: ['AutoUpdateUrl'] });
    // And the generator's text table is typed by the key list: a schema key without German and English texts does
    // not compile (TEXTS: Record<ConfigKey, …>); here the same at run time.
    assert.deepEqual(Object.keys(TEXTS).sort(), [...CONFIG_KEY_NAMES].sort());
  });

  it('each drop-down offers only values the agent accepts', async () => {
    const admx = await readFile(join(POLICY_DIR, 'appwacht.admx'), 'utf8');
    const enums = [...admx.matchAll(/<enum id="([^"]+)"[^>]*>([\s\S]*?)<\/enum>/g)];
    assert.deepEqual(enums.map((m) => m[1]).sort(), ['AgentMode', 'Language', 'LogLevel']);
    for (const [, name, body] of enums) {
      const key = CONFIG_KEY_NAMES.find((k) => CONFIG_KEYS[k].managedName === name)!;
      for (const [, value] of body!.matchAll(/<string>([^<]*)<\/string>/g))
        assert.ok(validateValue(key, value).ok, `${name}=${value} is accepted by the schema`);
    }
  });

  it('both ADMLs define every string and presentation the ADMX names, in their own language', async () => {
    const admx = await readFile(join(POLICY_DIR, 'appwacht.admx'), 'utf8');
    const strings = new Set([...admx.matchAll(/\$\(string\.([^)]+)\)/g)].map((m) => m[1]));
    const presentations = new Set([...admx.matchAll(/\$\(presentation\.([^)]+)\)/g)].map((m) => m[1]));
    const texts: Record<string, string> = {};
    for (const lang of ['en-US', 'de-DE']) {
      const adml = await readFile(join(POLICY_DIR, lang, 'appwacht.adml'), 'utf8');
      texts[lang] = adml;
      const defined = new Set([...adml.matchAll(/<string id="([^"]+)">/g)].map((m) => m[1]));
      const shown = new Set([...adml.matchAll(/<presentation id="([^"]+)">/g)].map((m) => m[1]));
      for (const s of strings) assert.ok(defined.has(s), `${lang}: string ${s}`);
      for (const p of presentations) assert.ok(shown.has(p), `${lang}: presentation ${p}`);
    }
    assert.match(texts['de-DE']!, /Registrierungsgeheimnis/);
    assert.match(texts['en-US']!, /Enrollment secret/);
  });

  it(
    'ADMX and ADMLs are well-formed XML (xmllint --noout)',
    { skip: hasXmllint ? false : 'xmllint is not installed (.ci/run installs libxml2-utils)' },
    async () => {
      const files = ['appwacht.admx', 'en-US/appwacht.adml', 'de-DE/appwacht.adml'].map((f) => join(POLICY_DIR, f));
      await run('xmllint', ['--noout', ...files]);
      // The check can fail: a broken copy is refused.
      const broken = spawnSync('xmllint', ['--noout', '-'], {
        input: templates()['appwacht.admx']!.replace('</policies>', ''),
        encoding: 'utf8',
      });
      assert.notEqual(broken.status, 0);
    },
  );
});

describe('macOS managed preferences and launchd definitions', () => {
  it('the example .mobileconfig parses, names only managed keys the agent reads, and valid example values', async () => {
    const profile = parsePlistDict(await readFile(join(REPO, 'build', 'macos', 'Appwacht.mobileconfig')));
    assert.equal(profile.PayloadType, 'Configuration');
    const payloads = profile.PayloadContent as Record<string, unknown>[];
    const settings = payloads.find((p) => p.PayloadType === 'de.appwacht.agent')!;
    assert.ok(settings, 'a payload for the agent’s preference domain (managed.macos.ts MACOS_BUNDLE_ID)');
    const keys = Object.keys(settings).filter((k) => !k.startsWith('Payload'));
    assert.deepEqual(drift(keys).extra, [], 'no key the agent does not know');
    for (const name of ['ServerUrl', 'EnrollmentSecret', 'PolicyPublicKey']) assert.ok(keys.includes(name), name);
    assert.ok(validateValue('serverUrl', settings.ServerUrl).ok);
    assert.ok(validateValue('agentMode', settings.AgentMode).ok);
    const uuids = [profile, ...payloads].map((p) => p.PayloadUUID as string);
    assert.equal(new Set(uuids).size, uuids.length, 'PayloadUUIDs are unique');
  });

  it('the LaunchDaemon and LaunchAgent run what the pkg puts into the app bundle', async () => {
    const daemon = parsePlistDict(await readFile(join(REPO, 'build', 'macos', 'de.appwacht.agent.plist')));
    const args = daemon.ProgramArguments as string[];
    assert.equal(args[0], '/Applications/Appwacht.app/Contents/Resources/runtime/bin/node');
    assert.equal(args[2], '/Applications/Appwacht.app/Contents/Resources/agent/bin/appwacht.js');
    const builder = await readFile(join(REPO, 'electron-builder.yml'), 'utf8');
    assert.match(builder, /mac-\$\{arch\}", to: runtime \}/, 'electron-builder puts the runtime at Resources/runtime');
    const tray = parsePlistDict(await readFile(join(REPO, 'build', 'macos', 'de.appwacht.tray.plist')));
    assert.equal(tray.Label, 'de.appwacht.tray');
    assert.equal(tray.LimitLoadToSessionType, 'Aqua');
    assert.deepEqual(tray.KeepAlive, { SuccessfulExit: false }, 'restarted after a crash, not after the employee quits it');
  });

  it('the pkg scripts are valid sh and load both launchd jobs', async () => {
    for (const script of ['pkg-scripts/preinstall', 'pkg-scripts/postinstall', 'uninstall.sh']) {
      const path = join(REPO, 'build', 'macos', script);
      await run('sh', ['-n', path]);
    }
    const post = await readFile(join(REPO, 'build', 'macos', 'pkg-scripts', 'postinstall'), 'utf8');
    assert.match(post, /launchctl bootstrap system \/Library\/LaunchDaemons\/de\.appwacht\.agent\.plist/);
    assert.match(post, /\/Library\/LaunchAgents\/de\.appwacht\.tray\.plist/);
  });
});

describe('Linux /etc/appwacht/config.json template', () => {
  it('names only settings the agent knows, all empty (not set) until IT fills them', async () => {
    const template = JSON.parse(await readFile(join(REPO, 'build', 'linux', 'config.json'), 'utf8')) as Record<string, string>;
    for (const [key, value] of Object.entries(template)) {
      assert.ok((CONFIG_KEY_NAMES as string[]).includes(key), `${key} is a config key`);
      assert.equal(value, '', `${key} is empty: the agent treats it as not set`);
    }
  });
});
