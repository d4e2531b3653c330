// The callbacks cniMain dispatches to, as one record (skel's CNIFuncs). Handlers work on the
// canonical 1.1.0 result; cniMain converts it to the config's cniVersion before printing.

import type { PluginConfig } from "../cni/config.js";
import type { CniEnv } from "../cni/env.js";
import type { Result } from "../cni/result.js";
import type { CniCommand } from "../cni/types.js";

/** One plugin invocation, fully parsed and validated. */
export interface PluginRequest {
  command: Exclude<CniCommand, "VERSION">;
  /** CNI_* variables, with CNI_ARGS parsed. */
  env: CniEnv;
  config: PluginConfig;
  /** The decoded stdin object, unknown keys included (for delegation and pass-through). */
  rawConfig: Record<string, unknown>;
  /** stdin exactly as received (delegated IPAM gets the full config bytes). */
  stdin: Buffer;
}

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
