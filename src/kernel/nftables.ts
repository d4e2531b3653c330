/**
 * nftables: one script is one atomic kernel transaction. This file only runs nft; what the scripts
 * say belongs to network/firewall/.
 *
 * Two backends with the same behaviour and the same error text:
 * - libnftables in-process (build/nftables.node, native/nftables.c): well under a millisecond per
 *   call, with one nft context cached per netns path and per thread;
 * - the `nft` binary (`nft -f -`, script on stdin; `nsenter --net=PATH` for a netns): ~5-10 ms per
 *   exec. Used when the addon is not built or libnftables is missing, or when QUANTUM_NFT=cli.
 *
 * With the CLI, scripts go on stdin as text: `nft -j -f -` fails when stdin is Node's spawn pipe,
 * while the plain syntax works (kernel-notes.md). JSON is only read back (`nft -j list ...`).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { type NftablesAddon, nftablesAddon } from "./nftables-addon.js";

export interface NftOptions {
  /** Run inside this network namespace (a path: /var/run/netns/NAME, /proc/PID/ns/net); default: the caller's. */
  netnsPath?: string;
}

export interface NftApplyOptions extends NftOptions {
  /** Only parse and check the script against the kernel (`nft -c`): nothing is committed. */
  check?: boolean;
}

/** How many lines of the script an NftError quotes, so a failure can be read without the caller's logs. */
const SCRIPT_CONTEXT_LINES = 8;
/** nft never needs long: a hung `nft` process must not hang a CNI ADD forever. */
const TIMEOUT_MS = 30_000;

/**
 * nft failed: `stderr` is nft's own message (with its `/dev/stdin:LINE:COL` pointers), the same
 * text from libnftables as from the CLI.
 */
export class NftError extends Error {
  override readonly name = "NftError";
  constructor(
    message: string,
    readonly args: readonly string[],
    readonly stderr: string,
    readonly exitCode: number | null,
    readonly netnsPath?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** nft's "No such file or directory": the table, chain, set or element named does not exist. */
  get isNotFound(): boolean {
    return /No such file or directory/.test(this.stderr);
  }
}

let nftPath: string | undefined;

/**
 * nft's absolute path, found once: an exec by bare name walks PATH (a dozen failed execve per call
 * with a runtime's PATH), and this runs on every ADD and DEL.
 */
function nftBinary(): string {
  nftPath ??= ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft", "/usr/local/sbin/nft"].find((p) => existsSync(p)) ?? "nft";
  return nftPath;
}

function command(args: string[], netnsPath: string | undefined): [string, string[]] {
  const nft = nftBinary();
  return netnsPath === undefined ? [nft, args] : ["nsenter", [`--net=${netnsPath}`, nft, ...args]];
}

function where(netnsPath: string | undefined): string {
  return netnsPath === undefined ? "" : ` in netns ${netnsPath}`;
}

function scriptHead(script: string): string {
  const lines = script.split("\n");
  const head = lines.slice(0, SCRIPT_CONTEXT_LINES).map((l, i) => `  ${i + 1}: ${l}`);
  if (lines.length > SCRIPT_CONTEXT_LINES) head.push(`  ... (${lines.length} lines)`);
  return head.join("\n");
}

export type NftBackend = "libnftables" | "cli";

/** QUANTUM_NFT=cli (or setNftBackend("cli")) forces the `nft` binary even when the addon loads. */
let forceCli = process.env["QUANTUM_NFT"] === "cli";

/** The backend nft calls use on this thread: libnftables when the addon loads, else the binary. */
export function nftBackend(): NftBackend {
  return !forceCli && nftablesAddon() !== null ? "libnftables" : "cli";
}

/** Chooses the backend: "auto" (libnftables when it loads) or "cli" (always exec `nft`). Tests, troubleshooting. */
export function setNftBackend(backend: "auto" | "cli"): void {
  forceCli = backend === "cli";
}

/**
 * Frees this thread's cached libnftables contexts: the one for netnsPath, or all of them. A cached
 * context holds a socket, and with it a reference, in its netns: a netns deleted by path stays alive
 * until its context is dropped (automatically on this thread's next nft call, or here).
 * @returns how many contexts were freed (0 with the CLI backend).
 */
export function nftReleaseContexts(netnsPath?: string): number {
  const a = forceCli ? null : nftablesAddon();
  if (a === null) return 0;
  return netnsPath === undefined ? a.release() : a.release(netnsPath);
}

function failed(
  what: string,
  o: NftOptions,
  args: readonly string[],
  stderr: string,
  status: string,
  exitCode: number | null,
  input: string | undefined,
): NftError {
  const context = input === undefined ? "" : `\nscript:\n${scriptHead(input)}`;
  return new NftError(
    `${what}${where(o.netnsPath)} failed (${status}): ${stderr || "(no stderr)"}${context}`,
    args,
    stderr,
    exitCode,
    o.netnsPath,
  );
}

/**
 * Runs through libnftables. nft's failures become the NftError the CLI path would give (exit 1,
 * stderr = the same text); a netns that cannot be entered gives an NftError whose stderr is the
 * system error ("open PATH: No such file or directory": isNotFound, as nsenter's message is).
 */
function runLibrary(
  a: NftablesAddon,
  args: string[],
  o: NftOptions,
  script: string,
  input: string | undefined,
  flags: { json: boolean; check: boolean },
  what: string,
): string {
  let res: ReturnType<NftablesAddon["run"]>;
  try {
    res = a.run(o.netnsPath ?? null, script, flags);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new NftError(`${what}${where(o.netnsPath)}: cannot run libnftables: ${msg}`, args, msg, null, o.netnsPath, {
      cause: err,
    });
  }
  if (!res.ok) throw failed(what, o, args, res.error.trim(), "exit 1", 1, input);
  return res.output;
}

function runCli(args: string[], o: NftOptions, input: string | undefined, what: string): string {
  const [file, argv] = command(args, o.netnsPath);
  const res = spawnSync(file, argv, {
    input,
    encoding: "utf8",
    timeout: TIMEOUT_MS,
    maxBuffer: 256 * 1024 * 1024,
    stdio: ["pipe", "pipe", "pipe"],
  });
  if (res.error !== undefined) {
    throw new NftError(
      `${what}${where(o.netnsPath)}: cannot run ${file}: ${res.error.message}`,
      args,
      "",
      res.status,
      o.netnsPath,
      { cause: res.error },
    );
  }
  if (res.status !== 0) {
    const status = res.signal !== null ? `signal ${res.signal}` : `exit ${res.status}`;
    throw failed(what, o, args, res.stderr.trim(), status, res.status, input);
  }
  return res.stdout;
}

/** How often a transaction the kernel interrupted is sent again. */
const EINTR_RETRIES = 5;

/**
 * The kernel answers EINTR ("Interrupted system call") when a concurrent ruleset change or a
 * dump restart got in the way; the transaction was aborted as a whole, so sending it again is
 * safe, and it is what nft's other users do. Seen under load with several writers.
 */
function retryInterrupted<T>(fn: () => T): T {
  for (let attempt = 0; ; attempt++) {
    try {
      return fn();
    } catch (err) {
      const interrupted = err instanceof NftError && err.stderr.includes("Interrupted system call");
      if (!interrupted || attempt >= EINTR_RETRIES) throw err;
    }
  }
}

function addonInUse(): NftablesAddon | null {
  return forceCli ? null : nftablesAddon();
}

/**
 * Applies a ruleset script as one atomic transaction (`nft -f -` semantics).
 * @throws NftError with nft's stderr and the first lines of the script.
 */
export function nftApply(script: string, o: NftApplyOptions = {}): void {
  const check = o.check === true;
  const args = check ? ["-c", "-f", "-"] : ["-f", "-"];
  const what = check ? "nft -c -f" : "nft -f";
  const a = addonInUse();
  retryInterrupted(() =>
    a !== null ? runLibrary(a, args, o, script, script, { json: false, check }, what) : runCli(args, o, script, what),
  );
}

/**
 * `nft -j list <args>`, parsed. Example: `nftListJson(["table", "inet", "quantum"])`.
 * @throws NftError (`isNotFound` when the listed object does not exist), or when the output is not JSON.
 */
export function nftListJson(args: string[], o: NftOptions = {}): unknown {
  const argv = ["-j", "list", ...args];
  const what = `nft ${argv.join(" ")}`;
  const a = addonInUse();
  const out = retryInterrupted(() =>
    a !== null
      ? runLibrary(a, argv, o, `list ${args.join(" ")}`, undefined, { json: true, check: false }, what)
      : runCli(argv, o, undefined, what),
  );
  try {
    return JSON.parse(out) as unknown;
  } catch (err) {
    throw new NftError(
      `nft ${argv.join(" ")}${where(o.netnsPath)}: output is not JSON: ${out.slice(0, 200)}`,
      argv,
      "",
      0,
      o.netnsPath,
      { cause: err },
    );
  }
}

/**
 * True when nft can be run: the libnftables addon loads, or the `nft` binary runs (it is absent on
 * a fresh machine until `apt-get install nftables`).
 */
export function nftAvailable(): boolean {
  if (addonInUse() !== null) return true;
  const res = spawnSync(nftBinary(), ["--version"], { stdio: "ignore", timeout: TIMEOUT_MS });
  return res.error === undefined && res.status === 0;
}
