// Direct mode: the plugin process itself does the work, in-process (no daemon).
import type { Result } from "../cni/result.js";
import { CniCommands, type CniRequest } from "../manager/cni-commands.js";
import type { PluginHandlers, PluginRequest } from "./handlers.js";

/** Handlers over one CniCommands; `rawEnv` is what delegated IPAM plugins inherit. */
export function createDirectHandlers(
  commands = new CniCommands(),
  rawEnv: Record<string, string | undefined> = process.env,
): PluginHandlers {
  const toRequest = (req: PluginRequest): CniRequest => ({
    command: req.command,
    env: req.env,
    rawEnv,
    config: req.config,
    stdin: req.stdin,
  });
  return {
    add: (req): Promise<Result> => commands.add(toRequest(req)),
    del: (req) => commands.del(toRequest(req)),
    check: (req) => commands.check(toRequest(req)),
    gc: (req) => commands.gc(toRequest(req)),
    status: (req) => commands.status(toRequest(req)),
  };
}

export const directHandlers: PluginHandlers = createDirectHandlers();
