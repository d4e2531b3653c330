// The CNI verbs of quantum, one method each (add, del, check, gc, status): they are the handlers
// the skel-like dispatcher of cni/ calls, in direct mode and in the daemon's workers alike. Each
// parses quantum's keys of the config into the network model, runs delegated IPAM when the config
// has an `ipam` section, and calls the same verb of the data dir's dataplane.
import ipaddr from "ipaddr.js";
import {
  type CniEnv,
  CniError,
  CODE_INVALID_NETWORK_CONFIG,
  CODE_PLUGIN_NOT_AVAILABLE,
  type K8sPodArgs,
  k8sPodFromArgs,
  type PluginConfig,
  type PluginHandlers,
  type PluginRequest,
  parseResult,
  type Result,
  resultDns,
  toCanonicalResult,
} from "../cni/index.js";
import {
  type AssignedIp,
  AttachmentProblemsError,
  type AttachResult,
  type Dataplane,
  type DataplaneOptions,
  Dataplanes,
  type DeferredLinkDeletion,
  type HostPortRequest,
  NetworkDriverType,
  type NetworkSpec,
  overlaySpec,
  type ReconcileReport,
  type RouteSpec,
  StoreDamagedError,
} from "../network/index.js";
import { causedBy, toCniError } from "./errors.js";
import { DEFAULT_DATA_DIR, type QuantumNetConf } from "./network-config.js";
import { execPlugin, findPlugin } from "./plugin-exec.js";
import { QuantumConfigCache } from "./quantum-config-cache.js";

export interface CniCommandsOptions extends DataplaneOptions {
  /** Used when a config has no `dataDir`. */
  defaultDataDir?: string;
  /**
   * Record each network served in its store once (the daemon: reconcile finds a network's bridge
   * by it, to clean ports left by an ADD that died half-way).
   */
  recordNetworks?: boolean;
}

export class CniCommands implements PluginHandlers {
  readonly #dataplanes: Dataplanes;
  readonly #options: CniCommandsOptions;
  readonly #recorded = new Set<string>();
  /** quantum's keys of each config, parsed once per process (a daemon worker sees the same few). */
  readonly #configs = new QuantumConfigCache();

  constructor(options: CniCommandsOptions = {}) {
    this.#options = options;
    this.#dataplanes = new Dataplanes(options);
  }

  close(): void {
    this.#dataplanes.close();
  }

  /** The data dirs served so far. */
  dataDirs(): string[] {
    return this.#dataplanes.dataDirs();
  }

  /** The dataplane of a data dir (opened on first use and kept). */
  dataplane(dataDir: string): Dataplane {
    return this.#dataplanes.get(dataDir);
  }

  #dataDirOf(net: QuantumNetConf): string {
    return net.dataDir ?? this.#options.defaultDataDir ?? DEFAULT_DATA_DIR;
  }

  #dataplaneOf(net: QuantumNetConf): Dataplane {
    return this.dataplane(this.#dataDirOf(net));
  }

  /**
   * Quantum's keys of the config as the network they describe. An overlay network's subnet and MTU
   * are this node's fabric lease, read from the data dir (a local file: ADD and DEL never wait for etcd).
   */
  #parse(config: PluginConfig): QuantumNetConf {
    const net = this.#configs.parse(config);
    if (net.spec.driver !== NetworkDriverType.Overlay) return net;
    return { ...net, spec: overlaySpec(net.spec, this.#dataDirOf(net)) };
  }

  /**
   * The daemon's DEL fast path: everything but the link deletion now, which is returned to finish
   * after the answer (the daemon batches them: deleteLinksTogether). Undefined when it does not apply (delegated IPAM must see DEL in order; no
   * netns; nothing attached): the caller then runs the normal DEL.
   */
  delFast(req: PluginRequest, deferRelease: boolean): DeferredLinkDeletion | undefined {
    const { config, env } = req;
    if (!env.netns || !env.containerId || !env.ifname) return undefined;
    const context = `DEL ${env.containerId}/${env.ifname} from network "${config.name}"`;
    try {
      const net = this.#parse(config);
      if (net.ipamType) return undefined;
      const target = { containerId: env.containerId, ifname: env.ifname, netnsPath: env.netns };
      return this.#dataplaneOf(net).delFast(net.spec, target, deferRelease);
    } catch (err) {
      // The normal DEL knows how to work without a damaged store.
      if (causedBy(err, StoreDamagedError)) return undefined;
      throw toCniError(err, context);
    }
  }

  /** One reconcile pass over a data dir (daemon start, POST /v1/reconcile). */
  reconcile(dataDir: string, graceMs: number, sleep: (ms: number) => void, staleGraceMs?: number): ReconcileReport {
    return this.dataplane(dataDir).reconcile(graceMs, sleep, staleGraceMs);
  }

  /** Attachments and reservations per network in a data dir (metrics). */
  stats(
    dataDir: string,
  ): Record<string, { attachments: number; reserved: number; namespaces: Record<string, number> }> {
    return this.dataplane(dataDir).stats();
  }

  async add(req: PluginRequest): Promise<Result> {
    const { config, env } = req;
    const context = `ADD ${env.containerId}/${env.ifname} to network "${config.name}"`;
    const net = this.#parse(config);
    const spec = net.spec;
    let delegated: Result | undefined;
    if (net.ipamType) delegated = await this.#delegate(req, net.ipamType, "ADD", context);
    try {
      const dp = this.#dataplaneOf(net);
      if (delegated) spec.routes = mergeRoutes(spec.routes, delegated.routes ?? []);
      const attached = dp.add(spec, {
        containerId: env.containerId!,
        ifname: env.ifname!,
        netnsPath: env.netns!,
        requestedIps: requestedIps(config, env),
        ...macOf(config, env),
        ...podOf(env),
        ...hostPortsOf(config),
        ...(delegated ? { delegatedIps: ipsFromIpam(delegated, spec) } : {}),
        ...(net.layer2Only ? { delegatedIps: [] } : {}),
      });
      if (this.#options.recordNetworks) this.#record(dp, spec);
      return buildResult(attached, resultDns(config.dns ?? delegated?.dns, config.runtimeConfig.dns));
    } catch (err) {
      if (net.ipamType) await this.#delegate(req, net.ipamType, "DEL", context).catch(() => undefined);
      throw toCniError(err, context);
    }
  }

  /** Records the network once per process; only a hint for reconcile, so it never fails an ADD. */
  #record(dp: Dataplane, spec: NetworkSpec): void {
    const key = `${dp.dataDir}\u0000${spec.name}`;
    if (this.#recorded.has(key)) return;
    try {
      dp.noteNetwork(spec);
      this.#recorded.add(key);
    } catch {
      // A store that cannot take the note now will be asked again by the next ADD.
    }
  }

  async del(req: PluginRequest): Promise<void> {
    const { config, env } = req;
    const context = `DEL ${env.containerId}/${env.ifname} from network "${config.name}"`;
    const net = this.#parse(config);
    let failure: CniError | undefined;
    const target = {
      containerId: env.containerId!,
      ifname: env.ifname!,
      ...(env.netns ? { netnsPath: env.netns } : {}),
    };
    try {
      this.#dataplaneOf(net).del(net.spec, target);
    } catch (err) {
      if (causedBy(err, StoreDamagedError)) {
        // The runtime must be able to finish the pod: DEL from the kernel and the prevResult.
        try {
          const ips = (config.prevResult?.ips ?? []).map((ip) => ip.address.split("/")[0] ?? ip.address);
          this.#dataplanes.detachWithoutStore(net.spec, target, ips);
        } catch (fallbackErr) {
          failure = toCniError(fallbackErr, context);
        }
      } else failure = toCniError(err, context);
    }
    // IPAM DEL runs even when our part failed: an address must never leak.
    if (net.ipamType) await this.#delegate(req, net.ipamType, "DEL", context);
    if (failure) throw failure;
  }

  async check(req: PluginRequest): Promise<void> {
    const { config, env } = req;
    const context = `CHECK ${env.containerId}/${env.ifname} on network "${config.name}"`;
    if (!config.prevResult) {
      throw new CniError(CODE_INVALID_NETWORK_CONFIG, `${context}: a prevResult is required for CHECK`);
    }
    const net = this.#parse(config);
    if (net.ipamType) await this.#delegate(req, net.ipamType, "CHECK", context);
    const expected = expectedFromPrevResult(config.prevResult);
    try {
      this.#dataplaneOf(net).check(
        net.spec,
        { containerId: env.containerId!, ifname: env.ifname!, ...(env.netns ? { netnsPath: env.netns } : {}) },
        expected,
      );
    } catch (err) {
      throw toCniError(err, context);
    }
  }

  async gc(req: PluginRequest): Promise<void> {
    const { config } = req;
    const context = `GC of network "${config.name}"`;
    const net = this.#parse(config);
    const valid = (config.validAttachments ?? []).map((a) => ({ containerId: a.containerID, ifname: a.ifname }));
    const failures: Error[] = [];
    try {
      this.#dataplaneOf(net).gc(net.spec, valid);
    } catch (err) {
      if (!(err instanceof AttachmentProblemsError)) throw toCniError(err, context);
      failures.push(...err.problems);
    }
    if (net.ipamType) await this.#delegateOptional(req, net.ipamType, "GC", context, failures);
    if (failures.length > 0) throw toCniError(new AttachmentProblemsError(failures, "GC"), context);
  }

  async status(req: PluginRequest): Promise<void> {
    const { config } = req;
    const context = `network "${config.name}" cannot serve ADD`;
    const net = this.#parse(config);
    const reasons: Error[] = [];
    try {
      for (const reason of this.#dataplaneOf(net).status(net.spec)) reasons.push(new Error(reason));
    } catch (err) {
      reasons.push(new Error(`store unusable: ${(err as Error).message}`, { cause: err }));
    }
    if (net.ipamType) await this.#delegateOptional(req, net.ipamType, "STATUS", context, reasons);
    if (reasons.length > 0) {
      throw new CniError(CODE_PLUGIN_NOT_AVAILABLE, `${context}: ${reasons.map((r) => r.message).join("; ")}`);
    }
  }

  async #delegate(req: PluginRequest, type: string, command: string, context: string): Promise<Result | undefined> {
    try {
      const path = findPlugin(type, req.env.path);
      const out = await execPlugin(path, command, req.environ, req.stdin.toString());
      if (command !== "ADD") return undefined;
      return toCanonicalResult(parseResult(out, req.config.cniVersion));
    } catch (err) {
      throw toCniError(err, `${context}: IPAM plugin "${type}" ${command}`);
    }
  }

  /**
   * GC and STATUS are 1.1.0 verbs: an IPAM plugin that predates them answers "incompatible
   * version" (code 1), which means "not implemented", not a failure.
   */
  async #delegateOptional(req: PluginRequest, type: string, command: string, context: string, out: Error[]) {
    try {
      await this.#delegate(req, type, command, context);
    } catch (err) {
      if (!(err instanceof CniError && err.code === 1)) out.push(err as Error);
    }
  }
}

/** runtimeConfig.ips, then args.cni.ips, else CNI_ARGS IP= (a plugin that reads `args` ignores the CNI_ARGS copy). */
export function requestedIps(config: PluginConfig, env: CniEnv): string[] {
  const fromArgs = config.args?.cni?.ips;
  const fromEnv = env.args["IP"]?.split(",").filter((s) => s !== "") ?? [];
  return [...new Set([...(config.runtimeConfig.ips ?? []), ...(fromArgs ?? fromEnv)])];
}

/** MAC precedence as the reference: CNI_ARGS MAC < args.cni.mac < runtimeConfig.mac. */
function macOf(config: PluginConfig, env: CniEnv): { mac?: string } {
  const mac = config.runtimeConfig.mac ?? config.args?.cni?.mac ?? env.args["MAC"];
  return mac ? { mac } : {};
}

/** runtimeConfig.portMappings (present only when our entry declares the capability). */
function hostPortsOf(config: PluginConfig): { hostPorts?: HostPortRequest[] } {
  const pm = config.runtimeConfig.portMappings ?? [];
  if (pm.length === 0) return {};
  return {
    hostPorts: pm.map((p) => ({
      protocol: p.protocol,
      hostPort: p.hostPort,
      containerPort: p.containerPort,
      ...(p.hostIP ? { hostIp: p.hostIP } : {}),
    })),
  };
}

/** The pod identity kubelet's runtime sent in CNI_ARGS, kept with the attachment. */
function podOf(env: CniEnv): { pod?: K8sPodArgs } {
  const pod = k8sPodFromArgs(env.args);
  return pod ? { pod } : {};
}

function ipsFromIpam(result: Result, spec: NetworkSpec): AssignedIp[] {
  const ips = result.ips ?? [];
  if (ips.length === 0) throw new Error("IPAM plugin returned no IP addresses");
  return ips.map((ip) => {
    const family = ip.address.includes(":") ? 6 : 4;
    const gateway = ip.gateway || (spec.isGateway ? firstHost(ip.address) : undefined);
    return { address: ip.address, family, ...(gateway ? { gateway } : {}) };
  });
}

/** network+1 of a CIDR (the reference bridge's default gateway when isGateway and IPAM gave none). */
function firstHost(cidr: string): string | undefined {
  const [addr] = ipaddr.parseCIDR(cidr);
  if (addr.kind() !== "ipv4") return undefined;
  const bytes = ipaddr.IPv4.networkAddressFromCIDR(cidr).toByteArray();
  bytes[3] = (bytes[3] ?? 0) + 1;
  return ipaddr.fromByteArray(bytes).toString();
}

function mergeRoutes(a: RouteSpec[], b: RouteSpec[]): RouteSpec[] {
  const out = [...a];
  for (const r of b) if (!out.some((o) => o.dst === r.dst && o.gw === r.gw)) out.push({ ...r });
  return out;
}

function buildResult(att: AttachResult, dns: Result["dns"]): Result {
  const container = att.interfaces.length - 1;
  const result: Result = {
    cniVersion: "1.1.0",
    interfaces: att.interfaces.map((i) => ({ name: i.name, mac: i.mac, ...(i.sandbox ? { sandbox: i.sandbox } : {}) })),
    ips: att.ips.map((ip) => ({
      address: ip.address,
      ...(ip.gateway ? { gateway: ip.gateway } : {}),
      interface: container,
    })),
    routes: att.routes.map((r) => ({ ...r })),
  };
  if (dns && Object.keys(dns).length > 0) result.dns = dns;
  return result;
}

/** What CHECK compares against: the container interface's addresses and the routes of prevResult. */
function expectedFromPrevResult(prev: Result): { ips: AssignedIp[]; routes: RouteSpec[] } {
  const sandboxed = new Set((prev.interfaces ?? []).flatMap((iface, index) => (iface.sandbox ? [index] : [])));
  const ips = (prev.ips ?? [])
    .filter((ip) => ip.interface === undefined || sandboxed.size === 0 || sandboxed.has(ip.interface))
    .map((ip) => ({
      address: ip.address,
      family: (ip.address.includes(":") ? 6 : 4) as 4 | 6,
      ...(ip.gateway ? { gateway: ip.gateway } : {}),
    }));
  return { ips, routes: (prev.routes ?? []).map((r) => ({ ...r })) };
}
