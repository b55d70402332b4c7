#!/usr/bin/env node
/** The `xnornet` command line. Each command prints one readable line on error and exits non-zero. */
import { selfcheck } from './selfcheck.js';

interface Command {
  summary: string;
  usage: string;
  run(args: string[]): Promise<number>;
}

const commands: Record<string, Command> = {
  selfcheck: {
    summary: 'name the WebGPU adapter and check a GPU kernel against the CPU',
    usage: 'xnornet selfcheck\n\nCreates a WebGPU device (SwiftShader when no GPU exists), prints the adapter and\nruns the sign-packing kernel against the host packer. XNORNET_SEED=<n> replays a run.',
    async run() {
      return (await selfcheck((line) => console.log(line))) ? 0 : 1;
    },
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const list = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: xnornet <command> [options]\n\ncommands:\n${list.join('\n')}\n\n'xnornet <command> --help' describes a command.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 1 : 0;
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
  return command.run(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
