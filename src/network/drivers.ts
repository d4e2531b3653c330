import { bridgeDriver } from "./bridge/index.js";
import type { NetworkDriver } from "./driver.js";
import { macvlanDriver } from "./macvlan/index.js";
import { overlayDriver } from "./overlay/index.js";
import { NetworkDriverType } from "./types.js";

/** The drivers a dataplane wires containers with, by type (unit tests hand in fakes). */
export type DriverTable = ReadonlyMap<NetworkDriverType, NetworkDriver>;

/** Drivers by type. Overlay: the bridge on this node's fabric subnet (network/overlay). */
export const defaultDrivers: DriverTable = new Map<NetworkDriverType, NetworkDriver>([
  [NetworkDriverType.Bridge, bridgeDriver],
  [NetworkDriverType.Macvlan, macvlanDriver],
  [NetworkDriverType.Overlay, overlayDriver],
]);

export class UnsupportedDriverError extends Error {
  constructor(
    readonly driver: string,
    supported: Iterable<string> = defaultDrivers.keys(),
  ) {
    super(`unknown driver "${driver}" (supported: ${[...supported].join(", ")})`);
    this.name = "UnsupportedDriverError";
  }
}

export function driverFor(type: NetworkDriverType | string, drivers: DriverTable = defaultDrivers): NetworkDriver {
  const driver = drivers.get(type as NetworkDriverType);
  if (!driver) throw new UnsupportedDriverError(type, drivers.keys());
  return driver;
}
