// Endpoint wiring and unwiring, shared by NetworkDriver.CreateEndpoint/DeleteEndpoint and by
// IpamDriver.ReleaseAddress (which takes down an endpoint Docker abandoned).

import { plainAddress } from "../../manager/index.js";
import { DockerError, type DriverContext, readState, short, withState } from "./context.js";
import type { Endpoint } from "./state.js";

export interface WireRequest {
  networkId: string;
  endpointId: string;
  /** CIDRs Docker got from our IPAM. */
  addresses: string[];
  mac?: string;
}

export async function wireEndpoint(ctx: DriverContext, req: WireRequest): Promise<Endpoint> {
  const state = readState(ctx);
  const existing = state.endpoints[req.endpointId];
  if (existing) return existing;
  const net = state.networks[req.networkId];
  if (!net) throw new DockerError(`network ${short(req.networkId)} is not known to quantum`);
  const network = await ctx.dp.getNetwork(net.name);
  if (!network)
    throw new DockerError(`quantum network "${net.name}" of docker network ${short(req.networkId)} is gone`);
  if (req.addresses.length === 0) throw new DockerError("the endpoint has no address: quantum networks are addressed");
  const keys: string[] = [];
  const ips = req.addresses.map((cidr) => {
    const ip = plainAddress(cidr);
    const key = ip === null ? null : ctx.dp.holderOf(net.name, ip);
    if (ip === null || key === null) {
      throw new DockerError(
        `address ${cidr} was not handed out by quantum's IPAM on "${net.name}" (use --ipam-driver ${ctx.driverName})`,
      );
    }
    keys.push(key);
    const family = ip.includes(":") ? 6 : 4;
    const subnet = network.subnets.find((s) => (s.subnet.includes(":") ? 6 : 4) === family);
    return { address: cidr, family: family as 4 | 6, rangeId: "0", ...(subnet ? { gateway: subnet.gateway } : {}) };
  });
  const wired = ctx.dp.wire(network, req.endpointId, ips, req.mac);
  const endpoint: Endpoint = {
    id: req.endpointId,
    networkId: req.networkId,
    network: net.name,
    addresses: req.addresses,
    keys,
    hostIfname: wired.hostIfname,
    peerIfname: wired.peerIfname,
  };
  try {
    withState(ctx, (s) => {
      s.endpoints[endpoint.id] = endpoint;
      for (const k of keys)
        ctx.dp.setHolderLink(net.name, k, { hostIfname: wired.hostIfname, endpointId: endpoint.id });
    });
  } catch (err) {
    ctx.dp.unwire(network, net.name, req.endpointId, wired.hostIfname, req.addresses);
    throw err;
  }
  return endpoint;
}

/** Takes the endpoint's veth and firewall elements down and forgets it; its addresses stay Docker's. */
export async function unwireEndpoint(ctx: DriverContext, endpointId: string): Promise<void> {
  const ep = readState(ctx).endpoints[endpointId];
  if (!ep) return;
  const network = await ctx.dp.getNetwork(ep.network);
  ctx.dp.unwire(network, ep.network, ep.id, ep.hostIfname, ep.addresses);
  withState(ctx, (s) => {
    delete s.endpoints[ep.id];
    for (const k of ep.keys) ctx.dp.setHolderLink(ep.network, k, undefined);
  });
}
