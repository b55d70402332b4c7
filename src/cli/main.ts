#!/usr/bin/env node
/** The `xnornet` command line. Errors print one readable line and exit non-zero (2 for usage mistakes). */
import { UsageError } from './args.js';
import * as checkCommand from './commands/check.js';
import * as infoCommand from './commands/info.js';
import * as packCommand from './commands/pack.js';
import * as runCommand from './commands/run.js';
import * as selfcheckCommand from './commands/selfcheck.js';

type Log = (line: string) => void;

interface Command {
  summary: string;
  usage: string;
  run(args: string[], log: Log): Promise<number>;
}

const commands: Record<string, Command> = {
  run: { summary: 'run a model on a .npy batch and write the output .npy', usage: runCommand.usage, run: runCommand.run },
  info: { summary: 'layers, shapes, parameters, weight bytes and op counts of a model', usage: infoCommand.usage, run: infoCommand.info },
  pack: { summary: 'write a model with binary weights packed to bits (~32x smaller)', usage: packCommand.usage, run: packCommand.pack },
  check: {
    summary: 'run models on WebGPU and the CPU reference: agreement, latency, memory',
    usage: checkCommand.usage,
    run: checkCommand.check,
  },
  selfcheck: {
    summary: 'name the WebGPU adapter and check a GPU kernel against the CPU',
    usage: selfcheckCommand.usage,
    run: selfcheckCommand.run,
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const list = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return (
    `usage: xnornet <command> [options]\n\ncommands:\n${list.join('\n')}\n\n` +
    `A model is a model.json path (its safetensors file beside it) or zoo:<arch>-<mode>, e.g. zoo:resnet18-xnor.\n` +
    `'xnornet <command> --help' describes a command.`
  );
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`xnornet: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    console.log(`usage: ${command.usage}`);
    return 0;
  }
  try {
    return await command.run(args, (line) => console.log(line));
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`xnornet ${name}: ${err.message}\nusage: ${command.usage.split('\n')[0]}`);
      return 2;
    }
    console.error(`xnornet ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
