import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';

// The packaged app's Electron fuses (electron-builder.yml `electronFuses`). Flipping them in a real binary needs
// electron-builder with an Electron download, which is not possible here: the packaging lane's build does it; after a
// build, `npx @electron/fuses read --app <path to the app>` shows them (app/README.md, "Checking on Windows and macOS").
describe('electronFuses (electron-builder.yml)', () => {
  const config = parse(readFileSync(new URL('../../electron-builder.yml', import.meta.url), 'utf8')) as {
    electronFuses?: Record<string, boolean>;
  };
  const expected: Record<string, boolean> = {
    runAsNode: false, // the app binary is no Node: the agent runs on its own shipped runtime
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    onlyLoadAppFromAsar: true,
    enableEmbeddedAsarIntegrityValidation: true,
    grantFileProtocolExtraPrivileges: false, // the window loads from appwacht://, never file://
    enableCookieEncryption: true,
  };
  for (const [fuse, value] of Object.entries(expected))
    it(`${fuse}: ${value}`, () => assert.equal(config.electronFuses?.[fuse], value));
});
