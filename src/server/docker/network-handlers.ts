// NetworkDriver.*: a Docker network is a quantum network (VirtualNetworkManager), its endpoints
// veths on the network's bridge with the CNI path's firewall elements. Docker learns the host-side
// name of the veth's other end at Join and moves it into the container itself.

import { canonicalSubnet, plainAddress } from "../../manager/index.js";
import {
  CreateEndpointRequest,
  CreateNetworkRequest,
  EndpointRequest,
  type IPAMData,
  JoinRequest,
  NetworkRequest,
} from "./api-types.js";
import { DockerError, holderKey, parseBody, readState, short, withState } from "./context.js";
import { unwireEndpoint, wireEndpoint } from "./endpoint-ops.js";
import type { Handler } from "./ipam-handlers.js";
import { OptionError, parseNetworkOptions } from "./options.js";
import type { Pool } from "./state.js";

export const networkHandlers: Record<string, Handler> = {
  "NetworkDriver.GetCapabilities": async () => ({ Scope: "local", ConnectivityScope: "local" }),

  "NetworkDriver.CreateNetwork": async (ctx, body) => {
    const req = parseBody("CreateNetwork", CreateNetworkRequest, body);
    const state = readState(ctx);
    if (state.networks[req.NetworkID]) return {};
    const opts = guardOptions(() => parseNetworkOptions(req.Options));
    const data = [...(req.IPv4Data ?? []), ...(req.IPv6Data ?? [])].filter((d) => d.Pool !== "0.0.0.0/0");
    const pools = data.map((d) => poolOf(state.pools, d));
    const families = pools.map((p) => p.pool.family);
    if (pools.length === 0) throw new DockerError("a quantum network needs a subnet: give --subnet");
    if (new Set(families).size !== families.length) {
      throw new DockerError("a quantum network holds at most one IPv4 and one IPv6 subnet");
    }
    for (const { pool } of pools) {
      if (pool.network)
        throw new DockerError(`subnet ${pool.subnet} is already used by quantum network "${pool.network}"`);
    }
    const name = opts.name ?? `docker-${short(req.NetworkID)}`;
    const subnets = pools.map(({ pool, gateway }) => ({ subnet: pool.subnet, gateway }));
    const network = await guardAsync(() =>
      ctx.dp.createNetwork({
        name,
        subnets,
        isolation: opts.isolation,
        ipMasq: opts.ipMasq,
        labels: { "docker.network.id": req.NetworkID, "docker.driver": ctx.driverName },
        ...(opts.mtu !== undefined ? { mtu: opts.mtu } : {}),
        ...(opts.bridge !== undefined ? { bridge: opts.bridge } : {}),
      }),
    );
    try {
      ctx.dp.setGateways(name, subnets);
      const fresh = (await ctx.dp.getNetwork(name)) ?? network;
      withState(ctx, (s) => {
        for (const { pool } of pools) {
          const p = s.pools[pool.id];
          if (!p) continue;
          p.network = name;
          for (const aux of p.aux) {
            ctx.dp.allocate(
              fresh,
              { subnet: p.subnet, gateway: subnets.find((x) => x.subnet === p.subnet)?.gateway ?? "" },
              holderKey("aux"),
              aux,
              {
                source: "docker",
                driver: ctx.driverName,
                pool: p.id,
                aux: true,
              },
            );
          }
          p.aux = [];
        }
        s.networks[req.NetworkID] = {
          id: req.NetworkID,
          name,
          pools: pools.map(({ pool }) => pool.id),
          createdAt: new Date().toISOString(),
        };
      });
    } catch (err) {
      await ctx.dp.deleteNetwork(name).catch(() => undefined);
      throw new DockerError(`cannot create network "${name}": ${(err as Error).message}`, { cause: err });
    }
    return {};
  },

  "NetworkDriver.DeleteNetwork": async (ctx, body) => {
    const req = parseBody("DeleteNetwork", NetworkRequest, body);
    const net = readState(ctx).networks[req.NetworkID];
    if (!net) return {};
    for (const ep of Object.values(readState(ctx).endpoints)) {
      if (ep.networkId === req.NetworkID) await unwireEndpoint(ctx, ep.id);
    }
    ctx.dp.releaseAllHolders(net.name);
    await guardAsync(() => ctx.dp.deleteNetwork(net.name));
    withState(ctx, (s) => {
      delete s.networks[req.NetworkID];
      for (const id of net.pools) {
        const p = s.pools[id];
        if (p) delete p.network;
      }
    });
    return {};
  },

  "NetworkDriver.CreateEndpoint": async (ctx, body) => {
    const req = parseBody("CreateEndpoint", CreateEndpointRequest, body);
    const iface = req.Interface ?? {};
    const addresses = [iface.Address, iface.AddressIPv6].filter((a): a is string => !!a);
    await wireEndpoint(ctx, {
      networkId: req.NetworkID,
      endpointId: req.EndpointID,
      addresses,
      ...(iface.MacAddress ? { mac: iface.MacAddress } : {}),
    });
    // Docker already has the addresses (and MAC, when given): answering them again is an error to it.
    return {};
  },

  "NetworkDriver.EndpointOperInfo": async (ctx, body) => {
    const req = parseBody("EndpointOperInfo", EndpointRequest, body);
    const ep = readState(ctx).endpoints[req.EndpointID];
    if (!ep) throw new DockerError(`endpoint ${short(req.EndpointID)} is not known to quantum`);
    return { Value: { network: ep.network, hostIfname: ep.hostIfname, addresses: ep.addresses } };
  },

  "NetworkDriver.DeleteEndpoint": async (ctx, body) => {
    const req = parseBody("DeleteEndpoint", EndpointRequest, body);
    await unwireEndpoint(ctx, req.EndpointID);
    return {};
  },

  "NetworkDriver.Join": async (ctx, body) => {
    const req = parseBody("Join", JoinRequest, body);
    const ep = readState(ctx).endpoints[req.EndpointID];
    if (!ep) throw new DockerError(`endpoint ${short(req.EndpointID)} is not known to quantum`);
    if (!ctx.dp.hasLink(ep.peerIfname)) {
      throw new DockerError(
        `veth "${ep.peerIfname}" of endpoint ${short(ep.id)} is not in quantumd's network namespace: quantumd must run in dockerd's`,
      );
    }
    const network = await ctx.dp.getNetwork(ep.network);
    if (!network) throw new DockerError(`quantum network "${ep.network}" is gone`);
    withState(ctx, (s) => {
      const e = s.endpoints[ep.id];
      if (e) e.sandboxKey = req.SandboxKey;
    });
    const v4 = network.subnets.find((s) => !s.subnet.includes(":"));
    const v6 = network.subnets.find((s) => s.subnet.includes(":"));
    return {
      InterfaceName: { SrcName: ep.peerIfname, DstPrefix: "eth" },
      ...(v4 ? { Gateway: v4.gateway } : {}),
      ...(v6 ? { GatewayIPv6: v6.gateway } : {}),
    };
  },

  "NetworkDriver.Leave": async (ctx, body) => {
    const req = parseBody("Leave", EndpointRequest, body);
    withState(ctx, (s) => {
      const e = s.endpoints[req.EndpointID];
      if (e) delete e.sandboxKey;
    });
    return {};
  },

  "NetworkDriver.ProgramExternalConnectivity": async (_ctx, body) => {
    const req = parseBody("ProgramExternalConnectivity", JoinRequest.omit({ SandboxKey: true }), body);
    const ports = req.Options?.["com.docker.network.portmap"];
    if (Array.isArray(ports) && ports.length > 0) {
      throw new DockerError("publishing ports (-p) is not supported by the quantum driver");
    }
    return {};
  },

  "NetworkDriver.RevokeExternalConnectivity": async (_ctx, body) => {
    parseBody("RevokeExternalConnectivity", EndpointRequest, body);
    return {};
  },

  "NetworkDriver.DiscoverNew": async () => ({}),
  "NetworkDriver.DiscoverDelete": async () => ({}),
};

/** The pool Docker's IPAM data refers to (by address space and subnet), with its gateway. */
function poolOf(pools: Record<string, Pool>, d: IPAMData): { pool: Pool; gateway: string } {
  let cidr: string;
  try {
    cidr = canonicalSubnet(d.Pool, "subnet").cidr;
  } catch (err) {
    throw new DockerError((err as Error).message, { cause: err });
  }
  const pool = pools[`${d.AddressSpace ?? ""}/${cidr}`] ?? Object.values(pools).find((p) => p.subnet === cidr);
  if (!pool) {
    throw new DockerError(
      `subnet ${cidr} was not allocated by quantum's IPAM: use --ipam-driver with the quantum driver`,
    );
  }
  const gateway = (d.Gateway ? plainAddress(d.Gateway) : null) ?? pool.gateway;
  if (!gateway) throw new DockerError(`subnet ${cidr} has no gateway`);
  return { pool, gateway };
}

function guardOptions<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof OptionError) throw new DockerError(err.message, { cause: err });
    throw err;
  }
}

async function guardAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DockerError) throw err;
    throw new DockerError((err as Error).message, { cause: err });
  }
}
