/**
 * Traffic helpers for the runtime tests, all between namespaces the test made: a TCP echo-the-peer
 * server inside a container netns, a TCP probe from another netns, an "external" client netns
 * routed through the private host netns, and process helpers that end only what they started.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { ipIn, nsExec, type TestNetns, uniqueName } from "../helpers/netns.js";

/** A TCP server in a netns that answers every connection with `from <peer address>\n`. */
export class PeerServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  /**
   * Starts node inside `netnsPath` (nsenter execs it: the child's pid is the server's), listening on
   * `host` (default 0.0.0.0; "::" also takes IPv6, and IPv4 peers then read as ::ffff:a.b.c.d).
   */
  static async start(netnsPath: string, port: number, host = "0.0.0.0"): Promise<PeerServer> {
    const script = [
      "const net = require('node:net');",
      "net.createServer((s) => { s.on('error', () => {}); s.end('from ' + s.remoteAddress + '\\n'); })",
      `.listen(${port}, ${JSON.stringify(host)}, () => console.log('listening'));`,
    ].join("");
    const env = { ...process.env };
    delete env["NODE_EXTRA_CA_CERTS"];
    const child = spawn("nsenter", [`--net=${netnsPath}`, process.execPath, "-e", script], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stderr!.on("data", (b: Buffer) => {
      err += b.toString();
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`peer server not listening after 30 s: ${err}`)), 30_000);
      child.stdout!.on("data", (b: Buffer) => {
        out += b.toString();
        if (out.includes("listening")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`peer server exited with ${code}: ${err}`));
      });
    });
    return new PeerServer(child, port);
  }

  /** Kills the server by its own pid and waits for it. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.kill("SIGKILL");
    await exited;
  }
}

/**
 * Connects from inside `netnsName` to ip:port with busybox nc and returns what the server said
 * ("" when nothing answered within the timeout).
 */
export function tcpProbe(netnsName: string, ip: string, port: number, timeoutSec = 3): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      "ip",
      ["netns", "exec", netnsName, "busybox", "nc", "-w", String(timeoutSec), ip, String(port)],
      { timeout: (timeoutSec + 5) * 1000, encoding: "utf8" },
      (_err, stdout) => resolve((stdout ?? "").trim()),
    );
  });
}

/**
 * Wires `client` to `host` with a veth pair: host side `hostIp/24`, client side `clientIp/24`
 * with a default route via the host. Both ends live in the test's namespaces and die with them.
 */
export function linkClient(host: TestNetns, client: TestNetns, hostIp: string, clientIp: string): string {
  const hostIf = uniqueName("qx", 8);
  ipIn(host.name, ["link", "add", hostIf, "type", "veth", "peer", "name", "eth0", "netns", client.name]);
  ipIn(host.name, ["addr", "add", `${hostIp}/24`, "dev", hostIf]);
  ipIn(host.name, ["link", "set", hostIf, "up"]);
  ipIn(client.name, ["addr", "add", `${clientIp}/24`, "dev", "eth0"]);
  ipIn(client.name, ["link", "set", "eth0", "up"]);
  ipIn(client.name, ["route", "add", "default", "via", hostIp]);
  return hostIf;
}

/** `iptables-save -t <table>` inside a netns (portmap programs iptables there). */
export function iptablesSave(netnsName: string, table = "nat"): string {
  try {
    return nsExec(netnsName, "iptables-save", ["-t", table]);
  } catch {
    return "";
  }
}

/** Polls fn until it returns true or the timeout passes. */
export async function waitFor(what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
