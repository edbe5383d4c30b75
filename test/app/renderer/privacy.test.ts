import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { REPORT_FIELDS } from '../../../app/renderer/privacy.js';
import { Report } from '../../../protocol/index.js';

/** Every leaf path of a zod schema, spelled as privacy.ts spells them (`findings[].installs[].location`). */
function leafPaths(schema: z.ZodType, prefix = ''): string[] {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) return leafPaths(schema.unwrap() as z.ZodType, prefix);
  if (schema instanceof z.ZodObject)
    return Object.entries(schema.shape as Record<string, z.ZodType>).flatMap(([k, v]) =>
      leafPaths(v, prefix ? `${prefix}.${k}` : k),
    );
  if (schema instanceof z.ZodArray) {
    const inner = leafPaths(schema.element as z.ZodType, `${prefix}[]`);
    return inner.length === 1 && inner[0] === `${prefix}[]` ? [prefix] : inner; // an array of plain values is one field
  }
  return [prefix];
}

describe('the privacy statement of "What is reported"', () => {
  it('describes exactly the fields of the protocol’s Report schema, no more, no fewer', () => {
    const fromSchema = leafPaths(Report).sort();
    assert.ok(fromSchema.length > 20, `the walk found only ${fromSchema.length} fields`);
    assert.deepEqual(Object.keys(REPORT_FIELDS).sort(), fromSchema);
  });

  it('says each field and its retention in German and English', () => {
    for (const [path, f] of Object.entries(REPORT_FIELDS)) {
      assert.ok(f.what.de.length > 3 && f.what.en.length > 3, path);
      assert.notEqual(f.what.de, f.what.en, path);
    }
  });
});
