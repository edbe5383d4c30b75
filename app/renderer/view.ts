import { describeInstall, quitSteps, removalSteps, type RemovalStep } from '../../agent/catalog/removal.js';
import { formatDate } from '../../agent/i18n.js';
import type { LadderView, Lang, Report } from '../../protocol/index.js';
import type { AppFinding, AppState, ContactKind, LastReportView } from '../shared/bridge.js';
import { BIDI_CONTROLS, data, h, icon } from './dom.js';
import { CONDITION_ICONS, TONE } from './icons.js';
import { NEVER_REPORTED, REPORT_FIELDS, RETENTION_TEXT, type ReportField } from './privacy.js';
import { formatMoment, TEXTS, type Texts } from './texts.js';

/** What the page itself adds to the state: the answer to the last "Check now". */
export interface UiNote {
  text: string;
  tone: 'info' | 'error';
}

export interface ViewActions {
  checkNow(): void;
  setLanguage(lang: Lang): void;
  openContact(kind: ContactKind): void;
}

/** Builds the whole window from the state: sections in reading order, each with a heading for keyboard and screen reader. */
export function renderWindow(
  state: AppState,
  report: LastReportView | null,
  note: UiNote | null,
  actions: ViewActions,
): HTMLElement {
  const t = TEXTS[state.lang];
  // Overdue or blocked: what happens to mail and calendar matters most, so the ladder comes before the findings.
  const urgent = state.ladder?.view.step === 'overdue' || state.ladder?.view.step === 'blocked';
  return h(
    'div',
    { class: 'page' },
    header(state, t, actions),
    h(
      'main',
      {},
      status(state, t, note, actions),
      ...(urgent ? [ladder(state, t), findings(state, t)] : [findings(state, t), ladder(state, t)]),
      help(state, t, actions),
      reported(state, report, t),
      about(state, t),
    ),
  );
}

function header(state: AppState, t: Texts, actions: ViewActions): HTMLElement {
  const lang = (code: Lang, label: string) => {
    const b = h('button', { type: 'button', id: `lang-${code}`, lang: code, 'aria-pressed': String(state.lang === code) }, label);
    b.addEventListener('click', () => actions.setLanguage(code));
    return b;
  };
  return h(
    'header',
    { class: 'top' },
    h('h1', {}, 'Appwacht'),
    h('div', { class: 'langs', role: 'group', 'aria-label': t.language }, lang('de', 'Deutsch'), lang('en', 'English')),
  );
}

function status(state: AppState, t: Texts, note: UiNote | null, actions: ViewActions): HTMLElement {
  const c = state.condition;
  const button = h(
    'button',
    { type: 'button', class: 'primary', id: 'check-now' },
    state.check.running ? t.checking : t.checkNow,
  );
  if (state.check.running) button.setAttribute('aria-disabled', 'true');
  button.addEventListener('click', () => {
    if (button.getAttribute('aria-disabled') !== 'true') actions.checkNow();
  });
  const lines: (string | HTMLElement)[] = [];
  if (state.lastCheck) lines.push(t.lastCheck(formatMoment(state.lastCheck.at, state.lang)));
  else lines.push(t.noCheckYet);
  const offline =
    c === 'offline'
      ? h(
          'p',
          {},
          state.agent.reachable ? '' : `${t.agent}: ${t.unreachable}. `,
          state.server.url
            ? `${t.server}: ${state.server.lastContactAt ? t.lastContact(formatMoment(state.server.lastContactAt, state.lang)) : t.neverContacted}`
            : '',
          state.server.lastError ? ' — ' : '',
          state.server.lastError ? data(state.server.lastError) : null,
        )
      : null;
  return h(
    'section',
    { class: `status tone-${TONE[c]}`, 'aria-labelledby': 'status-headline', 'data-condition': c },
    h('div', { class: 'status-head' }, icon(CONDITION_ICONS[c], `icon-${c}`), h('h2', { id: 'status-headline' }, t.headline[c])),
    h('p', {}, t.explain[c]),
    offline,
    state.policy?.message ? h('p', { class: 'policy-message' }, data(state.policy.message[state.lang])) : null,
    h('div', { class: 'check' }, button, h('p', { class: 'muted' }, ...lines)),
    // Shown here; announced by the page's one live region (#announce in index.html), which repaints do not replace.
    note ? h('p', { class: `note note-${note.tone}` }, note.text) : null,
  );
}

function findings(state: AppState, t: Texts): HTMLElement {
  const lc = state.lastCheck;
  const section = h('section', { 'aria-labelledby': 'findings-h' }, h('h2', { id: 'findings-h' }, t.findings));
  if (!lc) return section;
  if (lc.findings.length === 0) section.append(h('p', {}, t.noFindings));
  for (const f of lc.findings) section.append(finding(f, state, t));
  if (lc.gaps.length)
    section.append(
      h(
        'p',
        { class: 'muted' },
        `${t.gaps}: `,
        ...lc.gaps.flatMap((g, i) => [i ? ', ' : '', data(g.source ? `${g.source} (${g.code})` : g.code, 'code')]),
      ),
    );
  return section;
}

function finding(f: AppFinding, state: AppState, t: Texts): HTMLElement {
  const lang = state.lang;
  const banned = f.action === 'ban';
  const evidence = f.evidence.map((e) => (e === 'installed' ? t.installed : t.running)).join(', ');
  const article = h(
    'article',
    { class: `finding ${banned ? 'finding-ban' : 'finding-warn'}` },
    h(
      'h3',
      {},
      h('span', { class: `badge ${banned ? 'badge-ban' : 'badge-warn'}` }, banned ? t.banned : t.warned),
      ' ',
      data(f.name),
    ),
    h('p', {}, evidence, f.deadline ? ` · ${t.deadline(formatDate(f.deadline, lang))}` : ''),
    f.message ? h('p', {}, data(f.message[lang])) : null,
    f.containerNote ? h('p', { class: 'muted' }, data(f.containerNote[lang])) : null,
  );
  for (const install of f.installs) {
    article.append(
      h(
        'div',
        { class: 'install' },
        h(
          'p',
          {},
          h('strong', {}, `${t.where}: `),
          data(describeInstall(install)[lang]),
          install.location ? ' — ' : '',
          install.location ? data(install.location, 'code') : null,
        ),
        h('p', { class: 'steps-h' }, t.howToRemove),
        steps(removalSteps(install, state.os), lang),
      ),
    );
  }
  if (f.processes.length) {
    article.append(h('p', { class: 'muted' }, data(t.processes(f.processes.map((p) => `${p.name} (${p.pid})`).join(', ')))));
    if (f.installs.length === 0) article.append(steps(quitSteps(f.name, state.os), lang));
  }
  return article;
}

function steps(list: RemovalStep[], lang: Lang): HTMLElement {
  return h(
    'ol',
    { class: 'steps' },
    ...list.map((s) => h('li', {}, data(s.text[lang]), s.command ? h('pre', {}, data(s.command, 'code')) : null)),
  );
}

/** Dates the organisation sets (a deadline, an exemption's end, the day sync will be blocked) read as days; the rest as moments. */
const LADDER_DATES = [
  'deadline',
  'warnedAt',
  'blockAt',
  'blockedAt',
  'exemptUntil',
] as const satisfies readonly (keyof LadderView)[];
const AS_DAY = new Set<string>(['deadline', 'blockAt', 'exemptUntil']);

function ladder(state: AppState, t: Texts): HTMLElement {
  const section = h('section', { 'aria-labelledby': 'ladder-h' }, h('h2', { id: 'ladder-h' }, t.ladder));
  if (!state.ladder) {
    section.append(h('p', {}, t.ladderUnknown));
    return section;
  }
  const { view, receivedAt } = state.ladder;
  const lang = state.lang;
  section.append(h('p', { 'data-step': view.step }, h('strong', {}, t.ladderStep[view.step])));
  const dl = h('dl', { class: 'facts' });
  for (const key of LADDER_DATES) {
    const v = view[key];
    if (v) dl.append(h('dt', {}, t.ladderFacts[key]), h('dd', {}, AS_DAY.has(key) ? formatDate(v, lang) : formatMoment(v, lang)));
  }
  if (view.next)
    dl.append(h('dt', {}, t.ladderFacts.next), h('dd', {}, `${t.nextStep[view.next.step]} – ${formatDate(view.next.at, lang)}`));
  if (dl.childElementCount) section.append(dl);
  if (!view.enforced) section.append(h('p', { class: 'muted' }, t.notEnforced));
  section.append(h('p', { class: 'muted' }, t.ladderSaidAt(formatMoment(receivedAt, lang))));
  return section;
}

function help(state: AppState, t: Texts, actions: ViewActions): HTMLElement {
  const section = h('section', { 'aria-labelledby': 'help-h' }, h('h2', { id: 'help-h' }, t.help));
  const s = state.support;
  const kinds = (['email', 'phone', 'url'] as const).filter((k) => s?.[k]);
  if (!s || kinds.length === 0) {
    section.append(h('p', {}, t.noContact));
    return section;
  }
  section.append(h('p', {}, data(t.helpIntro(state.policy?.organization ?? ''))));
  const list = h('ul', { class: 'contacts' });
  for (const kind of kinds) {
    // A button, not a link: main opens the policy's own address for this kind; the page hands over no URL.
    const b = h('button', { type: 'button', class: 'link', id: `contact-${kind}` }, data(s[kind]!));
    b.addEventListener('click', () => actions.openContact(kind));
    list.append(h('li', {}, `${t.contact[kind]}: `, b));
  }
  section.append(list);
  return section;
}

function reported(state: AppState, report: LastReportView | null, t: Texts): HTMLElement {
  const lang = state.lang;
  const section = h(
    'section',
    { id: 'reported', 'aria-labelledby': 'reported-h', tabindex: '-1' },
    h('h2', { id: 'reported-h' }, t.reported),
    h('p', {}, t.reportedIntro),
    h('p', {}, NEVER_REPORTED[lang]),
  );
  section.append(h('h3', {}, t.lastReport));
  if (!report) section.append(h('p', {}, t.noReport));
  else {
    // Only a report that was never delivered is "waiting"; one whose copy is unreadable may not say when it went.
    if (report.deliveredAt) section.append(h('p', {}, t.sentAt(formatMoment(report.deliveredAt, lang))));
    else if (!report.notShown) section.append(h('p', {}, t.notSentYet));
    section.append(
      h(
        'p',
        {},
        t.queue(report.queue.count),
        report.queue.count && report.queue.oldestAt ? ` (${t.queueOldest(formatMoment(report.queue.oldestAt, lang))})` : '',
      ),
    );
    if (report.report)
      section.append(
        h(
          'details',
          { id: 'payload' },
          h('summary', {}, t.payload),
          h('pre', { class: 'payload', tabindex: '0' }, data(payloadText(report.report), 'code')),
        ),
      );
    else if (report.notShown) section.append(h('p', { id: 'payload-not-shown' }, t.payloadNotShown[report.notShown]));
  }
  const facts = state.device.facts;
  if (facts && Object.keys(facts).length) {
    const dl = h('dl', { class: 'facts' });
    for (const key of Object.keys(t.facts) as (keyof typeof t.facts)[]) {
      const v = facts[key];
      if (v) dl.append(h('dt', {}, t.facts[key]), h('dd', {}, data(v)));
    }
    section.append(h('h3', {}, t.deviceFacts), dl);
  }
  section.append(privacyTable(lang, t));
  return section;
}

/** The report as JSON, with bidi controls written as \\u escapes: still the same JSON, but it cannot reorder what it shows. */
function payloadText(report: Report): string {
  return JSON.stringify(report, null, 2).replace(BIDI_CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function privacyTable(lang: Lang, t: Texts): HTMLElement {
  const rows = (Object.entries(REPORT_FIELDS) as [ReportField, (typeof REPORT_FIELDS)[ReportField]][]).map(([path, f]) =>
    h(
      'tr',
      { 'data-field': path },
      h('th', { scope: 'row' }, data(path, 'code')),
      h('td', {}, f.what[lang]),
      h('td', {}, t.retention[f.retention]),
    ),
  );
  // The two retention rules are said once in words; the table names which one each field follows.
  return h(
    'details',
    { id: 'fields' },
    h('summary', {}, t.fields),
    h(
      'ul',
      {},
      ...(['history', 'current'] as const).map((r) =>
        h('li', {}, h('strong', {}, `${t.retention[r]}: `), RETENTION_TEXT[r][lang]),
      ),
    ),
    h(
      'div',
      { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': t.fields },
      h(
        'table',
        { class: 'fields' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, t.field),
            h('th', { scope: 'col' }, t.meaning),
            h('th', { scope: 'col' }, t.kept),
          ),
        ),
        h('tbody', {}, ...rows),
      ),
    ),
  );
}

function about(state: AppState, t: Texts): HTMLElement {
  const lang = state.lang;
  const row = (k: string, ...v: (string | HTMLElement)[]) => [h('dt', {}, k), h('dd', {}, ...v)];
  const p = state.policy;
  const server = state.server;
  return h(
    'section',
    { 'aria-labelledby': 'about-h' },
    h('h2', { id: 'about-h' }, t.about),
    h(
      'dl',
      { class: 'facts' },
      ...row(t.user, data(state.user ?? t.unknown)),
      ...row(
        t.agent,
        `${state.agent.version ?? '?'} · ${t.agentMode[state.agent.mode]}${state.agent.reachable ? '' : ` · ${t.unreachable}`}`,
      ),
      ...row(
        t.server,
        ...(server.url
          ? [
              data(server.url, 'code'),
              ` · ${server.lastContactAt ? t.lastContact(formatMoment(server.lastContactAt, lang)) : t.neverContacted}`,
            ]
          : [t.localMode]),
        ...(server.lastError ? [h('br'), data(server.lastError)] : []),
      ),
      ...row(
        t.policy,
        p
          ? data(
              `${p.organization} · v${p.version}${p.expired ? ` · ${t.expired}` : p.expiresAt ? ` · ${t.validUntil(formatMoment(p.expiresAt, lang))}` : ''}`,
            )
          : t.noPolicy,
      ),
      ...row(t.deviceId, data(state.device.id ?? t.unknown, 'code')),
    ),
    h('p', { class: 'muted' }, t.asOf(formatMoment(state.updatedAt, lang))),
  );
}
