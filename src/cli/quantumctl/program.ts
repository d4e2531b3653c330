// The quantumctl command tree (commander). buildProgram() wires the subcommands; runQuantumctl()
// parses argv and returns the exit code: 0 success, 1 failure (message on stderr), 2 usage error.
import { Command, CommanderError } from "commander";
import { registerConfigCommands } from "./config.js";
import { CliError, Context, type Output } from "./context.js";
import { registerFabricCommands } from "./fabric.js";
import { registerMaintenanceCommands } from "./maintenance.js";
import { registerNetworkCommands } from "./network.js";
import { registerStoreCommands } from "./store.js";

const VERSION = "0.1.0";

export function buildProgram(io: Output): Command {
  const program = new Command("quantumctl")
    .description("Administer Quantum CNI: networks, attachments, CNI config files, plugin install, gc, status, doctor")
    .version(VERSION)
    .option("--data-dir <dir>", "store directory (env QUANTUM_DATA_DIR, default /var/lib/quantum)")
    .option("--config-dir <dir>", "CNI config directory (env QUANTUM_CONFIG_DIR, default /etc/cni/net.d)")
    .option("--plugin-dir <dir>", "CNI plugin directory (env QUANTUM_PLUGIN_DIR, default /opt/cni/bin)")
    .option("--socket <path>", "quantumd socket (env QUANTUM_SOCKET, default /run/quantum/quantum.sock)")
    .showHelpAfterError()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  const run = async (cmd: Command, fn: (ctx: Context) => Promise<void> | void): Promise<void> => {
    const ctx = Context.of(cmd, io);
    try {
      await fn(ctx);
    } finally {
      ctx.close();
    }
  };
  registerNetworkCommands(program, run, io);
  registerConfigCommands(program, run);
  registerMaintenanceCommands(program, run);
  registerFabricCommands(program, run);
  registerStoreCommands(program, run);

  // Every (sub)command: errors as exit codes instead of process.exit, same output streams.
  const configure = (cmd: Command) => {
    cmd.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
    for (const sub of cmd.commands) configure(sub);
  };
  configure(program);
  return program;
}

/** Runs quantumctl over argv (process.argv shape) and resolves with the exit code. */
export async function runQuantumctl(argv: string[], io?: Output): Promise<number> {
  const output: Output = io ?? {
    out: (s) => void process.stdout.write(s),
    err: (s) => void process.stderr.write(s),
  };
  const program = buildProgram(output);
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return 2;
    }
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return 0;
      // Anything else (a command group without its subcommand, a bad option) is a usage error.
      return err.exitCode === 0 ? 0 : 2;
    }
    output.err(`quantumctl: ${err instanceof Error ? err.message : String(err)}\n`);
    return err instanceof CliError ? err.exitCode : 1;
  }
}
