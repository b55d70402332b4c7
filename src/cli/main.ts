#!/usr/bin/env node
/** The `xnornet` command line. Errors print one readable line and exit non-zero (2 for usage mistakes). */
import { UsageError } from './args.js';
import { type Io, processIo } from './io.js';
import * as checkCommand from './commands/check.js';
import * as evalCommand from './commands/eval.js';
import * as infoCommand from './commands/info.js';
import * as packCommand from './commands/pack.js';
import * as profileCommand from './commands/profile.js';
import * as predictCommand from './commands/predict.js';
import * as runCommand from './commands/run.js';
import * as selfcheckCommand from './commands/selfcheck.js';
import * as trainCommand from './commands/train.js';

interface Command {
  summary: string;
  usage: string;
  run(args: string[], io: Io): Promise<number>;
}

/** Commands that take --backend: a missing adapter suggests the cpu backend. */
const HAS_BACKEND = ['run', 'check', 'predict', 'profile', 'eval'];

const commands: Record<string, Command> = {
  run: { summary: 'run a model on a .npy batch and write the output .npy', usage: runCommand.usage, run: runCommand.run },
  info: { summary: 'layers, shapes, parameters, weight bytes and op counts of a model', usage: infoCommand.usage, run: infoCommand.info },
  pack: { summary: 'write a model with binary weights packed to bits (~32x smaller)', usage: packCommand.usage, run: packCommand.pack },
  profile: {
    summary: 'time every step of a model on the cpu backend or WebGPU: where the time goes',
    usage: profileCommand.usage,
    run: profileCommand.profile,
  },
  check: {
    summary: 'run models on WebGPU and the CPU reference: agreement, latency, memory',
    usage: checkCommand.usage,
    run: checkCommand.check,
  },
  predict: {
    summary: 'the most probable classes of PNG/JPEG images (or .npy pixels), with labels',
    usage: predictCommand.usage,
    run: predictCommand.predict,
  },
  train: {
    summary: 'train a binary (BWN/XNOR) or float network on a dataset: model, checkpoint, curve',
    usage: trainCommand.usage,
    run: trainCommand.trainCommand,
  },
  eval: {
    summary: 'accuracy and confusion matrix of a model on a labelled dataset',
    usage: evalCommand.usage,
    run: evalCommand.evalCommand,
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
    `usage: xnornet <command> [options]   (xnornet --version: the version)\n\ncommands:\n${list.join('\n')}\n\n` +
    `A model is a model.json path (its safetensors file beside it) or zoo:<arch>-<mode>, e.g. zoo:resnet18-xnor.\n` +
    `'xnornet <command> --help' describes a command.`
  );
}

/** An error as the one line the user sees: without the library's own "xnornet: " prefix (the command names itself). */
function describeError(err: unknown, command: string): string {
  const message = (err instanceof Error ? err.message : String(err)).replace(/^xnornet: /, '');
  const noAdapter = err instanceof Error && err.name === 'NoWebGpuAdapterError';
  return noAdapter && HAS_BACKEND.includes(command) ? `${message} Or run on the CPU: --backend cpu.` : message;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    console.log(__XNORNET_VERSION__);
    return 0;
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
    return await command.run(args, processIo());
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`xnornet ${name}: ${err.message}\nusage: ${command.usage.split('\n')[0]}`);
      return 2;
    }
    console.error(`xnornet ${name}: ${describeError(err, name)}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
