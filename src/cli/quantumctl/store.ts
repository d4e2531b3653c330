// quantumctl store recover | registry ls | registry forget. Recovery for a damaged or lost store:
// the damaged file is moved aside (never deleted: it may be needed to understand what happened),
// a fresh store is opened, and every live container the kernel vouches for (its host veth's
// alias, its firewall elements) is adopted back, so no running container's address is handed
// out again. The registry commands show and release host-wide network registrations.
import { existsSync, renameSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { DB_FILE_NAME, NetworkRegistry, openDataplane, registryDir, StoreDamagedError } from "../../network/index.js";
import { SqliteRegistryStore, SqliteStore } from "../../store/index.js";
import type { Context } from "./context.js";

type Run = (cmd: Command, fn: (ctx: Context) => Promise<void> | void) => Promise<void>;

/** Moves quantum.db and its -wal/-shm aside; returns the new name of the database file. */
function moveAside(dataDir: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const target = join(dataDir, `${DB_FILE_NAME}.damaged-${stamp}`);
  for (const suffix of ["", "-wal", "-shm"]) {
    const from = join(dataDir, DB_FILE_NAME + suffix);
    if (existsSync(from)) renameSync(from, target + suffix);
  }
  return target;
}

/** Whether the data dir's store opens and passes its integrity check. */
function damaged(dataDir: string): StoreDamagedError | undefined {
  if (!existsSync(join(dataDir, DB_FILE_NAME))) return undefined;
  try {
    SqliteStore.open(dataDir).close();
    return undefined;
  } catch (err) {
    if (err instanceof StoreDamagedError) return err;
    throw err;
  }
}

export function registerStoreCommands(program: Command, run: Run): void {
  const store = program.command("store").description("the data dir's store: recovery");
  store
    .command("recover")
    .description(
      "move a damaged store aside (or with --fresh, any store) and rebuild it from the live kernel: " +
        "every running container's attachment and addresses are adopted back",
    )
    .option("--fresh", "move the store aside even when it is healthy")
    .option("--json", "print JSON")
    .action((o: { fresh?: boolean; json?: boolean }, cmd: Command) =>
      run(cmd, (ctx) => {
        const dataDir = ctx.config.dataDir;
        const problem = damaged(dataDir);
        const movedTo =
          problem || (o.fresh && existsSync(join(dataDir, DB_FILE_NAME))) ? moveAside(dataDir) : undefined;
        const dp = openDataplane(dataDir, { firewallTable: ctx.config.firewallTable });
        try {
          const report = dp.recoverFromKernel();
          if (o.json) {
            ctx.json({ dataDir, ...(movedTo ? { movedTo } : {}), ...report });
          } else {
            if (problem) ctx.io.out(`${problem.message}\n`);
            if (movedTo) ctx.io.out(`moved the old store to ${movedTo}\n`);
            for (const a of report.adopted) ctx.io.out(`adopted ${a}\n`);
            for (const p of report.problems) ctx.io.err(`error: ${p}\n`);
            ctx.io.out(`${report.adopted.length} live attachment(s) recorded in ${join(dataDir, DB_FILE_NAME)}\n`);
          }
          if (report.problems.length > 0) process.exitCode = 1;
        } finally {
          dp.close();
        }
      }),
    );

  const registry = program
    .command("registry")
    .description("the host-wide network registry (QUANTUM_REGISTRY_DIR, default /var/lib/quantum/registry)");
  const withRegistry = <T>(fn: (r: NetworkRegistry) => T): T => {
    const r = new NetworkRegistry(SqliteRegistryStore.open(registryDir()));
    try {
      return fn(r);
    } finally {
      r.close();
    }
  };
  registry
    .command("ls")
    .description("networks registered in this network namespace")
    .option("--json", "print JSON")
    .action((o: { json?: boolean }, cmd: Command) =>
      run(cmd, (ctx) =>
        withRegistry((r) => {
          const entries = r.list();
          if (o.json) return ctx.json(entries);
          ctx.table(
            ["NAME", "DRIVER", "BRIDGE", "SUBNETS", "DATA DIR"],
            entries.map((e) => [e.name, e.driver, e.bridge || "-", e.subnets.join(",") || "-", e.dataDir]),
          );
        }),
      ),
    );
  registry
    .command("forget <name>")
    .description("release a network's registration (its bridge and subnets become free for another network)")
    .action((name: string, _o: unknown, cmd: Command) =>
      run(cmd, (ctx) =>
        withRegistry((r) => {
          if (!r.forget(name)) throw new Error(`no network "${name}" is registered in this network namespace`);
          ctx.io.out(`forgot network "${name}"\n`);
        }),
      ),
    );
}
