/**
 * Drives a CNI plugin binary exactly as a runtime does: CNI_* environment, config on stdin,
 * run inside the given "host" netns (a private one made by the test), result or error on stdout.
 */
import { fileURLToPath } from "node:url";
import { type ProcessRun, runProcess } from "./process.js";
import { testRegistryDir } from "./registry.js";

export const quantumBin = fileURLToPath(new URL("../../../bin/quantum", import.meta.url));
export const binDir = fileURLToPath(new URL("../../../bin", import.meta.url));
export const referenceDir = "/usr/lib/cni";

export type PluginRun = ProcessRun;

export interface PluginCall {
  command: "ADD" | "DEL" | "CHECK" | "GC" | "STATUS" | "VERSION";
  /** Name of the private netns the plugin runs in (the runtime's "host" netns). */
  hostNetns?: string;
  containerId?: string;
  netns?: string;
  ifname?: string;
  cniPath?: string;
  args?: string;
  config: unknown;
  bin?: string;
  extraEnv?: Record<string, string>;
}

export function runPlugin(call: PluginCall): Promise<PluginRun> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    CNI_COMMAND: call.command,
    CNI_CONTAINERID: call.containerId ?? "",
    CNI_NETNS: call.netns ?? "",
    CNI_IFNAME: call.ifname ?? "",
    CNI_PATH: call.cniPath ?? `${binDir}:${referenceDir}`,
    CNI_ARGS: call.args ?? "",
    // Without a daemon the shim would start one on the socket it uses (often the machine's
    // default): tests that want that say so (test/server/autostart.test.ts).
    QUANTUM_AUTOSTART: "0",
    QUANTUM_REGISTRY_DIR: testRegistryDir(),
    ...call.extraEnv,
  };
  const bin = call.bin ?? quantumBin;
  const [cmd, argv] = call.hostNetns ? ["nsenter", [`--net=/run/netns/${call.hostNetns}`, bin]] : [bin, []];
  const input = typeof call.config === "string" ? call.config : JSON.stringify(call.config);
  return runProcess(cmd as string, argv as string[], { env, input });
}

/** Fails with the plugin's own words when it did not succeed. */
export function expectOk(run: PluginRun, what: string): PluginRun {
  if (run.code !== 0) throw new Error(`${what} failed (exit ${run.code}): ${run.stdout} ${run.stderr}`);
  return run;
}
