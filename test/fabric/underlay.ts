/**
 * Simulated hosts for the fabric tests (multihost.md §1): one private "underlay" netns holding a
 * bridge, and one netns per node joined to it by a veth whose ends are born inside our namespaces.
 * Nodes get 10.253.0.<i>/24 and no default route: packets can only go between namespaces we made.
 * The machine's own netns is never touched; everything dies with cleanup().
 */
import { createTestNetns, deleteTestNetns, ipIn, nsExec, type TestNetns } from "../helpers/netns.js";

export const UNDERLAY_PREFIX = "10.253.0";

export class Underlay {
  readonly nodes: TestNetns[] = [];
  private constructor(readonly ul: TestNetns) {}

  static create(count: number): Underlay {
    const u = new Underlay(createTestNetns("qful"));
    try {
      ipIn(u.ul.name, ["link", "add", "qfbr", "type", "bridge"]);
      ipIn(u.ul.name, ["link", "set", "qfbr", "up"]);
      for (let i = 1; i <= count; i++) u.addNode();
    } catch (e) {
      u.cleanup();
      throw e;
    }
    return u;
  }

  /** Adds node i = nodes.length + 1 with address 10.253.0.i. */
  addNode(): TestNetns {
    const i = this.nodes.length + 1;
    const ns = createTestNetns("qfn");
    this.nodes.push(ns);
    ipIn(this.ul.name, ["link", "add", `qfp${i}`, "type", "veth", "peer", "name", "ul0", "netns", ns.name]);
    ipIn(this.ul.name, ["link", "set", `qfp${i}`, "master", "qfbr", "up"]);
    ipIn(ns.name, ["addr", "add", `${this.ip(i)}/24`, "dev", "ul0"]);
    ipIn(ns.name, ["link", "set", "ul0", "up"]);
    // Per-netns sysctl, written through /proc inside the node netns (no procps needed).
    nsExec(ns.name, "sh", ["-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"]);
    return ns;
  }

  ip(i: number): string {
    return `${UNDERLAY_PREFIX}.${i}`;
  }

  node(i: number): TestNetns {
    const ns = this.nodes[i - 1];
    if (!ns) throw new RangeError(`no node ${i} (have ${this.nodes.length})`);
    return ns;
  }

  /** Blackholes node i: its port on the underlay bridge goes down (packets to it vanish, no error). */
  partition(i: number): void {
    ipIn(this.ul.name, ["link", "set", `qfp${i}`, "down"]);
  }

  heal(i: number): void {
    ipIn(this.ul.name, ["link", "set", `qfp${i}`, "up"]);
  }

  cleanup(): void {
    let first: unknown;
    for (const ns of [...this.nodes.splice(0), this.ul]) {
      try {
        deleteTestNetns(ns);
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== undefined) throw first;
  }
}
