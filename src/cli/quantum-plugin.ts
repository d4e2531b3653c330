// Entry point of bin/quantum in direct mode: the CNI protocol (cniMain) over the in-process
// handlers. The handlers pull in the whole dataplane (kernel addon, store, drivers), so they are
// imported on first use: VERSION (which podman sends before every ADD and DEL), the about line and
// env/config errors answer without loading it, and a dataplane that fails to load becomes a
// CNI error (999) instead of a crash.
import { type PluginHandlers, runCniMain } from "../cni/index.js";

let loaded: Promise<PluginHandlers> | undefined;
const load = (): Promise<PluginHandlers> => {
  loaded ??= import("../plugin/direct-handlers.js").then((m) => m.directHandlers);
  return loaded;
};

const lazyHandlers: PluginHandlers = {
  add: async (req) => (await load()).add(req),
  del: async (req) => (await load()).del(req),
  check: async (req) => (await load()).check(req),
  gc: async (req) => (await load()).gc(req),
  status: async (req) => (await load()).status(req),
};

await runCniMain(lazyHandlers, { about: "quantum: Quantum CNI plugin (direct mode)" });
