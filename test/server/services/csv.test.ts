import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvCell, csvLine, withoutControlChars } from '../../../server/services/csv.js';

describe('CSV cells (issue 14 finding 8)', () => {
  it('defuses spreadsheet formulas, in ASCII and full-width forms', () => {
    for (const evil of ['=HYPERLINK("http://x","y")', '+1+cmd|/C calc!A0', '-2+3', '@SUM(A1)', '\t=1', '\r=1', '＝1+1', '＠x']) {
      const cell = csvCell(evil);
      assert.ok(cell.startsWith(`"'`), `${JSON.stringify(evil)} → ${cell}`);
    }
    assert.equal(csvCell('PC-AMT-0042'), '"PC-AMT-0042"');
    assert.equal(csvCell('a=b'), '"a=b"', 'only a leading sign is a formula');
  });

  it('replaces control characters and quotes quotes', () => {
    assert.equal(csvCell('PC\n=cmd'), '"PC\ufffd=cmd"');
    assert.equal(csvCell('a\u001b[31mred'), '"a\ufffd[31mred"');
    assert.equal(csvCell('say "hi", ok'), '"say ""hi"", ok"');
    assert.equal(withoutControlChars('x\u2028y\u0000z'), 'x\ufffdy\ufffdz');
  });

  it('writes numbers, booleans and null plainly and ends lines in CRLF', () => {
    assert.equal(csvLine(['a', 1, true, null]), '"a",1,true,\r\n');
  });
});
