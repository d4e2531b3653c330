// What a runtime (libcni buildOneConfig / injectRuntimeConfig / GCNetworkList) writes on each
// plugin's stdin, built from a conflist. Used by tests that act as a runtime and by CniManager.
import type { ConfList } from "./conflist.js";
import { type AnyResult, convertResult } from "./convert.js";
import { resultToJson } from "./result.js";
import type { Attachment, CniCommand } from "./types.js";
import { checkCommandVersion, versionAtLeast } from "./version.js";

export interface PluginRequestOptions {
  command: Exclude<CniCommand, "VERSION">;
  /** Capability args the runtime offers (portMappings, mac, ips, bandwidth, dns, ...). */
  capabilityArgs?: Record<string, unknown>;
  /** ADD: the previous plugin's result; DEL/CHECK: the cached result of the whole ADD chain. */
  prevResult?: AnyResult;
  /** GC: the attachments that are still valid. */
  validAttachments?: Attachment[];
}

/**
 * `runtimeConfig` = for each capability set to true, the runtime's arg of that name if supplied.
 * Nothing matching → the plugin object is returned unchanged (no `runtimeConfig` key added).
 */
export function injectRuntimeConfig(
  plugin: Record<string, unknown>,
  capabilityArgs: Record<string, unknown> = {},
): Record<string, unknown> {
  const caps = plugin["capabilities"];
  const rc: Record<string, unknown> = {};
  if (typeof caps === "object" && caps !== null) {
    for (const [cap, enabled] of Object.entries(caps as Record<string, unknown>)) {
      if (enabled === true && Object.hasOwn(capabilityArgs, cap)) rc[cap] = structuredClone(capabilityArgs[cap]);
    }
  }
  if (Object.keys(rc).length === 0) return plugin;
  return { ...plugin, runtimeConfig: rc };
}

/**
 * The stdin for one plugin of `list`: the plugin object with `cniVersion` (negotiated) and `name`
 * (the list's) overwritten, then per verb: ADD/DEL/CHECK get `runtimeConfig` and `prevResult`
 * (converted to the list version; never on DEL below 0.4.0, as libcni); GC gets
 * `cni.dev/valid-attachments` and the misnamed `cni.dev/attachments` (cni#1101); STATUS nothing.
 * @throws CniError(1) for CHECK below 0.4.0 and GC/STATUS below 1.1.0; conversion errors.
 */
export function buildPluginStdin(
  list: ConfList,
  plugin: Record<string, unknown>,
  opts: PluginRequestOptions,
): Record<string, unknown> {
  checkCommandVersion(opts.command, list.cniVersion);
  const out: Record<string, unknown> = { ...structuredClone(plugin), cniVersion: list.cniVersion, name: list.name };
  switch (opts.command) {
    case "ADD":
    case "DEL":
    case "CHECK": {
      const sendPrev = opts.command !== "DEL" || versionAtLeast(list.cniVersion, "0.4.0");
      if (opts.prevResult && sendPrev) {
        out["prevResult"] = resultToJson(convertResult(opts.prevResult, list.cniVersion));
      }
      return injectRuntimeConfig(out, opts.capabilityArgs);
    }
    case "GC": {
      const valid = (opts.validAttachments ?? []).map((a) => ({ containerID: a.containerID, ifname: a.ifname }));
      out["cni.dev/valid-attachments"] = valid;
      out["cni.dev/attachments"] = structuredClone(valid);
      return out;
    }
    case "STATUS":
      return out;
  }
}

/** buildPluginStdin for every plugin of the list, in list order (the same prevResult for all). */
export function buildPluginStdins(list: ConfList, opts: PluginRequestOptions): Record<string, unknown>[] {
  return list.plugins.map((p) => buildPluginStdin(list, p, opts));
}
