// runtimeConfig as the Go reference plugins decode it: each capability's struct and field names
// (portmap's PortMapEntry, bandwidth's BandwidthEntry, host-local's IPRanges, the dns capability),
// so that go-cni's untagged Go field names (`HostPort`, `Servers`, `RangeStart`, ...) and any other
// case spelling land on the same field. Capabilities not listed keep their keys as sent.
import { foldGoKeys, type GoShape } from "./go-json-keys.js";

const leaf = null;

const PORT_MAPPING: GoShape = {
  fields: { hostPort: leaf, containerPort: leaf, protocol: leaf, hostIP: leaf },
};

const RANGE: GoShape = { fields: { subnet: leaf, rangeStart: leaf, rangeEnd: leaf, gateway: leaf } };

/** The capability names (CONVENTIONS.md) and, where structured, the shapes of their values. */
export const RUNTIME_CONFIG_SHAPE: GoShape = {
  fields: {
    ips: leaf,
    mac: leaf,
    portMappings: { items: PORT_MAPPING },
    bandwidth: { fields: { ingressRate: leaf, ingressBurst: leaf, egressRate: leaf, egressBurst: leaf } },
    dns: { fields: { servers: leaf, searches: leaf, options: leaf } },
    ipRanges: { items: { items: RANGE } },
    cgroupPath: leaf,
  },
};

/** The `args` key (CONVENTIONS.md): the reference plugins read `args.cni.ips` and `args.cni.mac`. */
export const ARGS_SHAPE: GoShape = { fields: { cni: { fields: { ips: leaf, mac: leaf } } } };

/** `args` with keys folded like runtimeConfig's (`{"CNI": {"IPs": [...]}}` reads as `args.cni.ips`). */
export function foldArgsKeys(args: unknown): unknown {
  return foldGoKeys(args, ARGS_SHAPE);
}

/**
 * `runtimeConfig` with every key a Go plugin would decode into one of the capability fields renamed to
 * that field's name (recursively). A non-object is returned unchanged, for validation to report.
 */
export function foldRuntimeConfigKeys(runtimeConfig: unknown): unknown {
  return foldGoKeys(runtimeConfig, RUNTIME_CONFIG_SHAPE);
}
