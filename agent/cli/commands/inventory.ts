import type { Lang } from '../../../protocol/index.js';
import { parseRawInventory, type Inventory } from '../../inventory/index.js';
import { getRawInventory } from '../../scan.js';
import { ExitCode, type Command } from '../command.js';
import { formatSources } from '../format-scan.js';
import { inventoryOptionHelp, inventoryOptionSpec, readInventoryOptions } from '../inventory-options.js';

function formatInventory(inv: Inventory, lang: Lang): string {
  const lines: string[] = [
    lang === 'de' ? `Installierte Programme (${inv.apps.length}):` : `Installed programs (${inv.apps.length}):`,
  ];
  const sorted = [...inv.apps].sort((a, b) => a.name.localeCompare(b.name) || a.source.localeCompare(b.source));
  for (const a of sorted) {
    const who = a.scope === 'user' ? ` [${a.user ?? (lang === 'de' ? 'Benutzer' : 'user')}]` : '';
    lines.push(`  ${a.name}${a.version ? ` ${a.version}` : ''} – ${a.source}${who}${a.location ? ` – ${a.location}` : ''}`);
  }
  if (inv.processes.length) {
    lines.push(
      '',
      lang === 'de' ? `Laufende Prozesse (${inv.processes.length}):` : `Running processes (${inv.processes.length}):`,
    );
    for (const p of [...inv.processes].sort((a, b) => a.pid - b.pid))
      lines.push(`  ${String(p.pid).padStart(7)} ${p.name}${p.path ? ` ${p.path}` : ''}`);
  }
  lines.push('', lang === 'de' ? 'Quellen:' : 'Sources:', ...formatSources(inv.sources, lang));
  return lines.join('\n') + '\n';
}

export const inventoryCommand: Command = {
  name: 'inventory',
  help: {
    de: `Aufruf: appwacht inventory [--raw | --json] [optionen]

Zeigt alle gefundenen Programme und Prozesse. Das ist nur für Sie und den Support: an den Server
geht davon nichts, gemeldet werden nur Apps, nach denen die Richtlinie fragt.

  --raw           die Rohdaten (Befehlsausgaben, Dateiinhalte) als JSON – für den Support, mit "scan --from" auswertbar
  --json          die ausgewerteten Einträge als JSON
${inventoryOptionHelp.de}
`,
    en: `Usage: appwacht inventory [--raw | --json] [options]

Shows every program and process found. This is for you and for support only: none of it is sent to
the server, which only ever hears about apps the policy asks about.

  --raw           the raw capture (command outputs, file contents) as JSON – for support, replayable with "scan --from"
  --json          the parsed records as JSON
${inventoryOptionHelp.en}
`,
  },
  options: { ...inventoryOptionSpec, raw: { type: 'boolean' }, json: { type: 'boolean' } },
  async run(values, ctx) {
    const raw = await getRawInventory(readInventoryOptions(values));
    if (values.raw) {
      ctx.out(JSON.stringify(raw) + '\n');
      return ExitCode.OK;
    }
    const inventory = await parseRawInventory(raw);
    ctx.out(values.json ? JSON.stringify(inventory, null, 2) + '\n' : formatInventory(inventory, ctx.lang));
    return ExitCode.OK;
  },
};
