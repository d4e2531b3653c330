// CNI_* environment parsing as the reference skel does it (cni-spec.md §1): one table of variables
// with the verbs that need them and their validators; every missing variable is reported in one
// code-4 error; empty counts as unset (libcni always sets all six). Plus CNI_ARGS parsing.
import { CniError, CODE_INVALID_ENVIRONMENT_VARIABLES } from "./errors.js";
import { type CniCommand, isCniCommand } from "./types.js";
import { showValue } from "./zod-format.js";

/** Container IDs and network names: skel's pattern. */
export const CONTAINER_ID_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** Linux IFNAMSIZ - 1. */
export const MAX_IFNAME_BYTES = 15;
/** Longer ids are refused, never truncated: they go into store keys and (hashed) kernel labels. */
export const MAX_CONTAINER_ID_BYTES = 255;
/** PATH_MAX - 1: a longer CNI_NETNS cannot name a file. */
export const MAX_NETNS_PATH_BYTES = 4095;
/** CNI_ARGS and CNI_PATH: far above any runtime's use, far below what would hurt. */
export const MAX_LIST_VAR_BYTES = 65_536;

/** C0 controls and DEL: never part of a name, a path or an argument (NUL would cut it in C). */
export function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** "contains control characters" when `value` has one, else undefined. */
export function controlCharacterProblem(value: string): string | undefined {
  return hasControlCharacter(value) ? "contains control characters" : undefined;
}

/** The CNI_ARGS keys our plugin understands (kubelet/containerd/cri-o send the K8S_ ones). */
export const QUANTUM_CNI_ARGS = [
  "IP",
  "MAC",
  "IgnoreUnknown",
  "K8S_POD_NAMESPACE",
  "K8S_POD_NAME",
  "K8S_POD_INFRA_CONTAINER_ID",
  "K8S_POD_UID",
] as const;

/** The parsed environment of one plugin call. Optional fields are absent when unset or empty. */
export interface CniEnv {
  command: CniCommand;
  containerId?: string;
  netns?: string;
  ifname?: string;
  /** CNI_ARGS as sent. */
  argsRaw?: string;
  /** CNI_ARGS parsed into key → value (case-sensitive keys). */
  args: Record<string, string>;
  /** CNI_PATH split on ":" (empty entries dropped). */
  path: string[];
}

export type EnvLookup = Record<string, string | undefined>;

/** Returns the validation error for `value`, or undefined when it is fine. */
type Validator = (value: string) => string | undefined;

interface EnvVarSpec {
  name: string;
  requiredFor: readonly CniCommand[];
  validate?: Validator;
}

/** A reason why `id` is not a valid container ID, or undefined. */
export function containerIdProblem(id: string): string | undefined {
  if (id === "") return "is empty";
  if (Buffer.byteLength(id, "utf8") > MAX_CONTAINER_ID_BYTES)
    return `is too long (at most ${MAX_CONTAINER_ID_BYTES} bytes)`;
  if (!CONTAINER_ID_PATTERN.test(id)) return "has invalid characters (allowed: [a-zA-Z0-9][a-zA-Z0-9_.-]*)";
  return undefined;
}

/** A reason why `name` cannot be a Linux interface name (skel's ValidateInterfaceName), or undefined. */
export function interfaceNameProblem(name: string): string | undefined {
  if (name === "") return "is empty";
  if (Buffer.byteLength(name, "utf8") > MAX_IFNAME_BYTES) {
    return `is too long (at most ${MAX_IFNAME_BYTES} bytes)`;
  }
  if (name === "." || name === "..") return "must not be . or ..";
  if (/[/:\s]/u.test(name)) return "must not contain / or : or whitespace characters";
  if (hasControlCharacter(name)) return "must not contain control characters";
  return undefined;
}

/** A reason why `path` cannot be a netns path, or undefined. */
export function netnsPathProblem(path: string): string | undefined {
  if (Buffer.byteLength(path, "utf8") > MAX_NETNS_PATH_BYTES)
    return `is too long (at most ${MAX_NETNS_PATH_BYTES} bytes)`;
  if (!path.startsWith("/")) return "is not an absolute path";
  return undefined;
}

function boundedList(value: string): string | undefined {
  if (Buffer.byteLength(value, "utf8") > MAX_LIST_VAR_BYTES) return `is too long (at most ${MAX_LIST_VAR_BYTES} bytes)`;
  return undefined;
}

const ADD_DEL_CHECK: readonly CniCommand[] = ["ADD", "DEL", "CHECK"];

/** skel's table. CNI_COMMAND is required for everything; VERSION needs nothing else. */
const ENV_VARS: readonly EnvVarSpec[] = [
  { name: "CNI_COMMAND", requiredFor: ["ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION"] },
  { name: "CNI_CONTAINERID", requiredFor: ADD_DEL_CHECK, validate: containerIdProblem },
  // Optional on DEL: containerd sends DEL with an empty CNI_NETNS.
  { name: "CNI_NETNS", requiredFor: ["ADD", "CHECK"], validate: netnsPathProblem },
  { name: "CNI_IFNAME", requiredFor: ADD_DEL_CHECK, validate: interfaceNameProblem },
  { name: "CNI_ARGS", requiredFor: [], validate: boundedList },
  // The spec only requires it for GC; skel requires it for every verb but VERSION.
  { name: "CNI_PATH", requiredFor: ["ADD", "DEL", "CHECK", "GC", "STATUS"], validate: boundedList },
];

function lookup(env: EnvLookup, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === "" ? undefined : v;
}

export interface ParseEnvOptions {
  /** CNI_ARGS keys accepted besides IgnoreUnknown; default QUANTUM_CNI_ARGS. */
  knownArgs?: readonly string[];
}

/**
 * Reads and validates the CNI_* variables for the command in CNI_COMMAND.
 * @throws CniError(CODE_INVALID_ENVIRONMENT_VARIABLES): every missing required variable in one
 *   message ("required env variables [CNI_IFNAME,CNI_PATH] missing"), or the first invalid one
 *   named with its value, or an unknown CNI_COMMAND, or a bad CNI_ARGS.
 */
export function parseCniEnv(env: EnvLookup, opts: ParseEnvOptions = {}): CniEnv {
  const cmd = lookup(env, "CNI_COMMAND") ?? "";
  const command = isCniCommand(cmd) ? cmd : undefined;
  const missing: string[] = [];
  for (const spec of ENV_VARS) {
    const value = lookup(env, spec.name);
    const required = spec.name === "CNI_COMMAND" || (command !== undefined && spec.requiredFor.includes(command));
    if (value === undefined) {
      if (required) missing.push(spec.name);
    } else {
      // skel validates only the variables the command needs, and stops at the first bad one.
      // Beyond skel, what a verb uses is validated even when optional (DEL's CNI_NETNS names a
      // path; CNI_ARGS is parsed for every verb but VERSION), and no variable a verb reads may
      // carry a control character. VERSION validates nothing: libcni sends it CNI_NETNS=dummy.
      if (command === undefined || command === "VERSION") continue;
      const used = required || (spec.name === "CNI_NETNS" && command === "DEL") || spec.name === "CNI_ARGS";
      const problem = (used ? spec.validate?.(value) : undefined) ?? controlCharacterProblem(value);
      if (problem) {
        throw new CniError(CODE_INVALID_ENVIRONMENT_VARIABLES, `invalid ${spec.name} ${showValue(value)}: ${problem}`);
      }
    }
  }
  if (missing.length > 0) {
    throw new CniError(CODE_INVALID_ENVIRONMENT_VARIABLES, `required env variables [${missing.join(",")}] missing`);
  }
  if (command === undefined) {
    throw new CniError(CODE_INVALID_ENVIRONMENT_VARIABLES, `unknown CNI_COMMAND: ${JSON.stringify(cmd)}`);
  }
  const out: CniEnv = { command, args: {}, path: [] };
  if (command === "VERSION") return out;
  const containerId = lookup(env, "CNI_CONTAINERID");
  const netns = lookup(env, "CNI_NETNS");
  const ifname = lookup(env, "CNI_IFNAME");
  const argsRaw = lookup(env, "CNI_ARGS");
  const path = lookup(env, "CNI_PATH");
  if (containerId !== undefined) out.containerId = containerId;
  if (netns !== undefined) out.netns = netns;
  if (ifname !== undefined) out.ifname = ifname;
  if (argsRaw !== undefined) {
    out.argsRaw = argsRaw;
    out.args = parseCniArgs(argsRaw, opts.knownArgs ?? QUANTUM_CNI_ARGS);
  }
  if (path !== undefined) out.path = path.split(":").filter((p) => p !== "");
  return out;
}

/** At most ~200 characters of text built from input. */
function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/** IgnoreUnknown's values, as Go's UnmarshallableBool reads them. */
function parseArgBool(key: string, value: string): boolean {
  const v = value.toLowerCase();
  if (v === "1" || v === "true") return true;
  if (v === "0" || v === "false") return false;
  throw new CniError(
    CODE_INVALID_ENVIRONMENT_VARIABLES,
    `invalid CNI_ARGS value ${key}=${showValue(value)}: must be 1, 0, true or false`,
  );
}

/**
 * Parses CNI_ARGS like Go's types.LoadArgs: `K1=V1;K2=V2`, exactly one `=` per pair,
 * case-sensitive keys. An unknown key is an error unless IgnoreUnknown=1|true.
 * @param knownKeys accepted keys; IgnoreUnknown is always accepted
 * @throws CniError(CODE_INVALID_ENVIRONMENT_VARIABLES) naming CNI_ARGS and the bad pair or keys.
 */
export function parseCniArgs(raw: string, knownKeys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === "") return out;
  const unknown: string[] = [];
  for (const pair of raw.split(";")) {
    const kv = pair.split("=");
    if (kv.length !== 2) {
      throw new CniError(
        CODE_INVALID_ENVIRONMENT_VARIABLES,
        `invalid CNI_ARGS pair ${showValue(pair)}: want KEY=VALUE`,
      );
    }
    const [key, value] = kv as [string, string];
    // Like Go, ignored unknown keys are dropped, not returned.
    if (key === "IgnoreUnknown" || knownKeys.includes(key)) out[key] = value;
    else unknown.push(pair);
  }
  const ignoreUnknown = out["IgnoreUnknown"] !== undefined && parseArgBool("IgnoreUnknown", out["IgnoreUnknown"]);
  if (unknown.length > 0 && !ignoreUnknown) {
    throw new CniError(
      CODE_INVALID_ENVIRONMENT_VARIABLES,
      `unknown CNI_ARGS ${clip(unknown.map((u) => JSON.stringify(u)).join(", "))} (set IgnoreUnknown=1 to ignore them)`,
    );
  }
  return out;
}
