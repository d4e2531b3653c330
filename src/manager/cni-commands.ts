import ipaddr from "ipaddr.js";
import {
  type CniEnv,
  CniError,
  CODE_INVALID_NETWORK_CONFIG,
  CODE_PLUGIN_NOT_AVAILABLE,
  type K8sPodArgs,
  k8sPodFromArgs,
  type PluginConfig,
  parseResult,
  type Result,
  resultDns,
  toCanonicalResult,
} from "../cni/index.js";
import { AttachmentService } from "../network/attachments.js";
import { DEFAULT_TABLE, Firewall, storeMarkers } from "../network/firewall/index.js";
import type { ReconcileReport } from "../network/reconcile.js";
import { openStore, type Store } from "../network/store.js";
import type { AssignedIp, AttachResult, HostPortRequest, NetworkSpec, RouteSpec } from "../network/types.js";
import { toCniError } from "./errors.js";
import { DEFAULT_DATA_DIR, specFromConfig } from "./network-spec.js";
import { execPlugin, findPlugin } from "./plugin-exec.js";

/** One CNI call, parsed: what the manager needs whatever carried it (exec or the daemon socket). */
export interface CniRequest {
  command: "ADD" | "DEL" | "CHECK" | "GC" | "STATUS";
  env: CniEnv;
  /** The environment as received, passed on unchanged to delegated IPAM plugins. */
  rawEnv: Record<string, string | undefined>;
  config: PluginConfig;
  /** stdin exactly as received (delegates get the full config). */
  stdin: Buffer | string;
}

export interface CniCommandsOptions {
  /** Our nftables table (default "quantum"). */
  firewallTable?: string;
  /** Used when a config has no `dataDir`. */
  defaultDataDir?: string;
}

/**
 * Executes CNI commands against networks: translates the config into the network model, runs
 * delegated IPAM when the config has an `ipam` section, and builds results. One store (and one
 * AttachmentService) per data dir, opened on first use and kept (the daemon reuses them).
 */
export class CniCommands {
  readonly #services = new Map<string, AttachmentService>();
  readonly #stores: Store[] = [];
  readonly #options: CniCommandsOptions;

  constructor(options: CniCommandsOptions = {}) {
    this.#options = options;
  }

  close(): void {
    for (const s of this.#services.values()) s.close();
    for (const s of this.#stores) s.close();
    this.#services.clear();
    this.#stores.length = 0;
  }

  #service(config: PluginConfig): AttachmentService {
    return this.#serviceFor(config.dataDir ?? this.#options.defaultDataDir ?? DEFAULT_DATA_DIR);
  }

  #serviceFor(dir: string): AttachmentService {
    let svc = this.#services.get(dir);
    if (!svc) {
      const store = openStore(dir);
      this.#stores.push(store);
      const table = this.#options.firewallTable ?? DEFAULT_TABLE;
      svc = new AttachmentService(store, new Firewall({ table, markers: storeMarkers(store, table) }));
      this.#services.set(dir, svc);
    }
    return svc;
  }

  /**
   * The daemon's DEL fast path: everything but the link deletion now, which is returned to run
   * after the answer. Undefined when it does not apply (delegated IPAM must see DEL in order; no
   * netns; nothing attached): the caller then runs the normal DEL.
   */
  delFast(req: CniRequest, deferRelease: boolean): (() => void) | undefined {
    const { config, env } = req;
    if (ipamType(config) || !env.netns || !env.containerId || !env.ifname) return undefined;
    const context = `DEL ${env.containerId}/${env.ifname} from network "${config.name}"`;
    try {
      const spec = specFromConfig(config);
      const req2 = { containerId: env.containerId, ifname: env.ifname, netnsPath: env.netns };
      return this.#service(config).detachFast(spec, req2, deferRelease);
    } catch (err) {
      throw toCniError(err, context);
    }
  }

  /** Records the network of a served request in its store (reconcile finds its bridge by it). */
  noteNetwork(config: PluginConfig): void {
    this.#service(config).noteNetwork(specFromConfig(config));
  }

  /** One reconcile pass over a data dir (daemon start, POST /v1/reconcile). */
  reconcile(dataDir: string, graceMs: number, sleep: (ms: number) => void): ReconcileReport {
    return this.#serviceFor(dataDir).reconcile(dataDir, graceMs, sleep);
  }

  /** Attachments and reservations per network in a data dir (metrics). */
  stats(
    dataDir: string,
  ): Record<string, { attachments: number; reserved: number; namespaces: Record<string, number> }> {
    return this.#serviceFor(dataDir).stats();
  }

  async add(req: CniRequest): Promise<Result> {
    const { config, env } = req;
    const context = `ADD ${env.containerId}/${env.ifname} to network "${config.name}"`;
    const spec = specFromConfig(config);
    const ipam = ipamType(config);
    let delegated: Result | undefined;
    if (ipam) delegated = await this.#delegate(req, ipam, "ADD", context);
    try {
      const svc = this.#service(config);
      if (delegated) spec.routes = mergeRoutes(spec.routes, delegated.routes ?? []);
      const attached = svc.attach(spec, {
        containerId: env.containerId!,
        ifname: env.ifname!,
        netnsPath: env.netns!,
        requestedIps: requestedIps(config, env),
        ...macOf(config, env),
        ...podOf(env),
        ...hostPortsOf(config),
        ...(delegated ? { delegatedIps: ipsFromIpam(delegated, spec) } : {}),
        // `"ipam": {}`: the reference bridge's layer-2-only mode, no addresses at all.
        ...(config.ipam && !ipam ? { delegatedIps: [] } : {}),
      });
      return buildResult(attached, resultDns(config.dns ?? delegated?.dns, config.runtimeConfig.dns));
    } catch (err) {
      if (ipam) await this.#delegate(req, ipam, "DEL", context).catch(() => undefined);
      throw toCniError(err, context);
    }
  }

  async del(req: CniRequest): Promise<void> {
    const { config, env } = req;
    const context = `DEL ${env.containerId}/${env.ifname} from network "${config.name}"`;
    const spec = specFromConfig(config);
    let failure: CniError | undefined;
    try {
      this.#service(config).detach(spec, {
        containerId: env.containerId!,
        ifname: env.ifname!,
        ...(env.netns ? { netnsPath: env.netns } : {}),
      });
    } catch (err) {
      failure = toCniError(err, context);
    }
    // IPAM DEL runs even when our part failed: an address must never leak.
    const ipam = ipamType(config);
    if (ipam) await this.#delegate(req, ipam, "DEL", context);
    if (failure) throw failure;
  }

  async check(req: CniRequest): Promise<void> {
    const { config, env } = req;
    const context = `CHECK ${env.containerId}/${env.ifname} on network "${config.name}"`;
    if (!config.prevResult) {
      throw new CniError(CODE_INVALID_NETWORK_CONFIG, `${context}: a prevResult is required for CHECK`);
    }
    const ipam = ipamType(config);
    if (ipam) await this.#delegate(req, ipam, "CHECK", context);
    const spec = specFromConfig(config);
    const expected = expectedFromPrevResult(config.prevResult);
    try {
      this.#service(config).check(
        spec,
        { containerId: env.containerId!, ifname: env.ifname!, ...(env.netns ? { netnsPath: env.netns } : {}) },
        expected,
      );
    } catch (err) {
      throw toCniError(err, context);
    }
  }

  async gc(req: CniRequest): Promise<void> {
    const { config } = req;
    const context = `GC of network "${config.name}"`;
    const valid = (config.validAttachments ?? []).map((a) => ({ containerId: a.containerID, ifname: a.ifname }));
    let failures: string[];
    try {
      failures = this.#service(config).collect(specFromConfig(config), valid);
    } catch (err) {
      throw toCniError(err, context);
    }
    const ipam = ipamType(config);
    if (ipam) await this.#delegateOptional(req, ipam, "GC", context, failures);
    if (failures.length > 0) throw toCniError(new Error(failures.join("; ")), context);
  }

  async status(req: CniRequest): Promise<void> {
    const { config } = req;
    const context = `network "${config.name}" cannot serve ADD`;
    let reasons: string[];
    try {
      reasons = this.#service(config).readiness(specFromConfig(config));
    } catch (err) {
      reasons = [`store unusable: ${(err as Error).message}`];
    }
    const ipam = ipamType(config);
    if (ipam) await this.#delegateOptional(req, ipam, "STATUS", context, reasons);
    if (reasons.length > 0) throw new CniError(CODE_PLUGIN_NOT_AVAILABLE, `${context}: ${reasons.join("; ")}`);
  }

  async #delegate(req: CniRequest, type: string, command: string, context: string): Promise<Result | undefined> {
    try {
      const path = findPlugin(type, req.env.path);
      const out = await execPlugin(path, command, req.rawEnv, req.stdin.toString());
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
  async #delegateOptional(req: CniRequest, type: string, command: string, context: string, out: string[]) {
    try {
      await this.#delegate(req, type, command, context);
    } catch (err) {
      if (!(err instanceof CniError && err.code === 1)) out.push((err as Error).message);
    }
  }
}

function ipamType(config: PluginConfig): string | undefined {
  const t = config.ipam?.type;
  return t ? t : undefined;
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
