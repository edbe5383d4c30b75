import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { bundleInfoFrom, parsePlistDict, PlistError } from '../../../../agent/inventory/sources/plist.js';

const fixture = (rel: string) => readFileSync(new URL(`../../../fixtures/macos/root/${rel}`, import.meta.url));

/** A binary plist made by Python's plistlib, the same writer the fixtures use. */
function binaryPlist(value: unknown): Buffer {
  const script =
    'import json,plistlib,sys; sys.stdout.buffer.write(plistlib.dumps(json.load(sys.stdin), fmt=plistlib.FMT_BINARY))';
  return execFileSync('python3', ['-c', script], { input: JSON.stringify(value) });
}

describe('parsePlistDict()', () => {
  it('reads an XML Info.plist copied from TelegramSwift', () => {
    const dict = parsePlistDict(fixture('Applications/Telegram.app/Contents/Info.plist'));
    assert.equal(dict.CFBundleIdentifier, 'ru.keepcoder.Telegram');
    assert.deepEqual(dict.UIAppFonts, ['SFCompactRounded-Semibold.otf']);
  });

  it('reads a binary (bplist00) Info.plist', () => {
    const bytes = fixture('Applications/WhatsApp.app/Contents/Info.plist');
    assert.equal(bytes.subarray(0, 8).toString('latin1'), 'bplist00');
    assert.equal(parsePlistDict(bytes).CFBundleIdentifier, 'net.whatsapp.WhatsApp');
  });

  it('reads an XML plist written as UTF-16 with a byte-order mark', () => {
    const xml = '<?xml version="1.0"?><plist version="1.0"><dict><key>CFBundleName</key><string>Zoë</string></dict></plist>';
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, 'utf16le')]);
    assert.equal(parsePlistDict(bytes).CFBundleName, 'Zoë');
  });

  const bad: Array<[string, Buffer, string]> = [
    ['text that is neither XML nor binary', Buffer.from('This is not a property list.\n'), 'PLIST_FORMAT'],
    ['an empty file', Buffer.alloc(0), 'PLIST_FORMAT'],
    ['an OpenStep (old ASCII) plist', Buffer.from('{ CFBundleName = "X"; }'), 'PLIST_FORMAT'],
    [
      'XML cut off in the middle',
      Buffer.from('<?xml version="1.0"?><plist version="1.0"><dict><key>CFBundleName</key><str'),
      'PLIST_MALFORMED',
    ],
    ['the magic of a binary plist and nothing else', Buffer.from('bplist00'), 'PLIST_MALFORMED'],
    ['a binary plist cut in half', fixture('Applications/Truncated.app/Contents/Info.plist'), 'PLIST_MALFORMED'],
    [
      'an XML plist whose root is an array',
      Buffer.from('<plist version="1.0"><array><string>x</string></array></plist>'),
      'PLIST_NOT_DICT',
    ],
    ['a binary plist whose root is a string', binaryPlist('just a string'), 'PLIST_NOT_DICT'],
  ];
  for (const [what, bytes, code] of bad) {
    it(`rejects ${what} with ${code}`, () => {
      assert.throws(
        () => parsePlistDict(bytes),
        (err: unknown) => err instanceof PlistError && err.code === code,
      );
    });
  }

  it('keeps xmldom’s error chatter out of stderr', () => {
    const original = console.error;
    const seen: unknown[] = [];
    console.error = (...args: unknown[]) => void seen.push(args);
    try {
      assert.throws(() => parsePlistDict(Buffer.from('<plist><dict><key>a</key>')), PlistError);
    } finally {
      console.error = original;
    }
    assert.deepEqual(seen, []);
  });
});

describe('bundleInfoFrom()', () => {
  const cases: Array<[string, Record<string, unknown>, ReturnType<typeof bundleInfoFrom>['info'], number]> = [
    [
      'prefers CFBundleDisplayName and CFBundleShortVersionString',
      {
        CFBundleIdentifier: 'com.tencent.WeWorkMac',
        CFBundleName: '企业微信',
        CFBundleDisplayName: 'WeCom',
        CFBundleShortVersionString: '4.1.30',
        CFBundleVersion: '4.1.30.99003',
        CFBundleExecutable: '企业微信',
      },
      { bundleId: 'com.tencent.WeWorkMac', name: 'WeCom', version: '4.1.30', executable: '企业微信' },
      0,
    ],
    [
      'falls back to CFBundleName and CFBundleVersion',
      { CFBundleIdentifier: 'x.y', CFBundleName: 'Y', CFBundleVersion: '12' },
      { bundleId: 'x.y', name: 'Y', version: '12' },
      0,
    ],
    ['takes a numeric version as written', { CFBundleShortVersionString: 3.5 }, { version: '3.5' }, 0],
    ['treats blank strings as missing', { CFBundleName: '  ', CFBundleIdentifier: '' }, {}, 0],
    ['reports a key of the wrong type', { CFBundleIdentifier: 42, CFBundleName: ['a'] }, {}, 2],
  ];
  for (const [what, dict, info, problemCount] of cases) {
    it(what, () => {
      const result = bundleInfoFrom(dict);
      assert.deepEqual(result.info, info);
      assert.equal(result.problems.length, problemCount, result.problems.join('; '));
    });
  }
});
