import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../../context.js';
import { badRequest, notFound } from '../../errors.js';
import { renderMail } from '../../mail/render.js';
import {
  checkTemplate,
  defaultTemplate,
  MAIL_KINDS,
  MAIL_LANGS,
  SAMPLE_FACTS,
  TemplateError,
  VARIABLES,
  type MailTemplate,
} from '../../mail/templates.js';
import { ADMIN_PREFIX } from '../../plugins/auth.js';
import { errors } from '../schemas.js';

const Params = z.strictObject({ kind: z.enum(MAIL_KINDS), lang: z.enum(MAIL_LANGS) });
const Template = z.strictObject({
  subject: z.string().min(1).max(300),
  text: z.string().min(1).max(20_000),
  html: z.string().min(1).max(50_000),
});
const Rendered = z.object({ subject: z.string(), text: z.string(), html: z.string() });
const TemplateItem = Template.extend({
  kind: z.enum(MAIL_KINDS),
  lang: z.enum(MAIL_LANGS),
  custom: z.boolean(),
  updatedAt: z.string().nullable(),
  updatedBy: z.string().nullable(),
});

/** Checks a template and renders the whole mail (both languages) with sample facts; a 400 names what is wrong. */
function preview(kind: (typeof MAIL_KINDS)[number], lang: (typeof MAIL_LANGS)[number], t: MailTemplate) {
  try {
    checkTemplate(t);
  } catch (err) {
    if (err instanceof TemplateError) throw badRequest(err.code, err.message);
    throw err;
  }
  return renderMail({ ...SAMPLE_FACTS, kind }, new Map([[`${kind}:${lang}`, t]]), (_k, err) => {
    throw badRequest('TEMPLATE_INVALID', err.message);
  });
}

/**
 * The mails' templates (mustache, logic-less; see server/mail/templates.ts): read, preview, change, reset. Every
 * change is audited; what is saved is checked first, so a template that would fail never reaches the queue.
 */
export function adminMailTemplateRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      `${ADMIN_PREFIX}/mail-templates`,
      {
        schema: {
          tags: ['admin'],
          summary: 'The mail templates per kind and language (custom or shipped) and the variables they may use',
          response: {
            200: z.object({ items: z.array(TemplateItem), variables: z.record(z.string(), z.string()) }),
            ...errors(401),
          },
        },
      },
      async () => {
        const stored = await ctx.repos.mailTemplates.all();
        const items = MAIL_KINDS.flatMap((kind) =>
          MAIL_LANGS.map((lang) => {
            const mine = stored.get(`${kind}:${lang}`);
            const t = mine ?? defaultTemplate(kind, lang);
            return {
              kind,
              lang,
              subject: t.subject,
              text: t.text,
              html: t.html,
              custom: mine !== undefined,
              updatedAt: mine ? new Date(mine.updatedAt).toISOString() : null,
              updatedBy: mine?.updatedBy ?? null,
            };
          }),
        );
        return { items, variables: { ...VARIABLES } };
      },
    );

    app.post(
      `${ADMIN_PREFIX}/mail-templates/:kind/:lang/preview`,
      {
        schema: {
          tags: ['admin'],
          summary: 'Check a template and render the whole mail with sample facts, without saving',
          params: Params,
          body: Template,
          response: { 200: Rendered, ...errors(400, 401, 403) },
        },
      },
      async (req) => preview(req.params.kind, req.params.lang, req.body),
    );

    app.put(
      `${ADMIN_PREFIX}/mail-templates/:kind/:lang`,
      {
        schema: {
          tags: ['admin'],
          summary: 'Save a template (checked first: known variables only, no partials, no unescaped output in HTML)',
          params: Params,
          body: Template,
          response: { 200: z.object({ preview: Rendered }), ...errors(400, 401, 403) },
        },
      },
      async (req) => {
        const { kind, lang } = req.params;
        const rendered = preview(kind, lang, req.body);
        const now = ctx.now();
        await ctx.tx(async (repos) => {
          await repos.mailTemplates.put(kind, lang, { ...req.body, updatedAt: now, updatedBy: req.admin!.actor });
          await repos.audit.append({
            at: now,
            actor: req.admin!.actor,
            action: 'mail-template.update',
            target: `mail-template:${kind}:${lang}`,
            details: { subject: req.body.subject, textChars: req.body.text.length, htmlChars: req.body.html.length },
          });
        });
        return { preview: rendered };
      },
    );

    app.delete(
      `${ADMIN_PREFIX}/mail-templates/:kind/:lang`,
      {
        schema: {
          tags: ['admin'],
          summary: 'Go back to the shipped template',
          params: Params,
          response: { 204: z.null(), ...errors(400, 401, 403, 404) },
        },
      },
      async (req, reply) => {
        const { kind, lang } = req.params;
        const now = ctx.now();
        const removed = await ctx.tx(async (repos) => {
          if (!(await repos.mailTemplates.remove(kind, lang))) return false;
          await repos.audit.append({
            at: now,
            actor: req.admin!.actor,
            action: 'mail-template.reset',
            target: `mail-template:${kind}:${lang}`,
          });
          return true;
        });
        if (!removed) throw notFound('this template is the shipped one already');
        return reply.code(204).send(null);
      },
    );
  };
}
