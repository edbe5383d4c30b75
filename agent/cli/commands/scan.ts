import type { ComplianceStatus, Policy } from '../../../protocol/index.js';
import { resolveConfig } from '../../config/resolve.js';
import { describePolicyAtHand, policyAtHand } from '../../runtime/policy-at-hand.js';
import { scan } from '../../scan.js';
import { ExitCode, stringOption, type Command } from '../command.js';
import { formatScan, scanJson, type PolicyOrigin } from '../format-scan.js';
import { inventoryOptionHelp, inventoryOptionSpec, readInventoryOptions } from '../inventory-options.js';

const SCAN_EXIT: Record<ComplianceStatus, ExitCode> = {
  compliant: ExitCode.OK,
  warning: ExitCode.OK,
  violation: ExitCode.FOUND,
  unknown: ExitCode.UNKNOWN,
};

export const scanCommand: Command = {
  name: 'scan',
  help: {
    de: `Aufruf: appwacht scan [optionen]

Prüft die installierten und laufenden Programme gegen die Richtlinie und zeigt das Ergebnis.

  --policy FILE   diese Richtlinie (JSON) verwenden statt der geltenden (die zuletzt vom Server erhaltene,
                  ohne Netzzugriff geprüft; sonst die mitgelieferte)
  --state-dir DIR Statusordner, in dem die Richtlinie vom Server liegt (Standard: aus der Konfiguration)
  --json          Ergebnis als JSON: { status, findings, sources, … }
${inventoryOptionHelp.de}
  --lang de|en    Sprache der Ausgabe

Exit-Codes: 0 konform (oder nur Hinweise), 1 verbotene App gefunden, 2 Fehler (z. B. --root fehlt),
3 unbekannt: das Gerät konnte nicht vollständig geprüft werden (die Ausgabe sagt, was nicht lesbar war).
`,
    en: `Usage: appwacht scan [options]

Checks installed and running programs against the policy and prints the result.

  --policy FILE   use this policy (JSON) instead of the one in force (the last one received from the
                  server, verified offline; else the bundled one)
  --state-dir DIR state folder holding the server's policy (default: from the configuration)
  --json          print the result as JSON: { status, findings, sources, … }
${inventoryOptionHelp.en}
  --lang de|en    output language

Exit codes: 0 compliant (or only warnings), 1 banned app found, 2 error (e.g. --root missing),
3 unknown: the device could not be checked completely (the output says what could not be read).
`,
  },
  options: { ...inventoryOptionSpec, policy: { type: 'string' }, 'state-dir': { type: 'string' }, json: { type: 'boolean' } },
  async run(values, ctx) {
    const inventory = readInventoryOptions(values);
    const policyPath = stringOption(values, 'policy');
    let origin: PolicyOrigin = 'file';
    let note: string | undefined;
    let policy: Policy;
    // A policy file needs the protocol's schemas (zod): loaded only then.
    if (policyPath) policy = await (await import('../../policy/policy-file.js')).readPolicyFile(policyPath);
    else {
      // Never a network call: the policy the background agent last verified and kept, else the bundled one.
      const stateDir = stringOption(values, 'state-dir');
      const { config } = await resolveConfig({
        env: ctx.env,
        cli: stateDir !== undefined ? { stateDir } : {},
        tolerateUserErrors: true,
      });
      const atHand = await policyAtHand({
        stateDir: config.stateDir,
        serverUrl: config.serverUrl,
        publicKey: config.policyPublicKey,
      });
      policy = atHand.policy;
      origin = atHand.origin;
      note = describePolicyAtHand(atHand, ctx.lang);
    }
    const result = await scan({ ...inventory, policy });
    ctx.out(
      values.json ? JSON.stringify(scanJson(result, origin, note), null, 2) + '\n' : formatScan(result, origin, ctx.lang, note),
    );
    return SCAN_EXIT[result.evaluation.state.status];
  },
};
