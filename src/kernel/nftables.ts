/**
 * nftables through the `nft` binary: one `nft -f -` process is one atomic kernel transaction.
 * This file only runs nft; what the scripts say belongs to network/firewall/.
 *
 * Scripts go on stdin as text: `nft -j -f -` fails when stdin is Node's spawn pipe, while the
 * plain syntax works (kernel-notes.md). JSON is only read back (`nft -j list ...`).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export interface NftOptions {
  /** Run inside this network namespace (`nsenter --net=PATH`); default: the caller's. */
  netnsPath?: string;
}

export interface NftApplyOptions extends NftOptions {
  /** Only parse and check the script against the kernel (`nft -c`): nothing is committed. */
  check?: boolean;
}

/** How many lines of the script an NftError quotes, so a failure can be read without the caller's logs. */
const SCRIPT_CONTEXT_LINES = 8;
/** nft never needs long: a hung process must not hang a CNI ADD forever. */
const TIMEOUT_MS = 30_000;

/** nft failed: `stderr` is nft's own message (with its `/dev/stdin:LINE:COL` pointers). */
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

function run(args: string[], o: NftOptions, input: string | undefined, what: string): string {
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
    const stderr = res.stderr.trim();
    const context = input === undefined ? "" : `\nscript:\n${scriptHead(input)}`;
    const status = res.signal !== null ? `signal ${res.signal}` : `exit ${res.status}`;
    throw new NftError(
      `${what}${where(o.netnsPath)} failed (${status}): ${stderr || "(no stderr)"}${context}`,
      args,
      stderr,
      res.status,
      o.netnsPath,
    );
  }
  return res.stdout;
}

/**
 * Applies a ruleset script as one atomic transaction (`nft -f -`, script on stdin).
 * @throws NftError with nft's stderr and the first lines of the script.
 */
export function nftApply(script: string, o: NftApplyOptions = {}): void {
  const args = o.check === true ? ["-c", "-f", "-"] : ["-f", "-"];
  run(args, o, script, o.check === true ? "nft -c -f" : "nft -f");
}

/**
 * `nft -j list <args>`, parsed. Example: `nftListJson(["table", "inet", "quantum"])`.
 * @throws NftError (`isNotFound` when the listed object does not exist), or when the output is not JSON.
 */
export function nftListJson(args: string[], o: NftOptions = {}): unknown {
  const argv = ["-j", "list", ...args];
  const out = run(argv, o, undefined, `nft ${argv.join(" ")}`);
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

/** True when the `nft` binary runs (it is absent on a fresh machine until `apt-get install nftables`). */
export function nftAvailable(): boolean {
  const res = spawnSync(nftBinary(), ["--version"], { stdio: "ignore", timeout: TIMEOUT_MS });
  return res.error === undefined && res.status === 0;
}
