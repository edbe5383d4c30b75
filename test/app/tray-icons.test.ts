import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { TRAY_ICONS } from '../../app/main/tray-model.js';

// The committed icons (npm run icons renders them from scripts/tray-icons.mjs): every file the tray asks for exists,
// has its size, and the shapes alone tell the states apart.
const dir = new URL('../../assets/tray/', import.meta.url).pathname;
const png = (name: string) => PNG.sync.read(readFileSync(join(dir, name)));

describe('tray icons (assets/tray)', () => {
  const files: [suffix: string, px: number][] = [
    ['.png', 16],
    ['@2x.png', 32],
    ['-24.png', 24],
    ['-24@2x.png', 48],
    ['Template.png', 16],
    ['Template@2x.png', 32],
  ];
  for (const icon of TRAY_ICONS)
    it(`${icon}: every size and format`, () => {
      for (const [suffix, px] of files) {
        const img = png(`${icon}${suffix}`);
        assert.deepEqual([img.width, img.height], [px, px], `${icon}${suffix}`);
      }
      // ICO header: reserved 0, type 1 (icon), then the image count; each directory entry starts with its width.
      const ico = readFileSync(join(dir, `${icon}.ico`));
      assert.deepEqual([ico.readUInt16LE(0), ico.readUInt16LE(2)], [0, 1]);
      const count = ico.readUInt16LE(4);
      assert.deepEqual(
        Array.from({ length: count }, (_, i) => ico[6 + i * 16]),
        [16, 20, 24, 32, 48],
      );
    });

  it('macOS templates are black plus alpha only (the menu bar tints them)', () => {
    for (const icon of TRAY_ICONS)
      for (const suffix of ['Template.png', 'Template@2x.png']) {
        const { data } = png(`${icon}${suffix}`);
        for (let i = 0; i < data.length; i += 4)
          if (data[i + 3]! > 0)
            assert.deepEqual([data[i], data[i + 1], data[i + 2]], [0, 0, 0], `${icon}${suffix} pixel ${i / 4}`);
      }
  });

  it('the states differ by shape, not colour alone: the 16 px alpha masks differ pairwise in at least 20 pixels', () => {
    const mask = (icon: string) => {
      const { data } = png(`${icon}Template.png`);
      return Array.from({ length: data.length / 4 }, (_, i) => data[i * 4 + 3]! >= 128);
    };
    const masks = Object.fromEntries(TRAY_ICONS.map((i) => [i, mask(i)]));
    for (const a of TRAY_ICONS)
      for (const b of TRAY_ICONS) {
        if (a >= b) continue;
        const diff = masks[a]!.filter((v, i) => v !== masks[b]![i]).length;
        assert.ok(diff >= 20, `${a} vs ${b}: only ${diff} pixels differ`);
      }
  });

  it('colour icons carry an edge for light and a halo for dark taskbars (opaque dark and light pixels both present)', () => {
    for (const icon of TRAY_ICONS) {
      const { data } = png(`${icon}.png`);
      let dark = 0;
      let light = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3]! < 200) continue;
        const lum = 0.2126 * data[i]! + 0.7152 * data[i + 1]! + 0.0722 * data[i + 2]!;
        if (lum < 110) dark++;
        if (lum > 200) light++;
      }
      assert.ok(dark >= 10 && light >= 10, `${icon}: ${dark} dark, ${light} light opaque pixels`);
    }
  });
});
