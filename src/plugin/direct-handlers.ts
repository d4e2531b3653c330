// Placeholder direct-mode handlers so bin/quantum builds and answers the protocol (VERSION, env
// and config errors) before the real implementation lands. Replace the bodies, keep the export.
import { CniError, CODE_PLUGIN_NOT_AVAILABLE } from "../cni/errors.js";
import type { Result } from "../cni/result.js";
import type { PluginHandlers, PluginRequest } from "./handlers.js";

function notYet(command: string): CniError {
  return new CniError(CODE_PLUGIN_NOT_AVAILABLE, `quantum: ${command} is not available yet in this build`);
}

export const directHandlers: PluginHandlers = {
  async add(_req: PluginRequest): Promise<Result> {
    throw notYet("ADD");
  },
  async del(_req: PluginRequest): Promise<void> {
    throw notYet("DEL");
  },
  async check(_req: PluginRequest): Promise<void> {
    throw notYet("CHECK");
  },
  async gc(_req: PluginRequest): Promise<void> {
    throw notYet("GC");
  },
  async status(_req: PluginRequest): Promise<void> {
    throw notYet("STATUS");
  },
};
