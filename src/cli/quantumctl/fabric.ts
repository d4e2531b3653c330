// quantumctl fabric init | status | nodes: the fabric's config and view, straight from etcd (the
// node daemons need not run). Endpoints: --etcd-endpoints or QUANTUM_ETCD_ENDPOINTS.
import { type Command, InvalidArgumentError } from "commander";
import {
  DEFAULT_PREFIX,
  type EndpointHealth,
  EtcdCluster,
  type FabricConfig,
  FabricStore,
  type Listing,
  makeFabricConfig,
  parseEndpoints,
  sameFabricConfig,
} from "../../fabric/index.js";
import { CliError, type Context } from "./context.js";

type Run = (cmd: Command, fn: (ctx: Context) => Promise<void> | void) => Promise<void>;

function intArg(v: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError("not a non-negative integer");
  return Number(v);
}

interface EtcdOpts {
  etcdEndpoints?: string;
  prefix: string;
}

async function withStore<T>(o: EtcdOpts, fn: (s: FabricStore) => Promise<T>): Promise<T> {
  const text = o.etcdEndpoints ?? process.env["QUANTUM_ETCD_ENDPOINTS"];
  if (!text)
    throw new CliError("no etcd endpoints: give --etcd-endpoints URL[,URL...] or set QUANTUM_ETCD_ENDPOINTS", 2);
  const cluster = new EtcdCluster(parseEndpoints(text));
  try {
    return await fn(new FabricStore(cluster, o.prefix));
  } finally {
    cluster.close();
  }
}

export interface NodeView {
  node: string;
  subnet: string;
  v6Subnet?: string;
  publicIP: string;
  vtepMac: string;
  lease: string;
  /** Seconds of lease left (-1: lease gone). */
  ttlLeft: number;
  /** Estimated from the lease: granted TTL minus what is left. */
  lastRenewal: string | null;
  claimedAt: string;
}

async function nodeViews(store: FabricStore, l: Listing): Promise<NodeView[]> {
  const out: NodeView[] = [];
  for (const [subnet, e] of [...l.subnets].sort((a, b) => a[1].value.node.localeCompare(b[1].value.node))) {
    let ttlLeft = -1;
    let lastRenewal: string | null = null;
    try {
      const r = await store.cluster.call("read a lease", (c) => c.leaseClient.leaseTimeToLive({ ID: e.lease }));
      ttlLeft = Number(r.TTL);
      if (ttlLeft >= 0) lastRenewal = new Date(Date.now() - (Number(r.grantedTTL) - ttlLeft) * 1000).toISOString();
    } catch {
      // shown as unknown
    }
    out.push({
      node: e.value.node,
      subnet,
      ...(e.value.v6Subnet ? { v6Subnet: e.value.v6Subnet } : {}),
      publicIP: e.value.publicIP,
      vtepMac: e.value.vtepMac,
      lease: e.lease,
      ttlLeft,
      lastRenewal,
      claimedAt: e.value.claimedAt,
    });
  }
  return out;
}

function etcdOptions(cmd: Command): Command {
  return cmd
    .option("--etcd-endpoints <urls>", "etcd client URLs, comma-separated (env QUANTUM_ETCD_ENDPOINTS)")
    .option("--prefix <prefix>", "etcd key prefix of the fabric", DEFAULT_PREFIX);
}

export function registerFabricCommands(program: Command, run: Run): void {
  const fabric = program.command("fabric").description("multi-host fabric on etcd: init, status, nodes");

  etcdOptions(fabric.command("init"))
    .description("write the fabric's config into etcd once (an identical one is fine, a different one is refused)")
    .requiredOption("--network <cidr>", "IPv4 pool every node's subnet comes from, e.g. 10.254.0.0/16")
    .option("--subnet-len <n>", "prefix length of a node's subnet", intArg, 24)
    .option("--v6-network <cidr>", "dual-stack: IPv6 pool, node i gets its i-th subnet, e.g. fd54::/48")
    .option("--v6-subnet-len <n>", "prefix length of a node's IPv6 subnet", intArg, 64)
    .option("--lease-ttl <seconds>", "TTL of a node's claim", intArg, 60)
    .option("--vni <n>", "VXLAN network identifier", intArg, 1)
    .option("--port <n>", "VXLAN UDP port", intArg, 4789)
    .option("--quarantine <seconds>", "how long a dead node's subnet is not handed out again", intArg, 600)
    .option("--json", "print the stored config as JSON")
    .action(
      (
        o: EtcdOpts & {
          network: string;
          subnetLen: number;
          v6Network?: string;
          v6SubnetLen: number;
          leaseTtl: number;
          vni: number;
          port: number;
          quarantine: number;
          json?: boolean;
        },
        cmd: Command,
      ) =>
        run(cmd, async (ctx) => {
          let config: FabricConfig;
          try {
            config = makeFabricConfig({
              network: o.network,
              subnetLen: o.subnetLen,
              ...(o.v6Network ? { v6Network: o.v6Network, v6SubnetLen: o.v6SubnetLen } : {}),
              ttlSeconds: o.leaseTtl,
              vni: o.vni,
              port: o.port,
              reuseQuarantineSeconds: o.quarantine,
            });
          } catch (e) {
            throw new CliError((e as Error).message, 2);
          }
          const res = await withStore(o, (s) => s.initConfig(config));
          if (!res.created && !sameFabricConfig(res.stored, config)) {
            throw new CliError(
              `the fabric under ${o.prefix} already has a different config: ${JSON.stringify(res.stored)} (a change needs a new --prefix)`,
            );
          }
          if (o.json) ctx.json({ created: res.created, config: res.stored });
          else
            ctx.io.out(
              `${res.created ? "fabric initialised" : "fabric already initialised with this config"}: ${JSON.stringify(res.stored)}\n`,
            );
        }),
    );

  etcdOptions(fabric.command("status"))
    .description(
      "the fabric's config, nodes (subnet, public IP, VTEP MAC, last renewal) and each etcd endpoint's health",
    )
    .option("--json", "JSON output")
    .action((o: EtcdOpts & { json?: boolean }, cmd: Command) =>
      run(cmd, async (ctx) => {
        const view = await withStore(o, async (s) => {
          const health = await s.cluster.health();
          let listing: Listing | undefined;
          let error: string | undefined;
          try {
            listing = await s.list();
          } catch (e) {
            error = (e as Error).message;
          }
          const nodes = listing ? await nodeViews(s, listing) : [];
          return { health, listing, nodes, error };
        });
        const out = {
          prefix: o.prefix,
          config: view.listing?.config ?? null,
          nodes: view.nodes,
          released: view.listing ? [...view.listing.released.keys()] : [],
          endpoints: view.health,
          ...(view.error ? { error: view.error } : {}),
        };
        if (o.json) {
          ctx.json(out);
        } else {
          ctx.io.out(`config: ${out.config ? JSON.stringify(out.config) : "(none: run quantumctl fabric init)"}\n`);
          printNodes(ctx, view.nodes);
          printHealth(ctx, view.health);
        }
        if (view.error || view.health.every((h) => !h.healthy))
          throw new CliError(view.error ?? "no healthy etcd endpoint");
      }),
    );

  etcdOptions(fabric.command("nodes"))
    .description("the fabric's nodes: subnet, public IP, VTEP MAC, last renewal")
    .option("--json", "JSON output")
    .action((o: EtcdOpts & { json?: boolean }, cmd: Command) =>
      run(cmd, async (ctx) => {
        const nodes = await withStore(o, async (s) => nodeViews(s, await s.list()));
        if (o.json) ctx.json(nodes);
        else printNodes(ctx, nodes);
      }),
    );
}

function printNodes(ctx: Context, nodes: NodeView[]): void {
  ctx.table(
    ["NODE", "SUBNET", "PUBLIC IP", "VTEP MAC", "LEASE TTL LEFT", "LAST RENEWAL", "IPV6 SUBNET"],
    nodes.map((n) => [
      n.node,
      n.subnet,
      n.publicIP,
      n.vtepMac,
      n.ttlLeft < 0 ? "gone" : `${n.ttlLeft}s`,
      n.lastRenewal ?? "?",
      n.v6Subnet ?? "",
    ]),
  );
}

function printHealth(ctx: Context, health: EndpointHealth[]): void {
  ctx.table(
    ["ENDPOINT", "HEALTHY", "LEADER", "MS", "ERROR"],
    health.map((h) => [h.endpoint, h.healthy ? "yes" : "no", h.isLeader ? "yes" : "", String(h.ms), h.error ?? ""]),
  );
}
