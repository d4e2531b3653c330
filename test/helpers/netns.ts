// Private network namespaces for privileged tests (root), and iproute2 as an independent oracle.
//
// Every namespace is named `qtest-<random>`, created with `ip netns add` (so its path is
// /var/run/netns/NAME and `ip -n NAME` works) and always deleted again, even when the test fails.
// Run a test's "host" side inside one of these too: the machine's own netns, routes and sysctls
// must never be touched by tests.
//
//   await withTestNetns(2, ([host, ctr]) => {
//     const rtnl = Rtnl.open(host.path);
//     ...
//     const links = ipJson<IpLink[]>(ctr.name, ["link", "show"]);
//   });
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";

/** One test namespace: `name` for `ip -n`, `path` for Rtnl.open / CNI_NETNS. */
export interface TestNetns {
  name: string;
  path: string;
}

const NETNS_DIR = "/var/run/netns";
const TIMEOUT_MS = 10_000;

/**
 * A unique name: `<prefix>-<hex>`. Use it for links too (prefix "qk" gives 9 characters, well
 * within the 15 an interface name may have).
 * @param hexChars random hex characters (default 8)
 */
export function uniqueName(prefix = "qtest", hexChars = 8): string {
  return `${prefix}-${randomBytes(Math.ceil(hexChars / 2))
    .toString("hex")
    .slice(0, hexChars)}`;
}

/** Creates one namespace with `ip netns add` and brings its loopback up. */
export function createTestNetns(prefix = "qtest"): TestNetns {
  const name = uniqueName(prefix);
  run("ip", ["netns", "add", name]);
  const ns = { name, path: `${NETNS_DIR}/${name}` };
  try {
    run("ip", ["-n", name, "link", "set", "lo", "up"]);
  } catch (e) {
    deleteTestNetns(ns);
    throw e;
  }
  return ns;
}

/**
 * Deletes a namespace made by createTestNetns (links inside die with it). Refuses names that
 * are not ours, so a bug can never delete someone else's namespace. Missing is fine.
 */
export function deleteTestNetns(ns: TestNetns): void {
  if (!/^[a-z]+-[0-9a-f]+$/.test(ns.name)) throw new Error(`refusing to delete netns "${ns.name}": not a test netns`);
  if (!existsSync(ns.path)) return;
  run("ip", ["netns", "del", ns.name]);
}

/** True while the namespace exists (for asserting that cleanup happened). */
export function netnsExists(name: string): boolean {
  return existsSync(`${NETNS_DIR}/${name}`);
}

/**
 * A set of test namespaces for before/after hooks:
 *   let ns: TestNamespaces; beforeEach(() => { ns = TestNamespaces.create(2); }); afterEach(() => ns.cleanup());
 */
export class TestNamespaces {
  private constructor(readonly list: TestNetns[]) {}

  /** Creates count namespaces; if one fails, the ones already made are removed. */
  static create(count: number, prefix = "qtest"): TestNamespaces {
    const set = new TestNamespaces([]);
    try {
      for (let i = 0; i < count; i++) set.list.push(createTestNetns(prefix));
    } catch (e) {
      set.cleanup();
      throw e;
    }
    return set;
  }

  get(i: number): TestNetns {
    const ns = this.list[i];
    if (!ns) throw new RangeError(`no test netns #${i} (have ${this.list.length})`);
    return ns;
  }

  /** Deletes every namespace; tries them all and throws the first failure afterwards. Idempotent. */
  cleanup(): void {
    let first: unknown;
    for (const ns of this.list.splice(0)) {
      try {
        deleteTestNetns(ns);
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== undefined) throw first;
  }
}

/**
 * Runs fn with count fresh namespaces and always deletes them afterwards, whether fn returns,
 * throws or rejects.
 */
export async function withTestNetns<T>(count: number, fn: (ns: TestNetns[]) => T | Promise<T>): Promise<T> {
  const set = TestNamespaces.create(count);
  try {
    return await fn(set.list.slice());
  } finally {
    set.cleanup();
  }
}

/**
 * `ip -n NAME -j <args>`, parsed. For example ipJson(ns, ["-d", "link", "show", "dev", "eth0"]).
 * Options such as -d/-4/-6 go first in args. Empty output (some commands print nothing) is [].
 */
export function ipJson<T = unknown>(netnsName: string, args: string[]): T {
  const out = run("ip", ["-n", netnsName, "-j", ...args]).trim();
  return (out === "" ? [] : JSON.parse(out)) as T;
}

/** `ip -n NAME <args>`, returning stdout; throws with ip's stderr on failure. */
export function ipIn(netnsName: string, args: string[]): string {
  return run("ip", ["-n", netnsName, ...args]);
}

/** Runs cmd inside the namespace (`ip netns exec NAME cmd args...`) and returns its stdout. */
export function nsExec(netnsName: string, cmd: string, args: string[] = [], input?: string): string {
  return run("ip", ["netns", "exec", netnsName, cmd, ...args], input);
}

function run(cmd: string, args: string[], input?: string): string {
  try {
    return execFileSync(cmd, args, {
      encoding: "utf8",
      timeout: TIMEOUT_MS,
      stdio: ["pipe", "pipe", "pipe"],
      ...(input === undefined ? {} : { input }),
    });
  } catch (e) {
    const stderr = (e as { stderr?: unknown }).stderr;
    const detail = typeof stderr === "string" && stderr.trim() !== "" ? `: ${stderr.trim()}` : "";
    throw new Error(`${cmd} ${args.join(" ")} failed${detail}`, { cause: e });
  }
}
