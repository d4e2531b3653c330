// Rtnl: one rtnetlink socket, bound for its whole life to the netns it was opened in.
// Requests are synchronous: the calling thread blocks for the kernel's time (see kernel-notes.md).

import { addon } from "./addon.js";
import { addAddress, deleteAddress, listAddresses } from "./address.js";
import { NLM_F } from "./constants.js";
import { toKernelError } from "./errors.js";
import type { Family } from "./ip.js";
import { deleteLink, getLink, getLinkByIndex, listLinks, setBridgePort, setLink } from "./link.js";
import { addBridge, addMacvlan, addVeth, addVxlan } from "./link-create.js";
import { deleteLinkGroup, setLinkGroup } from "./link-group.js";
import { addFdb, addNeighbour, deleteFdb, deleteNeighbour, listFdb, listNeighbours } from "./neighbour.js";
import { decodeMessage, type MessageBuilder, type NetlinkMessage } from "./netlink-message.js";
import { checkNetnsPath, netnsError } from "./netns.js";
import { addRoute, deleteRoute, listRoutes } from "./route.js";
import type * as T from "./types.js";
import { createHostVeth, type HostVethOptions } from "./veth.js";

/** Dumps the kernel flags as inconsistent (NLM_F_DUMP_INTR) are retried this many times. */
const DUMP_RETRIES = 3;

export class Rtnl implements T.RtnlChannel {
  private fd: number | null;
  private seq = 0;

  private constructor(
    fd: number,
    /** The netns path the socket was opened in; undefined: the opener's own netns. */
    readonly netnsPath: string | undefined,
  ) {
    this.fd = fd;
  }

  /**
   * Opens a socket inside the netns at netnsPath (undefined: the caller's netns).
   * @throws NetnsNotFoundError, NotANetnsError
   */
  static open(netnsPath?: string): Rtnl {
    if (netnsPath !== undefined) checkNetnsPath(netnsPath);
    try {
      return new Rtnl(addon().openSocket(netnsPath ?? null), netnsPath);
    } catch (e) {
      throw netnsPath === undefined ? e : netnsError(e, netnsPath);
    }
  }

  get closed(): boolean {
    return this.fd === null;
  }

  /** Closes the socket; later use throws. Closing twice is harmless. */
  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    addon().closeSocket(fd);
  }

  /** Sends one request and returns its replies; kernel errors become KernelError about object. */
  call(msg: MessageBuilder, op: string, object: string): NetlinkMessage[] {
    for (let attempt = 0; ; attempt++) {
      const replies = this.send(msg, op, object);
      const dump = (msg.flags & NLM_F.DUMP) === NLM_F.DUMP;
      if (!dump || attempt >= DUMP_RETRIES || !replies.some((r) => r.flags & NLM_F.DUMP_INTR)) return replies;
    }
  }

  private send(msg: MessageBuilder, op: string, object: string): NetlinkMessage[] {
    if (this.fd === null) {
      throw new Error(
        `${op} ${object}: the rtnetlink socket${this.netnsPath ? ` of ${this.netnsPath}` : ""} is closed`,
      );
    }
    this.seq = (this.seq + 1) >>> 0 || 1;
    let raw: Buffer[];
    try {
      raw = addon().request(this.fd, msg.finish(this.seq));
    } catch (e) {
      throw toKernelError(e, op, object);
    }
    return raw.map(decodeMessage);
  }

  getLink(name: string): T.Link | null {
    return getLink(this, name);
  }
  getLinkByIndex(index: number): T.Link | null {
    return getLinkByIndex(this, index);
  }
  listLinks(): T.Link[] {
    return listLinks(this);
  }
  addBridge(o: T.BridgeOptions): T.Link {
    return addBridge(this, o);
  }
  addVeth(o: T.VethOptions): T.Link {
    return addVeth(this, o);
  }
  /** addVeth with a random host name, retried on a host-side clash (see veth.ts). */
  addHostVeth(o: HostVethOptions): T.Link {
    return createHostVeth(this, o);
  }
  addMacvlan(o: T.MacvlanOptions): void {
    addMacvlan(this, o);
  }
  addVxlan(o: T.VxlanOptions): T.Link {
    return addVxlan(this, o);
  }
  setLink(index: number, o: T.SetLinkOptions): void {
    setLink(this, index, o);
  }
  /** @throws LinkNotFoundError when absent. */
  deleteLink(nameOrIndex: string | number): void {
    deleteLink(this, nameOrIndex);
  }
  /** @throws LinkNotFoundError when absent. */
  setLinkGroup(nameOrIndex: string | number, group: number): void {
    setLinkGroup(this, nameOrIndex, group);
  }
  /** Deletes all the group's links in one request. @throws LinkNotFoundError when it has none. */
  deleteLinkGroup(group: number): void {
    deleteLinkGroup(this, group);
  }
  setBridgePort(index: number, o: T.BridgePortOptions): void {
    setBridgePort(this, index, o);
  }
  addAddress(index: number, cidr: string, o?: T.AddressOptions): void {
    addAddress(this, index, cidr, o);
  }
  deleteAddress(index: number, cidr: string): void {
    deleteAddress(this, index, cidr);
  }
  listAddresses(o?: { index?: number; family?: Family }): T.Address[] {
    return listAddresses(this, o);
  }
  addRoute(r: T.RouteSpec): void {
    addRoute(this, r);
  }
  deleteRoute(r: T.RouteSpec): void {
    deleteRoute(this, r);
  }
  listRoutes(o?: { family?: Family; table?: number }): T.Route[] {
    return listRoutes(this, o);
  }
  addNeighbour(n: T.NeighbourSpec): void {
    addNeighbour(this, n);
  }
  deleteNeighbour(n: { index: number; ip: string }): void {
    deleteNeighbour(this, n);
  }
  listNeighbours(index?: number): T.Neighbour[] {
    return listNeighbours(this, index);
  }
  addFdb(f: T.FdbSpec): void {
    addFdb(this, f);
  }
  deleteFdb(f: T.FdbSpec): void {
    deleteFdb(this, f);
  }
  listFdb(index?: number): T.FdbEntry[] {
    return listFdb(this, index);
  }
}
