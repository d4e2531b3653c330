// The watch on the fabric prefix: started at a listing's revision + 1, so nothing between the list
// and the watch is missed. Any trouble (compaction of the start revision, a stream error, a
// disconnect) ends this watch and asks the agent to re-list: a fresh listing is always correct, a
// resumed stream on a member without a leader may be silently stale (P4).
import type { Etcd3, IKeyValue } from "etcd3";
import { errorText } from "./etcd-cluster.js";
import type { FabricStore } from "./fabric-store.js";

const CREATE_TIMEOUT_MS = 5000;

export interface WatchHandlers {
  put(key: string, kv: IKeyValue): void;
  delete(key: string): void;
  /** The watch ended; re-list, then watch again from the new revision. */
  broken(reason: string): void;
}

export class FabricWatch {
  #closed = false;
  #cancel: (() => Promise<void>) | undefined;
  lastRevision: string;

  constructor(
    private readonly store: FabricStore,
    fromRevision: string,
    private readonly h: WatchHandlers,
  ) {
    this.lastRevision = fromRevision;
  }

  async start(): Promise<void> {
    const { client, endpoint } = this.store.preferredClient();
    const startRevision = (BigInt(this.lastRevision) + 1n).toString();
    const creating = client.watch().prefix(this.store.keys.prefix).startRevision(startRevision).create();
    // Streams have no deadline: a blackholed member would leave create() pending forever.
    const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), CREATE_TIMEOUT_MS).unref());
    const first = await Promise.race([creating, timeout]);
    if (first === "timeout" || this.#closed) {
      this.#closed = true;
      void creating.then((w) => w.cancel()).catch(() => undefined);
      if (first !== "timeout") return;
      this.store.cluster.rotate();
      throw new Error(`watch on ${endpoint}: not created within ${CREATE_TIMEOUT_MS} ms`);
    }
    const watcher = first;
    this.#cancel = () => watcher.cancel();
    const broken = (reason: string) => {
      if (this.#closed) return;
      this.stop();
      this.store.cluster.rotate();
      this.h.broken(`${reason} (watch on ${endpoint})`);
    };
    watcher.on("put", (kv) => {
      this.lastRevision = kv.mod_revision;
      this.h.put(kv.key.toString(), kv);
    });
    watcher.on("delete", (kv) => {
      this.lastRevision = kv.mod_revision;
      this.h.delete(kv.key.toString());
    });
    watcher.on("error", (e) => {
      // etcd3 drops the cancel's compact_revision: ask etcd whether our start revision is compacted.
      void this.#compacted(client, startRevision).then((c) => broken(c ?? `watch error: ${errorText(e)}`));
    });
    watcher.on("disconnected", (e) => broken(`watch disconnected: ${errorText(e)}`));
    watcher.on("end", () => broken("watch ended"));
  }

  /** "compacted ..." when a read at revision fails because it was compacted; undefined otherwise. */
  async #compacted(client: Etcd3, revision: string): Promise<string | undefined> {
    try {
      await client.kv.range({ key: Buffer.from(this.store.keys.config), revision }, { deadline: Date.now() + 3000 });
      return undefined;
    } catch (e) {
      const text = errorText(e);
      return /compacted/i.test(text) ? `start revision ${revision} is compacted (${text})` : undefined;
    }
  }

  stop(): void {
    if (this.#closed) return;
    this.#closed = true;
    void this.#cancel?.().catch(() => undefined);
  }
}
