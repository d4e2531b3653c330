// Test support: a network driver over the FakeKernel. ADD makes a host end on the network's bridge
// and the container's interface, pushing an undo for each, as the bridge driver does; DEL removes
// both, idempotently; CHECK reports what is missing. `failAt` makes one step throw, so tests see
// the dataplane unwind from every step.
import type { Rtnl } from "../../kernel/index.js";
import type { DriverAttachment, DriverDetach, NetworkDriver } from "../driver.js";
import type { AssignedIp, AttachRequest, NetworkSpec, RouteSpec } from "../types.js";
import type { UndoStack } from "../undo.js";
import { type FakeKernel, fakeNetnsOf } from "./fake-kernel.js";

/** Where FakeDriver.attach can be told to fail. */
export type DriverStep = "bridge" | "host-end" | "container-end";

export class FakeDriver implements NetworkDriver {
  failAt: DriverStep | undefined;
  /** Make the next undo of this step throw (an unwind that cannot finish). */
  failUndoOf: DriverStep | undefined;
  readonly detached: DriverDetach[] = [];
  /** As the bridge driver: detach deletes the one veth pair (so the daemon may group deletions). */
  detachIsHostEndDeletion = true;

  constructor(
    readonly type: NetworkDriver["type"],
    readonly kernel: FakeKernel,
  ) {}

  attach(
    host: Rtnl,
    ctr: Rtnl,
    spec: NetworkSpec,
    req: AttachRequest,
    _ips: AssignedIp[],
    undo: UndoStack,
  ): DriverAttachment {
    const hostNs = fakeNetnsOf(host);
    const ctrNs = fakeNetnsOf(ctr);
    this.#step("bridge");
    const bridge =
      hostNs.get(spec.bridge) ?? hostNs.add({ name: spec.bridge, kind: "bridge", mac: "02:00:00:00:00:01" });
    this.#step("host-end");
    const hostName = `veth${req.containerId.slice(0, 8)}`;
    const hostEnd = hostNs.add({ name: hostName, kind: "veth", master: bridge.index, mac: "02:00:00:00:00:02" });
    undo.push(`delete host end ${hostName}`, () => {
      if (this.failUndoOf === "host-end") throw new Error(`fake driver: cannot delete ${hostName}`);
      hostNs.drop(hostName); // gone already when the container end's undo took its peer with it
    });
    this.#step("container-end");
    const ctrEnd = ctrNs.add({ name: req.ifname, kind: "veth", mac: req.mac ?? "02:00:00:00:00:03" });
    hostNs.pair(hostName, ctrNs, req.ifname);
    undo.push(`delete ${req.ifname} in ${req.netnsPath}`, () => ctrNs.drop(req.ifname));
    return {
      interfaces: [
        { name: bridge.name, mac: bridge.mac },
        { name: hostEnd.name, mac: hostEnd.mac },
        { name: ctrEnd.name, mac: ctrEnd.mac, sandbox: req.netnsPath },
      ],
      hostIfname: hostName,
      routes: spec.routes.map((r) => ({ ...r })),
    };
  }

  detach(host: Rtnl, _spec: NetworkSpec, req: DriverDetach): void {
    this.detached.push({ ...req });
    const hostNs = fakeNetnsOf(host);
    if (req.netnsPath) this.kernel.netns(req.netnsPath)?.drop(req.ifname);
    if (req.hostIfname) hostNs.drop(req.hostIfname);
  }

  check(host: Rtnl, _spec: NetworkSpec, req: DriverDetach, _ips: AssignedIp[], _routes: RouteSpec[]): string[] {
    const problems: string[] = [];
    if (req.hostIfname && !fakeNetnsOf(host).get(req.hostIfname))
      problems.push(`host end "${req.hostIfname}" is missing`);
    const ns = req.netnsPath ? this.kernel.netns(req.netnsPath) : undefined;
    if (!ns?.get(req.ifname)) problems.push(`interface "${req.ifname}" is missing in the container`);
    return problems;
  }

  #step(step: DriverStep): void {
    if (this.failAt === step) throw new Error(`fake driver: ${step} failed`);
  }
}
