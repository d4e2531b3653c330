// Direct mode: the plugin process itself does the work, in-process (no daemon). The handlers are
// the manager's CNI verbs over this process's dataplanes.
import type { PluginHandlers } from "../cni/index.js";
import { CniCommands, type CniCommandsOptions } from "../manager/index.js";

export function createDirectHandlers(options: CniCommandsOptions = {}): PluginHandlers {
  return new CniCommands(options);
}

export const directHandlers: PluginHandlers = createDirectHandlers();
