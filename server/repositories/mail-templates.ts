import type { Kysely } from 'kysely';
import type { Database, MailKind } from '../db/schema.js';
import type { MailLang, MailTemplate } from '../mail/templates.js';

/** The admin's mail templates, one escalation_meta row per kind and language (`mail-template:warn:de`). */
const PREFIX = 'mail-template:';

export interface StoredTemplate extends MailTemplate {
  updatedAt: number;
  updatedBy: string;
}

export function mailTemplatesRepo(db: Kysely<Database>) {
  return {
    /** By `kind:lang`. */
    async all(): Promise<Map<string, StoredTemplate>> {
      const rows = await db.selectFrom('escalation_meta').selectAll().where('key', 'like', `${PREFIX}%`).execute();
      const out = new Map<string, StoredTemplate>();
      for (const r of rows) {
        try {
          out.set(r.key.slice(PREFIX.length), JSON.parse(r.value) as StoredTemplate);
        } catch {
          // A row that is not JSON is no template: the shipped one is used (render.ts).
        }
      }
      return out;
    },

    async put(kind: MailKind, lang: MailLang, t: StoredTemplate): Promise<void> {
      const value = JSON.stringify({
        subject: t.subject,
        text: t.text,
        html: t.html,
        updatedAt: t.updatedAt,
        updatedBy: t.updatedBy,
      });
      await db
        .insertInto('escalation_meta')
        .values({ key: `${PREFIX}${kind}:${lang}`, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
        .execute();
    },

    /** Back to the shipped template; false when there was no custom one. */
    async remove(kind: MailKind, lang: MailLang): Promise<boolean> {
      const r = await db.deleteFrom('escalation_meta').where('key', '=', `${PREFIX}${kind}:${lang}`).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
}
export type MailTemplatesRepo = ReturnType<typeof mailTemplatesRepo>;
