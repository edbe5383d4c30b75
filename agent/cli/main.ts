#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { AppwachtError, UsageError, describeError } from '../errors.js';
import { detectLang } from '../i18n.js';
import { AGENT_VERSION } from '../version.js';
import { ExitCode, type CliContext, type Command } from './command.js';
import { commands, type CommandEntry } from './commands/index.js';
import { enableCompileCache } from './compile-cache.js';
import { descriptorWriter } from './stdio.js';

const LANG_OPTION = { lang: { type: 'string' as const } };

function overview(ctx: CliContext): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary[ctx.lang]}`);
  return ctx.lang === 'de'
    ? `Appwacht ${AGENT_VERSION} – hält verbotene Apps von Dienstgeräten fern.\n\nAufruf: appwacht <befehl> [optionen]\n\nBefehle:\n${lines.join('\n')}\n\nAllgemein: --help, --version, --lang de|en\nExit-Codes: 0 konform, 1 verbotene App gefunden, 2 Bedienungsfehler oder Fehler, 3 unbekannt (nicht vollständig prüfbar).\n`
    : `Appwacht ${AGENT_VERSION} – keeps banned apps off service devices.\n\nUsage: appwacht <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nGeneral: --help, --version, --lang de|en\nExit codes: 0 compliant, 1 banned app found, 2 usage error or failure, 3 unknown (could not be checked completely).\n`;
}

async function runCommand(command: Command, args: string[], ctx: CliContext): Promise<ExitCode> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { ...command.options, ...LANG_OPTION, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (err) {
    throw new UsageError(describeError(err), { cause: err });
  }
  if (values.help) {
    ctx.out(command.help[ctx.lang]);
    return ExitCode.OK;
  }
  return command.run(values, ctx);
}

export async function main(argv: string[], base: Omit<CliContext, 'lang'>): Promise<ExitCode> {
  const langIndex = argv.findIndex((a) => a === '--lang' || a.startsWith('--lang='));
  const explicitLang =
    langIndex < 0 ? undefined : argv[langIndex]!.includes('=') ? argv[langIndex]!.split('=')[1] : argv[langIndex + 1];
  if (explicitLang !== undefined && explicitLang !== 'de' && explicitLang !== 'en') {
    base.err(`appwacht: --lang must be "de" or "en"\n`);
    return ExitCode.ERROR;
  }
  const ctx: CliContext = { ...base, lang: detectLang(explicitLang, base.env) };
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ctx.out(overview(ctx));
    return name === undefined ? ExitCode.ERROR : ExitCode.OK;
  }
  if (name === '--version' || name === '-v') {
    ctx.out(`${AGENT_VERSION}\n`);
    return ExitCode.OK;
  }
  const entry: CommandEntry | undefined = commands.find((c) => c.name === name);
  try {
    if (!entry) throw new UsageError(ctx.lang === 'de' ? `unbekannter Befehl "${name}"` : `unknown command "${name}"`);
    return await runCommand(await entry.load(), rest, ctx);
  } catch (err) {
    const hint = entry ? `appwacht ${entry.name} --help` : 'appwacht --help';
    if (err instanceof UsageError) {
      ctx.err(`appwacht: ${err.message}\n${ctx.lang === 'de' ? 'Hilfe' : 'See'}: ${hint}\n`);
    } else if (err instanceof AppwachtError) {
      const texts = (err as { texts?: Partial<Record<'de' | 'en', string>> }).texts;
      ctx.err(`appwacht: ${texts?.[ctx.lang] ?? err.message} [${err.code}]\n`);
    } else {
      ctx.err(`appwacht: ${ctx.lang === 'de' ? 'unerwarteter Fehler' : 'unexpected error'}: ${describeError(err)}\n`);
      if (base.env.APPWACHT_DEBUG) ctx.err(`${(err as Error).stack}\n`);
    }
    return ExitCode.ERROR;
  }
}

/**
 * zod compiles a parser for each object schema with `new Function` on first use (its "JIT"). That pays off in the
 * long-running server, not in an agent process that reads a policy or a state file once and exits: a scan that checks
 * the server's cached policy took 20 ms longer with it (BENCHMARKS.md, "Start-up"). zod reads this global when it loads
 * (its way of sharing config between copies); set before any chunk that holds zod is imported. The server and the tray
 * app do not start here and keep the default.
 */
function zodWithoutCodeGeneration(): void {
  const g = globalThis as { __zod_globalConfig?: { jitless?: boolean } };
  g.__zod_globalConfig = { ...g.__zod_globalConfig, jitless: true };
}

/** Process entry: wires stdio and signals, then exits with the command's code once output is flushed. */
export async function cli(): Promise<void> {
  // Before any command's chunks load (commands/index.ts loads them on demand), so that the cache covers them.
  enableCompileCache();
  zodWithoutCodeGeneration();
  const controller = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => controller.abort());
  const code = await main(process.argv.slice(2), {
    env: process.env,
    out: descriptorWriter(1),
    err: descriptorWriter(2),
    signal: controller.signal,
  });
  process.exitCode = code;
}
