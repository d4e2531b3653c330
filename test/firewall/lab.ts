/**
 * A private test topology built with `ip` only, so the firewall's tests depend on no other layer:
 *
 *   outside netns (192.0.2.2/30, no route back to the container subnets)
 *      │ veth
 *   host netns ("the machine": 192.0.2.1/30, ip_forward=1, our nft table lives here)
 *      ├─ bridge qbrA 10.201.1.1/24 ── a1 (10.201.1.2), a2 (10.201.1.3)
 *      └─ bridge qbrB 10.201.2.1/24 ── b1 (10.201.2.2)
 *
 * Every netns is named `<prefix>-<role>` with a random prefix and removed by destroy(); links live
 * only inside these namespaces (peers are born there), so nothing touches the machine's own netns.
 */
import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";

export interface LabContainer {
  ns: string;
  ip: string;
  gateway: string;
  /** The bridge port in the host netns. */
  hostIf: string;
  bridge: string;
}

export const OUTSIDE_IP = "192.0.2.2";
export const HOST_UPLINK_IP = "192.0.2.1";

export function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? "";
    throw new Error(`${cmd} ${args.join(" ")} failed: ${stderr.trim() || String(err)}`, { cause: err });
  }
}

export class Lab {
  readonly prefix = `qfw${randomBytes(3).toString("hex")}`;
  readonly host = `${this.prefix}-h`;
  readonly outside = `${this.prefix}-o`;
  readonly hostPath = `/var/run/netns/${this.host}`;
  readonly containers: Record<"a1" | "a2" | "b1", LabContainer>;
  private readonly made: string[] = [];

  constructor() {
    const c = (role: string, ip: string, gateway: string, bridge: string): LabContainer => ({
      ns: `${this.prefix}-${role}`,
      ip,
      gateway,
      hostIf: `v${role}`,
      bridge,
    });
    this.containers = {
      a1: c("a1", "10.201.1.2", "10.201.1.1", "qbrA"),
      a2: c("a2", "10.201.1.3", "10.201.1.1", "qbrA"),
      b1: c("b1", "10.201.2.2", "10.201.2.1", "qbrB"),
    };
  }

  /** Builds the topology; on failure removes what it made before rethrowing. */
  create(): this {
    try {
      this.addNetns(this.host);
      this.addNetns(this.outside);
      this.inHost("sysctl", ["-qw", "net.ipv4.ip_forward=1"]);
      for (const [br, cidr] of [
        ["qbrA", "10.201.1.1/24"],
        ["qbrB", "10.201.2.1/24"],
      ] as const) {
        sh("ip", ["-n", this.host, "link", "add", br, "type", "bridge"]);
        sh("ip", ["-n", this.host, "addr", "add", cidr, "dev", br]);
        sh("ip", ["-n", this.host, "link", "set", br, "up"]);
      }
      sh("ip", ["-n", this.host, "link", "add", "up0", "type", "veth", "peer", "name", "eth0", "netns", this.outside]);
      sh("ip", ["-n", this.host, "addr", "add", `${HOST_UPLINK_IP}/30`, "dev", "up0"]);
      sh("ip", ["-n", this.host, "link", "set", "up0", "up"]);
      sh("ip", ["-n", this.outside, "addr", "add", `${OUTSIDE_IP}/30`, "dev", "eth0"]);
      sh("ip", ["-n", this.outside, "link", "set", "eth0", "up"]);
      sh("ip", ["-n", this.outside, "link", "set", "lo", "up"]);
      for (const c of Object.values(this.containers)) this.addContainer(c);
    } catch (err) {
      this.destroy();
      throw err;
    }
    return this;
  }

  private addNetns(name: string): void {
    sh("ip", ["netns", "add", name]);
    this.made.push(name);
  }

  private addContainer(c: LabContainer): void {
    this.addNetns(c.ns);
    // The peer is born inside the container's netns as eth0: no link ever sits in the machine's netns.
    sh("ip", ["-n", this.host, "link", "add", c.hostIf, "type", "veth", "peer", "name", "eth0", "netns", c.ns]);
    sh("ip", ["-n", this.host, "link", "set", c.hostIf, "master", c.bridge, "up"]);
    sh("ip", ["-n", c.ns, "addr", "add", `${c.ip}/24`, "dev", "eth0"]);
    sh("ip", ["-n", c.ns, "link", "set", "eth0", "up"]);
    sh("ip", ["-n", c.ns, "link", "set", "lo", "up"]);
    sh("ip", ["-n", c.ns, "route", "add", "default", "via", c.gateway]);
  }

  /** Runs a command inside the host netns (never the machine's own). */
  inHost(cmd: string, args: string[]): string {
    return sh("ip", ["netns", "exec", this.host, cmd, ...args]);
  }

  setPortIsolated(c: LabContainer, on: boolean): void {
    this.inHost("bridge", ["link", "set", "dev", c.hostIf, "isolated", on ? "on" : "off"]);
  }

  /** Bridged IPv4 through the inet hooks (br_netfilter), inside the host netns only. */
  setBridgeNfCall(on: boolean): void {
    this.inHost("sysctl", ["-qw", `net.bridge.bridge-nf-call-iptables=${on ? 1 : 0}`]);
  }

  /** One echo request from a netns of ours to an address of ours: true when answered. */
  ping(fromNs: string, to: string, waitSeconds = 1): Promise<boolean> {
    return new Promise((resolve) => {
      execFile("ip", ["netns", "exec", fromNs, "ping", "-n", "-q", "-c1", `-W${waitSeconds}`, to], (err) => {
        resolve(err === null);
      });
    });
  }

  /** Removes every netns this lab made (their links go with them). Returns the names that failed. */
  destroy(): string[] {
    const failed: string[] = [];
    for (const ns of this.made.splice(0).reverse()) {
      try {
        sh("ip", ["netns", "del", ns]);
      } catch {
        failed.push(ns);
      }
    }
    return failed;
  }

  /** Namespaces with our prefix still present (for the after hook's own assertion). */
  leftovers(): string[] {
    return sh("ip", ["netns", "list"])
      .split("\n")
      .map((l) => l.split(" ")[0] ?? "")
      .filter((n) => n.startsWith(this.prefix));
  }
}
