// Test support: the kernel as the dataplane's core sees it (KernelPort), in memory. Each netns is a
// set of links; a netns that was never added (or was removed) answers as a vanished one does. The
// sockets it hands out implement the part of Rtnl the core and the fake driver use; any other
// method throws, so a test that reaches real kernel work fails loudly instead of passing silently.
import { type Link, LinkNotFoundError, NetnsNotFoundError, type Rtnl } from "../../kernel/index.js";
import type { KernelPort } from "../ports.js";

export const HOST_NETNS = "<host>";

/** One fake netns: links by name. A veth pair's ends know each other: deleting one deletes both. */
export class FakeNetns {
  readonly links = new Map<string, Link>();
  readonly #peers = new Map<string, { ns: FakeNetns; name: string }>();
  /** Link groups set by setLinkGroup (name → group); absent = group 0. */
  readonly groups = new Map<string, number>();
  /** How many group deletions were asked of this netns (tests check links really shared one). */
  groupDeletions = 0;
  #nextIndex = 1;

  constructor(readonly path: string) {
    this.add({ name: "lo" });
  }

  add(o: { name: string; kind?: string; master?: number; mac?: string }): Link {
    const link: Link = {
      index: this.#nextIndex++,
      name: o.name,
      mtu: 1500,
      mac: o.mac ?? "",
      up: true,
      promisc: false,
      operState: "UP",
      flags: 1,
      ...(o.kind ? { kind: o.kind } : {}),
      ...(o.master !== undefined ? { master: o.master } : {}),
    };
    this.links.set(o.name, link);
    return link;
  }

  /** Makes `name` here and `peerName` in `peerNs` the two ends of one veth. */
  pair(name: string, peerNs: FakeNetns, peerName: string): void {
    this.#peers.set(name, { ns: peerNs, name: peerName });
    peerNs.#peers.set(peerName, { ns: this, name });
  }

  /** Removes a link (and its veth peer) if present; no error when absent. */
  drop(name: string): void {
    if (!this.links.delete(name)) return;
    this.groups.delete(name);
    const peer = this.#peers.get(name);
    this.#peers.delete(name);
    if (peer) {
      peer.ns.#peers.delete(peer.name);
      peer.ns.links.delete(peer.name);
    }
  }

  get(nameOrIndex: string | number): Link | undefined {
    if (typeof nameOrIndex === "string") return this.links.get(nameOrIndex);
    return [...this.links.values()].find((l) => l.index === nameOrIndex);
  }

  delete(nameOrIndex: string | number): void {
    const link = this.get(nameOrIndex);
    if (!link) {
      throw new LinkNotFoundError({
        errno: 19,
        code: "ENODEV",
        op: "deleteLink",
        object: `link ${nameOrIndex}`,
        reason: "No such device",
      });
    }
    this.drop(link.name);
  }

  setGroup(nameOrIndex: string | number, group: number): void {
    const link = this.get(nameOrIndex);
    if (!link) throw notFound("setLinkGroup", `link ${nameOrIndex}`);
    this.groups.set(link.name, group);
  }

  /** Every link of the group at once, as RTM_DELLINK with IFLA_GROUP; ENODEV when there is none. */
  deleteGroup(group: number): void {
    this.groupDeletions++;
    const names = [...this.groups].filter(([, g]) => g === group).map(([n]) => n);
    if (names.length === 0) throw notFound("deleteLinkGroup", `link group ${group}`);
    for (const n of names) this.drop(n);
  }
}

function notFound(op: string, object: string): LinkNotFoundError {
  return new LinkNotFoundError({ errno: 19, code: "ENODEV", op, object, reason: "No such device" });
}

/** Counts of what was asked of the fake kernel (tests assert sockets are closed, etc.). */
export interface FakeKernelCalls {
  openHost: number;
  openNetns: number;
  closed: number;
}

export class FakeKernel implements KernelPort {
  readonly host = new FakeNetns(HOST_NETNS);
  readonly #netns = new Map<string, FakeNetns>();
  readonly calls: FakeKernelCalls = { openHost: 0, openNetns: 0, closed: 0 };
  nft = true;

  /** A container netns at `path` (a test's stand-in for `ip netns add`). */
  addNetns(path: string): FakeNetns {
    const ns = new FakeNetns(path);
    this.#netns.set(path, ns);
    return ns;
  }

  /** The container is gone: its netns, and with it every link inside. */
  removeNetns(path: string): void {
    this.#netns.delete(path);
  }

  netns(path: string): FakeNetns | undefined {
    return path === HOST_NETNS ? this.host : this.#netns.get(path);
  }

  openHost(): Rtnl {
    this.calls.openHost++;
    return this.#socket(this.host);
  }

  openNetns(path: string): Rtnl {
    this.calls.openNetns++;
    const ns = this.#netns.get(path);
    if (!ns) throw new NetnsNotFoundError(path);
    return this.#socket(ns);
  }

  netnsGone(path: string): boolean {
    return !this.#netns.has(path);
  }

  nftAvailable(): boolean {
    return this.nft;
  }

  #socket(ns: FakeNetns): Rtnl {
    const calls = this.calls;
    const socket = {
      netnsPath: ns.path,
      fake: ns,
      getLink: (name: string) => ns.get(name) ?? null,
      getLinkByIndex: (index: number) => ns.get(index) ?? null,
      listLinks: () => [...ns.links.values()],
      deleteLink: (nameOrIndex: string | number) => ns.delete(nameOrIndex),
      setLinkGroup: (nameOrIndex: string | number, group: number) => ns.setGroup(nameOrIndex, group),
      deleteLinkGroup: (group: number) => ns.deleteGroup(group),
      close: () => {
        calls.closed++;
      },
    };
    return new Proxy(socket, {
      get(target, prop, receiver) {
        if (prop in target || typeof prop === "symbol") return Reflect.get(target, prop, receiver);
        throw new Error(`FakeKernel: Rtnl.${String(prop)} is not faked (a test reached real kernel work)`);
      },
    }) as unknown as Rtnl;
  }
}

/** The fake netns behind a socket the FakeKernel handed out. */
export function fakeNetnsOf(socket: Rtnl): FakeNetns {
  return (socket as unknown as { fake: FakeNetns }).fake;
}
