// The `dns` capability (runtimeConfig.dns: servers/searches/options, from the pod's dns_config)
// merged over the config's `dns` (nameservers/domain/search/options) into the result's DNS: each
// non-empty runtime list replaces the config's list of the same meaning, as the reference plugins
// that honour the capability do; the config's domain is kept.
import type { RuntimeDns } from "./config.js";
import type { Dns } from "./types.js";

export function resultDns(config: Dns | undefined, runtime: RuntimeDns | undefined): Dns | undefined {
  const out: Dns = { ...config };
  if (runtime?.servers && runtime.servers.length > 0) out.nameservers = [...runtime.servers];
  if (runtime?.searches && runtime.searches.length > 0) out.search = [...runtime.searches];
  if (runtime?.options && runtime.options.length > 0) out.options = [...runtime.options];
  return Object.keys(out).length > 0 ? out : undefined;
}
