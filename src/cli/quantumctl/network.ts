// quantumctl network create|ls|inspect|rm, and attachment ls.
import { writeFileSync } from "node:fs";
import { type Command, InvalidArgumentError } from "commander";
import type { CreateNetworkOptions, Network, RouteSpec, VirtualNetworkManager } from "../../network/index.js";
import { CliError, type Context, collect, type Output } from "./context.js";

type Run = (cmd: Command, fn: (ctx: Context) => Promise<void> | void) => Promise<void>;

function intArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError("not an integer");
  return n;
}

/** "dst" or "dst,gw". */
function parseRoute(v: string): RouteSpec {
  const [dst, gw, extra] = v.split(",");
  if (!dst || extra !== undefined) throw new InvalidArgumentError('want "dst" or "dst,gw", e.g. 10.0.0.0/8,172.17.0.1');
  return gw ? { dst, gw } : { dst };
}

export function registerNetworkCommands(program: Command, run: Run, _io: Output): void {
  const network = program.command("network").description("create, list, inspect and remove networks");

  network
    .command("create")
    .description("define a network and persist it in the store (optionally install its conflist)")
    .argument("<name>", "network name ([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 100 characters)")
    .requiredOption("--subnet <cidr>", "subnet; repeat once for dual-stack (one IPv4, one IPv6)", collect)
    .option("--gateway <ip>", "gateway of the first subnet (default: its first host)")
    .option("--driver <driver>", "bridge | macvlan", "bridge")
    .option("--isolation <level>", "none | internal | strict", "none")
    .option("--bridge <name>", "bridge name (bridge driver; default qbr-<name>)")
    .option("--master <ifname>", "parent interface (macvlan driver)")
    .option("--macvlan-mode <mode>", "bridge | private | vepa | passthru (default bridge)")
    .option("--mtu <n>", "MTU of the container interfaces", intArg)
    .option("--ip-masq", "masquerade traffic leaving the network")
    .option("--route <dst[,gw]>", "container route (repeatable; default: a default route via the gateway)", collect)
    .option("--dns-server <ip>", "DNS nameserver for containers (repeatable)", collect)
    .option("--dns-search <domain>", "DNS search domain (repeatable)", collect)
    .option("--install", "also install <config-dir>/<name>.conflist")
    .option("--json", "print the network as JSON")
    .action((name: string, o: Record<string, unknown>, cmd: Command) =>
      run(cmd, async (ctx) => {
        const options: CreateNetworkOptions = {};
        const subnets = o["subnet"] as string[];
        if (subnets.length > 1) options.subnets = subnets.slice(1);
        if (o["bridge"] !== undefined) options.bridge = o["bridge"] as string;
        if (o["master"] !== undefined) options.master = o["master"] as string;
        if (o["macvlanMode"] !== undefined)
          options.macvlanMode = o["macvlanMode"] as CreateNetworkOptions["macvlanMode"];
        if (o["mtu"] !== undefined) options.mtu = o["mtu"] as number;
        if (o["ipMasq"]) options.ipMasq = true;
        if (o["route"]) options.routes = (o["route"] as string[]).map(parseRoute);
        if (o["dnsServer"] || o["dnsSearch"]) {
          options.dns = {
            ...(o["dnsServer"] ? { nameservers: o["dnsServer"] as string[] } : {}),
            ...(o["dnsSearch"] ? { search: o["dnsSearch"] as string[] } : {}),
          };
        }
        await ctx.manager.init();
        const net = await ctx.manager.networks.createNetwork(
          name,
          subnets[0]!,
          o["gateway"] as string | undefined,
          o["driver"] as Network["driver"],
          o["isolation"] as Network["isolation"],
          options,
        );
        let path: string | undefined;
        if (o["install"]) {
          try {
            path = await ctx.manager.installNetworkConfig(ctx.manager.generateNetworkConfig(net));
          } catch (err) {
            // All or nothing: a network whose config cannot be installed is not kept.
            await ctx.manager.networks.deleteNetwork(name).catch(() => undefined);
            throw err;
          }
        }
        if (o["json"]) ctx.json(path ? { ...net, configFile: path } : net);
        else
          ctx.io.out(
            `network "${net.name}" created (${net.subnets.map((s) => s.subnet).join(", ")})${path ? `, config installed at ${path}` : ""}\n`,
          );
      }),
    );

  network
    .command("ls")
    .alias("list")
    .description("list networks")
    .option("--json", "print JSON")
    .action((o: { json?: boolean }, cmd: Command) =>
      run(cmd, async (ctx) => {
        const rows = await withNetworks(
          ctx,
          async (vnm) => {
            const nets = await vnm.listNetworks();
            return nets.map((n) => ({
              network: n,
              attachments: vnm.listAttachments(n.name).length,
              config: configState(ctx, n.name),
            }));
          },
          [],
        );
        if (o.json) {
          ctx.json(rows.map((r) => ({ ...r.network, attachments: r.attachments, config: r.config })));
          return;
        }
        ctx.table(
          ["NAME", "DRIVER", "SUBNETS", "GATEWAY", "ISOLATION", "LINK", "ATTACHMENTS", "CONFIG"],
          rows.map(({ network: n, attachments, config }) => [
            n.name,
            n.driver,
            n.subnets.map((s) => s.subnet).join(","),
            n.gateway,
            n.isolation,
            n.bridge ?? n.master ?? "",
            String(attachments),
            config,
          ]),
        );
      }),
    );

  network
    .command("inspect")
    .description("show a network, its attachments and its installed config")
    .argument("<name>", "network name")
    .option("--json", "print JSON")
    .action((name: string, o: { json?: boolean }, cmd: Command) =>
      run(cmd, async (ctx) => {
        const found = await withNetworks(
          ctx,
          async (vnm) => {
            const net = await vnm.getNetwork(name);
            return net ? { net, attachments: vnm.listAttachments(name) } : undefined;
          },
          undefined,
        );
        if (!found) throw new CliError(`network "${name}" does not exist`);
        const installed = ctx.manager.readNetworkConfig(name);
        const view = {
          ...found.net,
          attachments: found.attachments.map((a) => ({
            containerId: a.containerId,
            ifname: a.ifname,
            ips: a.ips,
            netns: a.netns,
            hostIfname: a.hostIfname,
            createdAt: a.createdAt,
          })),
          config: installed ? { path: installed.path, managed: installed.managed } : null,
        };
        if (o.json) ctx.json(view);
        else ctx.io.out(`${JSON.stringify(view, null, 2)}\n`);
      }),
    );

  network
    .command("rm")
    .alias("remove")
    .description("remove a network: its conflist (if ours), bridge, firewall objects and record")
    .argument("<name>", "network name")
    .option("-f, --force", "detach remaining containers first instead of refusing")
    .option("--keep-config", "leave the installed conflist in place")
    .option("--json", "print what was done as JSON")
    .action((name: string, o: { force?: boolean; keepConfig?: boolean; json?: boolean }, cmd: Command) =>
      run(cmd, async (ctx) => {
        await ctx.manager.init();
        const vnm = ctx.manager.networks;
        if (!(await vnm.getNetwork(name))) throw new CliError(`network "${name}" does not exist`);
        // Refuse before touching anything (deleteNetwork checks again).
        if (!o.force) {
          const attached = vnm.listAttachments(name);
          const reserved = vnm.store.listReservations(name).length;
          if (attached.length > 0 || reserved > 0) await vnm.deleteNetwork(name);
        }
        let removedConfig: { path: string; content: Record<string, unknown> } | undefined;
        if (!o.keepConfig) {
          const installed = ctx.manager.readNetworkConfig(name);
          if (installed?.managed && installed.content) {
            await ctx.manager.uninstallNetworkConfig(name);
            removedConfig = { path: installed.path, content: installed.content };
          } else if (installed) {
            ctx.io.err(`warning: ${installed.path} was not written by quantum-cni: left in place\n`);
          }
        }
        let result: Awaited<ReturnType<typeof vnm.deleteNetwork>>;
        try {
          result = await vnm.deleteNetwork(name, { force: !!o.force });
        } catch (err) {
          // Put the config back: the network still exists.
          if (removedConfig) writeFileSync(removedConfig.path, `${JSON.stringify(removedConfig.content, null, 2)}\n`);
          throw err;
        }
        for (const w of result.warnings) ctx.io.err(`warning: ${w}\n`);
        if (o.json) ctx.json({ ...result, configRemoved: removedConfig?.path ?? null });
        else
          ctx.io.out(
            `network "${name}" removed${result.detached.length > 0 ? ` (detached ${result.detached.join(", ")})` : ""}\n`,
          );
      }),
    );

  program
    .command("attachment")
    .description("containers attached to networks")
    .command("ls")
    .alias("list")
    .description("list attachments (as recorded by the plugin)")
    .option("--network <name>", "only this network")
    .option("--json", "print JSON")
    .action((o: { network?: string; json?: boolean }, cmd: Command) =>
      run(cmd, async (ctx) => {
        const list = await withNetworks(ctx, async (vnm) => vnm.listAttachments(o.network), []);
        if (o.json) {
          ctx.json(list);
          return;
        }
        ctx.table(
          ["NETWORK", "NAMESPACE", "POD", "CONTAINER", "IFNAME", "IPS", "HOST-IF", "NETNS", "CREATED"],
          list.map((a) => [
            a.network,
            a.pod?.namespace ?? "",
            a.pod?.name ?? "",
            a.containerId,
            a.ifname,
            a.ips.join(","),
            a.hostIfname ?? "",
            a.netns,
            a.createdAt,
          ]),
        );
      }),
    );
}

/** Runs fn over the store's networks; with no store yet (nothing was ever created) it is `absent`. */
async function withNetworks<T>(ctx: Context, fn: (vnm: VirtualNetworkManager) => Promise<T>, absent: T): Promise<T> {
  const dp = ctx.openDataplaneIfPresent();
  if (!dp) return absent;
  try {
    return await fn(dp.networks);
  } finally {
    dp.close();
  }
}

/** "installed" | "foreign" | "-" for the network's conflist. */
function configState(ctx: Context, name: string): string {
  try {
    const installed = ctx.manager.readNetworkConfig(name);
    return installed ? (installed.managed ? "installed" : "foreign") : "-";
  } catch {
    return "?";
  }
}
