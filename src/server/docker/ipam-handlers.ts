// IpamDriver.*: pools are subnets of quantum networks; addresses come from the same allocator and
// reservations as CNI ADDs. A pool is remembered from RequestPool on; it becomes a quantum network
// at NetworkDriver.CreateNetwork, and only then are container addresses allocated in it (Docker
// asks for the gateway and aux addresses before the network exists).

import {
  canonicalSubnet,
  checkHostAddress,
  firstHost,
  plainAddress,
  prefixOf,
  subnetsOverlapText,
} from "../../manager/index.js";
import {
  GATEWAY_ADDRESS,
  GLOBAL_ADDRESS_SPACE,
  LOCAL_ADDRESS_SPACE,
  REQUEST_ADDRESS_TYPE,
  ReleaseAddressRequest,
  ReleasePoolRequest,
  RequestAddressRequest,
  RequestPoolRequest,
} from "./api-types.js";
import { DockerError, type DriverContext, holderKey, parseBody, readState, withState } from "./context.js";
import { unwireEndpoint } from "./endpoint-ops.js";

export type Handler = (ctx: DriverContext, body: unknown) => Promise<object>;

export const ipamHandlers: Record<string, Handler> = {
  "IpamDriver.GetCapabilities": async () => ({ RequiresMACAddress: false, RequiresRequestReplay: false }),

  "IpamDriver.GetDefaultAddressSpaces": async () => ({
    LocalDefaultAddressSpace: LOCAL_ADDRESS_SPACE,
    GlobalDefaultAddressSpace: GLOBAL_ADDRESS_SPACE,
  }),

  "IpamDriver.RequestPool": async (ctx, body) => {
    const req = parseBody("RequestPool", RequestPoolRequest, body);
    const opts = Object.keys(req.Options ?? {});
    if (opts.length > 0) throw new DockerError(`quantum's IPAM takes no options (got --ipam-opt ${opts.join(", ")})`);
    if (!req.Pool) {
      throw new DockerError(
        "quantum does not choose subnets: give --subnet (and one for --ipv6) to docker network create",
      );
    }
    if (req.SubPool)
      throw new DockerError(`--ip-range (${req.SubPool}) is not supported by quantum: use --ip per container`);
    const { cidr, family } = canonical(req.Pool);
    if ((family === 6) !== (req.V6 ?? false)) {
      throw new DockerError(`pool ${cidr} is IPv${family} but Docker asked for an IPv${req.V6 ? 6 : 4} pool`);
    }
    const clash = await ctx.dp.overlapping(cidr);
    if (clash) {
      throw new DockerError(`subnet ${cidr} overlaps subnet ${clash.subnet} of quantum network "${clash.network}"`);
    }
    const id = `${req.AddressSpace || LOCAL_ADDRESS_SPACE}/${cidr}`;
    return withState(ctx, (s) => {
      for (const p of Object.values(s.pools)) {
        if (p.family === family && subnetsOverlapText(p.subnet, cidr)) {
          throw new DockerError(`subnet ${cidr} overlaps pool ${p.subnet} already requested from quantum`);
        }
      }
      s.pools[id] = { id, subnet: cidr, family, aux: [] };
      return { PoolID: id, Pool: cidr, Data: {} };
    });
  },

  "IpamDriver.ReleasePool": async (ctx, body) => {
    const req = parseBody("ReleasePool", ReleasePoolRequest, body);
    withState(ctx, (s) => {
      delete s.pools[req.PoolID];
    });
    return {};
  },

  "IpamDriver.RequestAddress": async (ctx, body) => {
    const req = parseBody("RequestAddress", RequestAddressRequest, body);
    const pool = readState(ctx).pools[req.PoolID];
    if (!pool)
      throw new DockerError(`unknown pool "${req.PoolID}" (was it released, or requested from another driver?)`);
    const prefix = prefixOf(pool.subnet);
    const wanted = req.Address ? plainAddress(req.Address) : undefined;
    if (wanted === null) throw new DockerError(`invalid address "${req.Address}": not an IP address`);
    if (req.Options?.[REQUEST_ADDRESS_TYPE] === GATEWAY_ADDRESS) {
      const gateway =
        wanted === undefined ? firstHost(pool.subnet) : guard(() => checkHostAddress(pool.subnet, wanted));
      withState(ctx, (s) => {
        const p = s.pools[pool.id];
        if (p) p.gateway = gateway;
      });
      return { Address: `${gateway}/${prefix}`, Data: {} };
    }
    if (!pool.network) {
      // Before CreateNetwork only --aux-address requests come: kept, reserved when the network exists.
      if (wanted === undefined)
        throw new DockerError(`pool ${pool.subnet} has no network yet: nothing to allocate from`);
      const aux = guard(() => checkHostAddress(pool.subnet, wanted));
      withState(ctx, (s) => {
        s.pools[pool.id]?.aux.push(aux);
      });
      return { Address: `${aux}/${prefix}`, Data: {} };
    }
    const network = await ctx.dp.getNetwork(pool.network);
    if (!network) throw new DockerError(`quantum network "${pool.network}" of pool ${pool.subnet} no longer exists`);
    const gateway =
      pool.gateway ?? network.subnets.find((x) => x.subnet === pool.subnet)?.gateway ?? firstHost(pool.subnet);
    const ip = guard(() =>
      ctx.dp.allocate(network, { subnet: pool.subnet, gateway }, holderKey("addr"), wanted, {
        source: "docker",
        driver: ctx.driverName,
        pool: pool.id,
      }),
    );
    return { Address: ip.address, Data: {} };
  },

  "IpamDriver.ReleaseAddress": async (ctx, body) => {
    const req = parseBody("ReleaseAddress", ReleaseAddressRequest, body);
    const ip = plainAddress(req.Address);
    if (ip === null) throw new DockerError(`invalid address "${req.Address}": not an IP address`);
    const pool = readState(ctx).pools[req.PoolID];
    // Releasing what is not held is success: Docker retries releases after partial failures.
    if (!pool || ip === pool.gateway) return {};
    if (!pool.network) {
      withState(ctx, (s) => {
        const p = s.pools[pool.id];
        if (p) p.aux = p.aux.filter((a) => a !== ip);
      });
      return {};
    }
    const key = ctx.dp.holderOf(pool.network, ip);
    if (!key) return {};
    // An endpoint still wired with this address (a CreateEndpoint Docker gave up on after our
    // deadline, so it never sends DeleteEndpoint) is taken down first: nothing is left behind.
    const stale = Object.values(readState(ctx).endpoints).find((e) => e.keys.includes(key));
    if (stale) await unwireEndpoint(ctx, stale.id);
    ctx.dp.release(pool.network, key);
    return {};
  },
};

function canonical(pool: string): { cidr: string; family: 4 | 6 } {
  return guard(() => canonicalSubnet(pool, "subnet"));
}

/** Runs fn; a validation or IPAM error becomes Docker's error with the same message (and cause). */
function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DockerError) throw err;
    throw new DockerError((err as Error).message, { cause: err });
  }
}
