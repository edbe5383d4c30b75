import { loadDefaultPolicy } from '../../policy/default-policy.js';
import { readPolicyFile } from '../../policy/policy-file.js';
import { scan } from '../../scan.js';
import { ExitCode, stringOption, type Command } from '../command.js';
import { formatScan, scanJson, type PolicyOrigin } from '../format-scan.js';
import { inventoryOptionHelp, inventoryOptionSpec, readInventoryOptions } from '../inventory-options.js';

export const scanCommand: Command = {
  name: 'scan',
  summary: { de: 'dieses Gerät gegen die Richtlinie prüfen', en: 'check this device against the policy' },
  help: {
    de: `Aufruf: appwacht scan [optionen]

Prüft die installierten und laufenden Programme gegen die Richtlinie und zeigt das Ergebnis.

  --policy FILE   diese Richtlinie (JSON) statt der mitgelieferten verwenden
  --json          Ergebnis als JSON: { status, findings, sources, … }
${inventoryOptionHelp.de}
  --lang de|en    Sprache der Ausgabe

Exit-Codes: 0 konform (oder nur Hinweise), 1 verbotene App gefunden, 2 Fehler.
`,
    en: `Usage: appwacht scan [options]

Checks installed and running programs against the policy and prints the result.

  --policy FILE   use this policy (JSON) instead of the bundled one
  --json          print the result as JSON: { status, findings, sources, … }
${inventoryOptionHelp.en}
  --lang de|en    output language

Exit codes: 0 compliant (or only warnings), 1 banned app found, 2 error.
`,
  },
  options: { ...inventoryOptionSpec, policy: { type: 'string' }, json: { type: 'boolean' } },
  async run(values, ctx) {
    const inventory = readInventoryOptions(values);
    const policyPath = stringOption(values, 'policy');
    const origin: PolicyOrigin = policyPath ? 'file' : 'bundled';
    const policy = policyPath ? await readPolicyFile(policyPath) : loadDefaultPolicy();
    const result = await scan({ ...inventory, policy });
    ctx.out(values.json ? JSON.stringify(scanJson(result, origin), null, 2) + '\n' : formatScan(result, origin, ctx.lang));
    return result.evaluation.state.status === 'violation' ? ExitCode.FOUND : ExitCode.OK;
  },
};
