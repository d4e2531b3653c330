// CniPlugin: the CNI plugin as a library object: cniMain (the skel-like dispatcher) over a set of
// handlers, by default the direct-mode ones (the dataplane, in-process). `cniMain()` without
// arguments is the seed's entry point: run the plugin on this process's env, stdin and stdout.
import {
  type CniIo,
  type CniMainOptions,
  cniDispatch,
  type DispatchOutcome,
  cniMain as dispatchMain,
  type PluginHandlers,
  runCniMain,
} from "../cni/index.js";
import { createDirectHandlers } from "../plugin/direct-handlers.js";

export interface CniPluginOptions extends CniMainOptions {
  /** The callbacks per verb; default: direct mode (the manager's CniCommands, in-process). */
  handlers?: PluginHandlers;
}

export class CniPlugin {
  readonly handlers: PluginHandlers;
  readonly #options: CniMainOptions;

  constructor(options: CniPluginOptions = {}) {
    const { handlers, ...main } = options;
    this.handlers = handlers ?? createDirectHandlers();
    this.#options = { about: "quantum: Quantum CNI plugin", ...main };
  }

  /** One invocation over the given io; the error (if any) is returned, not printed. */
  dispatch(io: CniIo): Promise<DispatchOutcome> {
    return cniDispatch(this.handlers, io, this.#options);
  }

  /** One invocation over the given io, errors printed as CNI JSON. @returns the exit code */
  run(io: CniIo): Promise<number> {
    return dispatchMain(this.handlers, io, this.#options);
  }

  /** Runs on the real process (env, stdin, stdout) and exits with the CNI exit code. */
  main(): Promise<never> {
    return runCniMain(this.handlers, this.#options);
  }
}

/**
 * The plugin's entry point.
 * - `cniMain()`: run the direct-mode plugin on this process and exit (the seed's `cni_main()`).
 * - `cniMain(handlers, io, opts?)`: one invocation over injected io; resolves with the exit code.
 */
export function cniMain(): Promise<never>;
export function cniMain(handlers: PluginHandlers, io: CniIo, opts?: CniMainOptions): Promise<number>;
export function cniMain(handlers?: PluginHandlers, io?: CniIo, opts: CniMainOptions = {}): Promise<number> {
  if (handlers === undefined || io === undefined) return new CniPlugin(opts).main();
  return dispatchMain(handlers, io, opts);
}
