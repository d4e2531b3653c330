import { bridgeDriver } from "./bridge/index.js";
import type { NetworkDriver } from "./driver.js";
import { macvlanDriver } from "./macvlan/index.js";
import { overlayDriver } from "./overlay/index.js";
import { NetworkDriverType } from "./types.js";

/** Drivers by type. */
const drivers = new Map<NetworkDriverType, NetworkDriver>([
  [NetworkDriverType.Bridge, bridgeDriver],
  [NetworkDriverType.Macvlan, macvlanDriver],
  [NetworkDriverType.Overlay, overlayDriver],
]);

export class UnsupportedDriverError extends Error {
  constructor(readonly driver: string) {
    super(`unknown driver "${driver}" (supported: ${[...drivers.keys()].join(", ")})`);
    this.name = "UnsupportedDriverError";
  }
}

export function driverFor(type: NetworkDriverType | string): NetworkDriver {
  const driver = drivers.get(type as NetworkDriverType);
  if (!driver) throw new UnsupportedDriverError(type);
  return driver;
}
