// quantumctl config show|install|uninstall|ls, and plugin install.
import { readdirSync } from "node:fs";
import type { Command } from "commander";
import type { Network, NetworkConfigOptions } from "../../manager/index.js";
import { CliError, type Context } from "./context.js";
import { installPlugins } from "./plugin-install.js";

type Run = (cmd: Command, fn: (ctx: Context) => Promise<void> | void) => Promise<void>;

interface ChainFlags {
  hostPorts?: boolean;
  portmap?: boolean;
  tuning?: boolean;
  bandwidth?: boolean;
  disableCheck?: boolean;
}

function chainOptions(o: ChainFlags): NetworkConfigOptions {
  return {
    ...(o.hostPorts ? { hostPorts: true } : {}),
    ...(o.portmap ? { portmap: true } : {}),
    ...(o.tuning ? { tuning: true } : {}),
    ...(o.bandwidth ? { bandwidth: true } : {}),
    ...(o.disableCheck ? { disableCheck: true } : {}),
  };
}

function withChainFlags(cmd: Command): Command {
  return cmd
    .option("--host-ports", "quantum maps host ports and DNS itself (capabilities portMappings, dns)")
    .option("--portmap", "chain the portmap plugin (capability portMappings)")
    .option("--tuning", "chain the tuning plugin")
    .option("--bandwidth", "chain the bandwidth plugin (capability bandwidth)")
    .option("--disable-check", 'set "disableCheck" on the list');
}

/** The network from the store; a missing store means no network (nothing is created). */
async function networkOf(ctx: Context, name: string): Promise<Network> {
  const dp = ctx.openDataplaneIfPresent();
  let net: Network | null = null;
  try {
    net = dp ? await dp.networks.getNetwork(name) : null;
  } finally {
    dp?.close();
  }
  if (!net) throw new CliError(`network "${name}" does not exist`);
  return net;
}

export function registerConfigCommands(program: Command, run: Run): void {
  const config = program.command("config").description("network conflists in the CNI config directory");

  withChainFlags(
    config
      .command("show")
      .description("print a network's conflist: as generated (default) or as installed")
      .argument("<name>", "network name")
      .option("--installed", "print the installed file instead")
      .option("--json", "print JSON (the conflist is JSON either way)"),
  ).action((name: string, o: ChainFlags & { installed?: boolean }, cmd: Command) =>
    run(cmd, async (ctx) => {
      if (o.installed) {
        const installed = ctx.manager.readNetworkConfig(name);
        if (!installed) throw new CliError(`no conflist installed for "${name}" in ${ctx.config.configPath}`);
        if (!installed.managed) throw new CliError(`${installed.path} was not written by quantum-cni`);
        ctx.json(installed.content);
        return;
      }
      ctx.json(ctx.manager.generateNetworkConfig(await networkOf(ctx, name), chainOptions(o)));
    }),
  );

  withChainFlags(
    config
      .command("install")
      .description("write <config-dir>/<name>.conflist (atomic, mode 0644; never over a file we did not write)")
      .argument("<name>", "network name"),
  ).action((name: string, o: ChainFlags, cmd: Command) =>
    run(cmd, async (ctx) => {
      const net = await networkOf(ctx, name);
      const path = await ctx.manager.installNetworkConfig(ctx.manager.generateNetworkConfig(net, chainOptions(o)));
      ctx.io.out(`${path}\n`);
    }),
  );

  config
    .command("uninstall")
    .description("remove <config-dir>/<name>.conflist if quantum-cni wrote it")
    .argument("<name>", "network name")
    .action((name: string, _o: unknown, cmd: Command) =>
      run(cmd, async (ctx) => {
        const removed = await ctx.manager.uninstallNetworkConfig(name);
        ctx.io.out(removed ? `removed ${ctx.manager.configFilePath(name)}\n` : `no conflist installed for "${name}"\n`);
      }),
    );

  config
    .command("ls")
    .alias("list")
    .description("list the conflists in the config directory and whether quantum-cni wrote them")
    .option("--json", "print JSON")
    .action((o: { json?: boolean }, cmd: Command) =>
      run(cmd, (ctx) => {
        let files: string[] = [];
        try {
          files = readdirSync(ctx.config.configPath).filter((f) => f.endsWith(".conflist"));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        }
        const rows = files.sort().map((f) => {
          const name = f.slice(0, -".conflist".length);
          let managed = false;
          try {
            managed = ctx.manager.readNetworkConfig(name)?.managed ?? false;
          } catch {
            // a file name that is no network name: not ours
          }
          return { file: f, managed };
        });
        if (o.json) ctx.json(rows);
        else
          ctx.table(
            ["FILE", "MANAGED"],
            rows.map((r) => [r.file, r.managed ? "yes" : "no"]),
          );
      }),
    );

  program
    .command("plugin")
    .description("the plugin executables")
    .command("install")
    .description("install quantum (and quantum-direct, quantumd) into the CNI plugin directory")
    .option("--dir <dir>", "target directory (default: --plugin-dir, else /opt/cni/bin)")
    .option("--force", "replace files that quantum-cni did not write")
    .option("--json", "print what was installed as JSON")
    .action((o: { dir?: string; force?: boolean; json?: boolean }, cmd: Command) =>
      run(cmd, (ctx) => {
        const installed = installPlugins(o.dir ?? ctx.config.pluginPath, { force: !!o.force });
        if (o.json) ctx.json(installed);
        else for (const p of installed) ctx.io.out(`${p.path} (${p.kind})\n`);
      }),
    );
}
