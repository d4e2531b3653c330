// Test support for the network layer: fakes of the kernel, the firewall and a driver, and a
// dataplane built from them over an in-memory store. Not part of the package entry.
import { MemoryStore } from "../../store/testing/index.js";
import type { Dataplane } from "../dataplane.js";
import { openDataplane } from "../open-dataplane.js";
import { NetworkDriverType } from "../types.js";
import { FakeDriver } from "./fake-driver.js";
import { FakeFirewall } from "./fake-firewall.js";
import { FakeKernel } from "./fake-kernel.js";

export { type DriverStep, FakeDriver } from "./fake-driver.js";
export { type FakeElement, FakeFirewall } from "./fake-firewall.js";
export { FakeKernel, FakeNetns, fakeNetnsOf, HOST_NETNS } from "./fake-kernel.js";

export interface FakeDataplane {
  dataplane: Dataplane;
  store: MemoryStore;
  kernel: FakeKernel;
  firewall: FakeFirewall;
  driver: FakeDriver;
}

/** A dataplane whose every part is a fake: runs anywhere, no root. */
export function fakeDataplane(): FakeDataplane {
  const store = new MemoryStore();
  const kernel = new FakeKernel();
  const firewall = new FakeFirewall();
  const driver = new FakeDriver(NetworkDriverType.Bridge, kernel);
  const dataplane = openDataplane(
    { store, ownsStore: true, dataDir: "/fake/data" },
    { kernel, firewall, drivers: new Map([[NetworkDriverType.Bridge, driver]]) },
  );
  return { dataplane, store, kernel, firewall, driver };
}
