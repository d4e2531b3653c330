// quantumctl status | doctor | gc. doctor and a local gc compare the store with the kernel of the
// network namespace quantumctl runs in (the host's, where the plugin runs).
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { DEFAULT_RECONCILE_GRACE_MS, type Finding, MANAGED_KEY } from "../../manager/index.js";
import { type Dataplane, hostKernel, StoreDamagedError } from "../../network/index.js";
import type { Context } from "./context.js";
import { daemonRequest } from "./daemon-client.js";

type Run = (cmd: Command, fn: (ctx: Context) => Promise<void> | void) => Promise<void>;

/** A doctor finding about config files (not repaired by gc). */
interface DriftFinding {
  kind: "config-drift" | "orphan-config" | "store-damaged";
  key: string;
  network: string;
  detail: string;
}

function msArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("not a non-negative integer");
  return n;
}

/**
 * Runs fn over the data dir's dataplane, opened in this netns and closed after. With no store yet
 * there is nothing to audit or repair (no network was ever served from this data dir): `absent`.
 */
async function withDataplane<T>(ctx: Context, fn: (dp: Dataplane) => T | Promise<T>, absent: T): Promise<T> {
  const dp = ctx.openDataplaneIfPresent();
  if (!dp) return absent;
  try {
    return await fn(dp);
  } finally {
    dp.close();
  }
}

/** Conflists marked as ours with no network behind them, and installed configs that differ from their network. */
async function configDrift(ctx: Context, dp: Dataplane | undefined): Promise<DriftFinding[]> {
  const out: DriftFinding[] = [];
  let files: string[] = [];
  try {
    files = readdirSync(ctx.config.configPath).filter((f) => f.endsWith(".conflist"));
  } catch {
    return out;
  }
  for (const file of files.sort()) {
    const name = file.slice(0, -".conflist".length);
    let installed: ReturnType<typeof ctx.manager.readNetworkConfig>;
    try {
      installed = ctx.manager.readNetworkConfig(name);
    } catch {
      continue;
    }
    if (!installed?.managed || !installed.content) continue;
    const net = dp ? await dp.networks.getNetwork(name) : null;
    if (!net) {
      out.push({
        kind: "orphan-config",
        key: `conf:${name}`,
        network: name,
        detail: `${join(ctx.config.configPath, file)} (${MANAGED_KEY}) has no network "${name}" in the store`,
      });
      continue;
    }
    const want = ctx.manager.generateNetworkConfig(net).plugins[0] ?? {};
    const have = ((installed.content["plugins"] as Record<string, unknown>[] | undefined) ?? [])[0] ?? {};
    const keys = ["driver", "subnet", "subnets", "gateway", "bridge", "master", "isolation", "dataDir", "mtu"];
    const differ = keys.filter((k) => JSON.stringify(want[k]) !== JSON.stringify(have[k]));
    if (differ.length > 0) {
      out.push({
        kind: "config-drift",
        key: `drift:${name}`,
        network: name,
        detail: `${installed.path} differs from network "${name}" in ${differ.join(", ")} (run: quantumctl config install ${name})`,
      });
    }
  }
  return out;
}

export function registerMaintenanceCommands(program: Command, run: Run): void {
  program
    .command("doctor")
    .description("compare the store with the kernel and the config dir; list leaks and drift (exit 1 if any)")
    .option("--json", "print JSON")
    .action((o: { json?: boolean }, cmd: Command) =>
      run(cmd, async (ctx) => {
        const findings: (Finding | DriftFinding)[] = [];
        if (ctx.hasStore) {
          try {
            await withDataplane(ctx, async (dp) => findings.push(...dp.audit(), ...(await configDrift(ctx, dp))), 0);
          } catch (err) {
            if (!(err instanceof StoreDamagedError)) throw err;
            findings.push({ kind: "store-damaged", key: "store", network: "", detail: err.message });
          }
        } else {
          findings.push(...(await configDrift(ctx, undefined)));
        }
        const checks = {
          nft: hostKernel.nftAvailable(),
          store: ctx.hasStore,
          configDir: existsSync(ctx.config.configPath),
        };
        if (o.json) ctx.json({ ok: findings.length === 0, checks, findings });
        else if (findings.length === 0) ctx.io.out("no leaks or drift found\n");
        else {
          ctx.table(
            ["KIND", "NETWORK", "DETAIL"],
            findings.map((f) => [f.kind, f.network, f.detail]),
          );
          ctx.io.out(`${findings.length} problem${findings.length === 1 ? "" : "s"} (quantumctl gc repairs leaks)\n`);
        }
        if (!checks.nft) ctx.io.err("warning: nft is not installed: firewall elements were not checked\n");
        if (findings.length > 0) process.exitCode = 1;
      }),
    );

  program
    .command("gc")
    .description("remove leaked state: through quantumd when it runs (POST /v1/reconcile), else locally")
    .option("--local", "work on the store and kernel directly even if quantumd runs")
    .option(
      "--grace-ms <ms>",
      "local: only remove what is still leaked after this long (half-made ADDs finish)",
      msArg,
      DEFAULT_RECONCILE_GRACE_MS,
    )
    .option("--json", "print JSON")
    .action((o: { local?: boolean; graceMs: number; json?: boolean }, cmd: Command) =>
      run(cmd, async (ctx) => {
        if (!o.local) {
          const answer = await daemonRequest(ctx.config.socketPath, "POST", "/v1/reconcile");
          if (answer) {
            const reports = ((answer.body as { reports?: { errors?: string[]; items?: string[] }[] } | null)?.reports ??
              []) as { errors?: string[]; items?: string[] }[];
            if (o.json) ctx.json({ via: "quantumd", status: answer.status, ...(answer.body as object) });
            else {
              for (const r of reports) for (const item of r.items ?? []) ctx.io.out(`removed ${item}\n`);
              for (const r of reports) for (const e of r.errors ?? []) ctx.io.err(`error: ${e}\n`);
              if (reports.every((r) => (r.items ?? []).length === 0)) ctx.io.out("nothing to collect\n");
            }
            if (answer.status !== 200 || reports.some((r) => (r.errors ?? []).length > 0)) process.exitCode = 1;
            return;
          }
        }
        const report = await withDataplane(
          ctx,
          async (dp) => {
            const first = dp.audit();
            let todo = first;
            if (first.length > 0 && o.graceMs > 0) {
              await new Promise((r) => setTimeout(r, o.graceMs));
              const seen = new Set(first.map((f) => f.key));
              todo = dp.audit().filter((f) => seen.has(f.key));
            }
            return dp.repair(todo);
          },
          { repaired: [], errors: [] },
        );
        if (o.json) ctx.json({ via: "local", ...report });
        else {
          for (const f of report.repaired)
            ctx.io.out(`${f.kind === "unrecorded-container" ? "adopted" : "removed"} ${f.kind}: ${f.detail}\n`);
          for (const e of report.errors) ctx.io.err(`error: ${e}\n`);
          if (report.repaired.length === 0 && report.errors.length === 0) ctx.io.out("nothing to collect\n");
        }
        if (report.errors.length > 0) process.exitCode = 1;
      }),
    );

  program
    .command("status")
    .description("the daemon (if running), the store and the install paths")
    .option("--json", "print JSON")
    .action((o: { json?: boolean }, cmd: Command) =>
      run(cmd, async (ctx) => {
        let daemon: { running: boolean; socket: string; status?: unknown; error?: string };
        try {
          const answer = await daemonRequest(ctx.config.socketPath, "GET", "/v1/status", 5000);
          daemon = answer
            ? { running: true, socket: ctx.config.socketPath, status: answer.body }
            : { running: false, socket: ctx.config.socketPath };
        } catch (err) {
          daemon = { running: false, socket: ctx.config.socketPath, error: (err as Error).message };
        }
        const networks: { name: string; attachments: number; reservations: number; config: string }[] = [];
        await withDataplane(
          ctx,
          async (dp) => {
            for (const n of await dp.networks.listNetworks()) {
              const installed = ctx.manager.readNetworkConfig(n.name);
              networks.push({
                name: n.name,
                attachments: dp.store.listAttachments(n.name).length,
                reservations: dp.store.listReservations(n.name).length,
                config: installed ? (installed.managed ? "installed" : "foreign") : "-",
              });
            }
          },
          undefined,
        );
        const view = {
          daemon,
          paths: {
            configDir: ctx.config.configPath,
            pluginDir: ctx.config.pluginPath,
            dataDir: ctx.config.dataDir,
            socket: ctx.config.socketPath,
          },
          plugin: { installed: existsSync(join(ctx.config.pluginPath, "quantum")) },
          store: { present: ctx.hasStore },
          networks,
        };
        if (o.json) {
          ctx.json(view);
          return;
        }
        const d = daemon.status as { pid?: number; ready?: boolean; running?: number; waiting?: number } | undefined;
        ctx.io.out(
          daemon.running
            ? `quantumd: running at ${daemon.socket} (pid ${d?.pid ?? "?"}, ${d?.ready ? "ready" : "not ready"}, ${d?.running ?? 0} running, ${d?.waiting ?? 0} waiting)\n`
            : `quantumd: not running at ${daemon.socket}${daemon.error ? ` (${daemon.error})` : ""}: plugins run in direct mode\n`,
        );
        ctx.io.out(`plugin: ${view.plugin.installed ? "installed" : "not installed"} in ${ctx.config.pluginPath}\n`);
        ctx.io.out(
          `config dir: ${ctx.config.configPath}\ndata dir: ${ctx.config.dataDir}${view.store.present ? "" : " (no store yet)"}\n`,
        );
        ctx.table(
          ["NETWORK", "ATTACHMENTS", "RESERVATIONS", "CONFIG"],
          networks.map((n) => [n.name, String(n.attachments), String(n.reservations), n.config]),
        );
      }),
    );
}
