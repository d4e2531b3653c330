// The peer side of the agent: list the fabric, apply it to the kernel (PeerSync), then watch from the
// listing's revision + 1; any watch failure re-lists; a periodic re-list plus kernel reconcile catches
// a silent watch (P4) and hand-made drift. Our own subnet's records are handed back to the agent
// (a put naming another owner is a split brain; a delete means our lease is gone).
import type { IKeyValue } from "etcd3";
import { errorText } from "./etcd-cluster.js";
import type { FabricStore, Listing } from "./fabric-store.js";
import { FabricWatch } from "./fabric-watch.js";
import type { PeerSync } from "./peer-sync.js";
import type { Peer, SubnetRecord } from "./types.js";

export interface PeerFeedHooks {
  ownSubnet(): string | undefined;
  /** Our subnet's record as etcd has it now (from a listing or a put). */
  ownRecord(rec: SubnetRecord): void;
  /** etcd deleted our subnet's key. */
  ownDeleted(subnet: string): void;
  quarantineSeconds(): number;
  error(text: string): void;
}

export interface PeerFeedLog {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export function peersOf(l: Listing): Peer[] {
  return [...l.subnets].map(([subnet, e]) => ({
    subnet,
    node: e.value.node,
    publicIP: e.value.publicIP,
    vtepMac: e.value.vtepMac,
    ...(e.value.v6Subnet ? { v6Subnet: e.value.v6Subnet } : {}),
  }));
}

export class PeerFeed {
  #watch: FabricWatch | undefined;
  #relisting = false;
  #pending: string | undefined;
  #stopped = false;

  constructor(
    private readonly store: FabricStore,
    private readonly peers: PeerSync,
    private readonly hooks: PeerFeedHooks,
    private readonly log: PeerFeedLog,
    private readonly retryMs: number,
  ) {}

  /**
   * List, apply, then watch from the listing's revision + 1; retried until it works. A request that
   * arrives while one runs (the new watch broke already) is not dropped: it runs right after.
   */
  async relist(reason: string): Promise<void> {
    if (this.#relisting) {
      this.#pending = reason;
      return;
    }
    this.#relisting = true;
    try {
      let why: string | undefined = reason;
      while (why !== undefined && !this.#stopped) {
        this.#pending = undefined;
        await this.#relistOnce(why);
        why = this.#pending;
      }
    } finally {
      this.#relisting = false;
    }
  }

  async #relistOnce(reason: string): Promise<void> {
    while (!this.#stopped) {
      try {
        const l = await this.store.list();
        this.#apply(l);
        this.#watch?.stop();
        const w = new FabricWatch(this.store, l.revision, {
          put: (key, kv) => this.#onPut(key, kv),
          delete: (key) => this.#onDelete(key),
          broken: (why) => {
            this.log.warn({ why }, "fabric: watch ended, re-listing");
            void this.relist(why);
          },
        });
        this.#watch = w;
        await w.start();
        this.log.info(
          { reason, revision: l.revision, peers: this.peers.peers().length },
          "fabric: listed and watching",
        );
        return;
      } catch (e) {
        this.hooks.error(errorText(e));
        await sleep(this.retryMs);
      }
    }
  }

  /** The periodic pass: re-list (a failure keeps every route as it is), then kernel against what we programmed. */
  async resync(): Promise<void> {
    if (this.#stopped || this.#relisting) return;
    try {
      this.#apply(await this.store.list());
    } catch (e) {
      this.hooks.error(errorText(e));
    }
    this.peers.reconcileKernel();
  }

  #apply(l: Listing): void {
    this.peers.replaceAll(peersOf(l));
    const own = l.subnets.get(this.hooks.ownSubnet() ?? "");
    if (own) this.hooks.ownRecord(own.value);
  }

  #onPut(key: string, kv: IKeyValue): void {
    const what = this.store.keys.parse(key);
    if (what?.kind !== "subnets") return;
    let rec: SubnetRecord;
    try {
      rec = JSON.parse(kv.value.toString()) as SubnetRecord;
    } catch {
      this.log.warn({ key }, "fabric: unreadable subnet record ignored");
      return;
    }
    if (what.name === this.hooks.ownSubnet()) {
      this.hooks.ownRecord(rec);
      return;
    }
    this.peers.upsert({
      subnet: what.name,
      node: rec.node,
      publicIP: rec.publicIP,
      vtepMac: rec.vtepMac,
      ...(rec.v6Subnet ? { v6Subnet: rec.v6Subnet } : {}),
    });
  }

  #onDelete(key: string): void {
    const what = this.store.keys.parse(key);
    if (what?.kind !== "subnets") return;
    if (what.name === this.hooks.ownSubnet()) {
      this.hooks.ownDeleted(what.name);
      return;
    }
    const owner = this.peers.peers().find((p) => p.subnet === what.name)?.node ?? "unknown";
    this.peers.deleted(what.name);
    // Whoever sees the delete first marks the quarantine (create-if-absent: one wins).
    void this.store
      .markReleased(what.name, { node: owner, at: new Date().toISOString() }, this.hooks.quarantineSeconds())
      .catch((e) => this.log.warn({ subnet: what.name, err: errorText(e) }, "fabric: quarantine mark failed"));
  }

  stop(): void {
    this.#stopped = true;
    this.#watch?.stop();
  }
}
