// The skel-like dispatcher of the protocol library (containernetworking/cni pkg/skel): env + stdin
// → version gates → the verb's handler → result or error. Inputs are injected (env, stdin, stdout,
// stderr) so tests never touch the process. cniDispatch returns a structured outcome (exit code,
// error); cniMain prints the error as CNI error JSON on stdout and returns the exit code;
// runCniMain plugs in the real process streams and exits. Direct mode and the daemon both call it.
import { configVersion, decodeConfigJson, type PluginConfig, parsePluginConfig } from "./config.js";
import { type CniEnv, parseCniEnv, QUANTUM_CNI_ARGS } from "./env.js";
import { CniError, CODE_INVALID_NETWORK_CONFIG, CODE_IO_FAILURE } from "./errors.js";
import { formatResult, type Result } from "./result.js";
import type { CniCommand } from "./types.js";
import {
  CURRENT_VERSION,
  checkCommandVersion,
  isSupportedVersion,
  SUPPORTED_VERSIONS,
  versionInfo,
} from "./version.js";

/** One plugin invocation, fully parsed and validated. */
export interface PluginRequest {
  command: Exclude<CniCommand, "VERSION">;
  /** CNI_* variables, with CNI_ARGS parsed. */
  env: CniEnv;
  /** The protocol's fields; the plugin's own keys are in `config.raw`. */
  config: PluginConfig;
  /** stdin exactly as received (delegated IPAM gets the full config bytes). */
  stdin: Buffer;
  /** The environment as received (a delegated plugin inherits it unchanged). */
  environ: Record<string, string | undefined>;
}

/** The callbacks per verb (skel's CNIFuncs). Handlers work on the canonical 1.1.0 result. */
export interface PluginHandlers {
  /** Returns the result (any version; normally 1.1.0); throw a CniError to fail with its code. */
  add(req: PluginRequest): Promise<Result>;
  /** Must be idempotent: succeed when the attachment is already gone. */
  del(req: PluginRequest): Promise<void>;
  check(req: PluginRequest): Promise<void>;
  gc(req: PluginRequest): Promise<void>;
  /** Throw CniError(CODE_PLUGIN_NOT_AVAILABLE | CODE_LIMITED_CONNECTIVITY) when not ready. */
  status(req: PluginRequest): Promise<void>;
}

export interface CniIo {
  env: Record<string, string | undefined>;
  /** stdin bytes, or a reader called only when the command needs stdin (not for VERSION). */
  stdin: Buffer | (() => Promise<Buffer>);
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export interface CniMainOptions {
  /** First words of the line printed on stderr when CNI_COMMAND is unset. */
  about?: string;
  /** CNI_ARGS keys accepted besides IgnoreUnknown (default QUANTUM_CNI_ARGS). */
  knownArgs?: readonly string[];
}

/** What a dispatch produced: the exit code, and on failure the error and the version to print it in. */
export interface DispatchOutcome {
  /** 0 on success, 1 on any error (skel's exit codes). */
  exitCode: 0 | 1;
  /** The CNI code of the answer: 0 on success, else error.code. */
  code: number;
  error?: CniError;
  /** The config's cniVersion when known and supported, else the current version. */
  errorVersion: string;
}

const DEFAULT_ABOUT = "Quantum CNI plugin";

/**
 * The largest config accepted on stdin. Real configs (with a prevResult and runtimeConfig) are a
 * few KiB; the daemon's default body limit (16 MiB) is above this, so both modes give this answer.
 */
export const MAX_STDIN_BYTES = 1 << 20;

async function readStdin(io: CniIo): Promise<Buffer> {
  try {
    return typeof io.stdin === "function" ? await io.stdin() : io.stdin;
  } catch (e) {
    throw new CniError(CODE_IO_FAILURE, `error reading from stdin: ${(e as Error).message}`, undefined, { cause: e });
  }
}

function callHandler(handlers: PluginHandlers, req: PluginRequest): Promise<unknown> {
  switch (req.command) {
    case "ADD":
      return handlers.add(req);
    case "DEL":
      return handlers.del(req);
    case "CHECK":
      return handlers.check(req);
    case "GC":
      return handlers.gc(req);
    case "STATUS":
      return handlers.status(req);
  }
}

/**
 * Runs one invocation and returns the error instead of printing it (skel's
 * PluginMainFuncsWithError). Success output (ADD result, VERSION answer) goes to io.stdout.
 * Order as skel: env (4) → stdin (5) → JSON (6) and name (7) → verb version gate (1) →
 * supported version (1) → config fields (7) → handler (its CniError unchanged, else 999).
 */
export async function cniDispatch(
  handlers: PluginHandlers,
  io: CniIo,
  opts: CniMainOptions = {},
): Promise<DispatchOutcome> {
  const outcome: DispatchOutcome = { exitCode: 0, code: 0, errorVersion: CURRENT_VERSION };
  try {
    let env: CniEnv;
    try {
      env = parseCniEnv(io.env, { knownArgs: opts.knownArgs ?? QUANTUM_CNI_ARGS });
    } catch (e) {
      if (!io.env["CNI_COMMAND"]) {
        io.stderr(
          `${opts.about ?? DEFAULT_ABOUT}: CNI protocol versions supported: ${SUPPORTED_VERSIONS.join(", ")}\n`,
        );
        return outcome;
      }
      throw e;
    }
    if (env.command === "VERSION") {
      // skel does not read stdin for VERSION and always answers with the current version.
      io.stdout(`${JSON.stringify(versionInfo())}\n`);
      return outcome;
    }
    const command = env.command;
    const stdin = await readStdin(io);
    if (stdin.length > MAX_STDIN_BYTES) {
      throw new CniError(
        CODE_INVALID_NETWORK_CONFIG,
        `network config on stdin is larger than ${MAX_STDIN_BYTES} bytes (${stdin.length} bytes)`,
      );
    }
    const rawConfig = decodeConfigJson(stdin);
    const version = configVersion(rawConfig);
    if (isSupportedVersion(version)) outcome.errorVersion = version;
    checkCommandVersion(command, version);
    const config = parsePluginConfig(rawConfig);
    const result = await callHandler(handlers, { command, env, config, stdin, environ: io.env });
    if (command === "ADD") {
      io.stdout(`${formatResult(result as Parameters<typeof formatResult>[0], config.cniVersion)}\n`);
    }
  } catch (e) {
    outcome.error = CniError.wrap(e);
    outcome.exitCode = 1;
    outcome.code = outcome.error.code;
  }
  return outcome;
}

/**
 * Runs one invocation: errors are printed as CNI error JSON on stdout, as skel does (libcni
 * reads stdout first and falls back to stderr text only when stdout is empty).
 * @returns the exit code: 0 on success, 1 on any error
 */
export async function cniMain(handlers: PluginHandlers, io: CniIo, opts: CniMainOptions = {}): Promise<number> {
  return (await cniRun(handlers, io, opts)).exitCode;
}

/** cniMain's work with the outcome kept: the error, when any, is printed as CNI error JSON on stdout. */
export async function cniRun(handlers: PluginHandlers, io: CniIo, opts: CniMainOptions = {}): Promise<DispatchOutcome> {
  const outcome = await cniDispatch(handlers, io, opts);
  if (outcome.error) io.stdout(`${JSON.stringify(outcome.error.toJSON(outcome.errorVersion))}\n`);
  return outcome;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

function flush(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => stream.write("", () => resolve()));
}

/** cniMain on the real process: env, stdin, stdout, stderr; exits with its code once output is flushed. */
export async function runCniMain(handlers: PluginHandlers, opts: CniMainOptions = {}): Promise<never> {
  const code = await cniMain(
    handlers,
    {
      env: process.env,
      stdin: () => readAll(process.stdin),
      stdout: (s) => void process.stdout.write(s),
      stderr: (s) => void process.stderr.write(s),
    },
    opts,
  );
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(code);
}
