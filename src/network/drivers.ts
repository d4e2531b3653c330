import { bridgeDriver } from "./bridge/index.js";
import type { NetworkDriver } from "./driver.js";
import { macvlanDriver } from "./macvlan/index.js";
import { NetworkDriverType } from "./types.js";

/** Drivers by type. Overlay is reserved for multi-host and refused until it exists. */
const drivers = new Map<NetworkDriverType, NetworkDriver>([
  [NetworkDriverType.Bridge, bridgeDriver],
  [NetworkDriverType.Macvlan, macvlanDriver],
]);

export class UnsupportedDriverError extends Error {
  constructor(readonly driver: string) {
    super(
      driver === NetworkDriverType.Overlay
        ? `driver "overlay" is reserved for multi-host networking and not available yet`
        : `unknown driver "${driver}" (supported: ${[...drivers.keys()].join(", ")})`,
    );
    this.name = "UnsupportedDriverError";
  }
}

export function driverFor(type: NetworkDriverType | string): NetworkDriver {
  const driver = drivers.get(type as NetworkDriverType);
  if (!driver) throw new UnsupportedDriverError(type);
  return driver;
}
