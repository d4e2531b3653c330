// The fabric's records in etcd: config, subnet claims, node records and released (quarantined)
// subnets. Every write is a transaction with compares (create-if-absent or mod-revision CAS), so two
// writers can never both win; a losing claim learns the owner from the same round trip.
import { CompareResult, CompareTarget, type Etcd3, type IKeyValue, type IRequestOp } from "etcd3";
import { validateFabricConfig } from "./config.js";
import { type EtcdCluster, errorText } from "./etcd-cluster.js";
import { FabricKeys, prefixEnd } from "./keys.js";
import type { FabricConfig, NodeRecord, ReleasedRecord, SubnetRecord } from "./types.js";

export interface Entry<T> {
  value: T;
  modRevision: string;
  /** Lease ID as a decimal string ("0": none). */
  lease: string;
}

export interface Listing {
  /** The store revision the listing is consistent at: watch from revision + 1. */
  revision: string;
  config: FabricConfig | null;
  subnets: Map<string, Entry<SubnetRecord>>;
  nodes: Map<string, Entry<NodeRecord>>;
  released: Map<string, Entry<ReleasedRecord>>;
  /** Keys under the prefix that could not be read (kept visible instead of dropped silently). */
  malformed: string[];
}

export type ClaimOutcome = { won: true; revision: string } | { won: false; owner: SubnetRecord | null };

const b = (s: string) => Buffer.from(s);

function isLeaseNotFound(e: unknown): boolean {
  return /lease not found/i.test(errorText(e));
}

export class FabricStore {
  readonly keys: FabricKeys;

  constructor(
    readonly cluster: EtcdCluster,
    prefix: string,
  ) {
    this.keys = new FabricKeys(prefix);
  }

  async readConfig(): Promise<FabricConfig | null> {
    const res = await this.cluster.call("read the fabric config", (c) => c.kv.range({ key: b(this.keys.config) }));
    const kv = res.kvs[0];
    return kv ? validateFabricConfig(JSON.parse(kv.value.toString())) : null;
  }

  /** Writes the config if there is none; returns what etcd holds afterwards and whether we wrote it. */
  async initConfig(config: FabricConfig): Promise<{ created: boolean; stored: FabricConfig }> {
    const key = b(this.keys.config);
    const res = await this.cluster.call("write the fabric config", (c) =>
      c.kv.txn({
        compare: [{ key, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 }],
        success: [{ request_put: { key, value: b(JSON.stringify(config)) } }],
        failure: [{ request_range: { key } }],
      }),
    );
    if (res.succeeded) return { created: true, stored: config };
    const kv = res.responses[0]?.response_range.kvs[0];
    if (!kv) throw new Error("fabric config: the create failed but no config was returned");
    return { created: false, stored: validateFabricConfig(JSON.parse(kv.value.toString())) };
  }

  /** Everything under the prefix, at one revision (linearizable). */
  async list(): Promise<Listing> {
    const key = b(this.keys.prefix);
    const res = await this.cluster.call("list the fabric", (c) => c.kv.range({ key, range_end: prefixEnd(key) }));
    const out: Listing = {
      revision: res.header.revision,
      config: null,
      subnets: new Map(),
      nodes: new Map(),
      released: new Map(),
      malformed: [],
    };
    for (const kv of res.kvs) this.#absorb(out, kv);
    return out;
  }

  #absorb(out: Listing, kv: IKeyValue): void {
    const key = kv.key.toString();
    const what = this.keys.parse(key);
    try {
      if (what?.kind === "config") out.config = validateFabricConfig(JSON.parse(kv.value.toString()));
      else if (what) {
        const entry = { value: JSON.parse(kv.value.toString()), modRevision: kv.mod_revision, lease: kv.lease };
        out[what.kind].set(what.name, entry);
      } else out.malformed.push(key);
    } catch {
      out.malformed.push(key);
    }
  }

  async grant(ttlSeconds: number): Promise<{ id: string; ttl: number }> {
    const r = await this.cluster.call("grant a lease", (c) => c.leaseClient.leaseGrant({ TTL: ttlSeconds }));
    return { id: r.ID, ttl: Number(r.TTL) };
  }

  /** Best effort: a lease that is already gone is fine. */
  async revoke(id: string): Promise<void> {
    try {
      await this.cluster.call("revoke a lease", (c) => c.leaseClient.leaseRevoke({ ID: id }), isLeaseNotFound);
    } catch (e) {
      if (!isLeaseNotFound(e)) throw e;
    }
  }

  /** Seconds left on a lease; -1 when it does not exist any more. */
  async leaseTtl(id: string): Promise<number> {
    const r = await this.cluster.call("read a lease", (c) => c.leaseClient.leaseTimeToLive({ ID: id }));
    return Number(r.TTL);
  }

  /**
   * Claims a free subnet: create-if-absent on nodes/<node>, subnets/<cidr> and released/<cidr> (or,
   * for the quarantined subnet's previous owner, released/<cidr> unchanged since seen, deleted in the
   * same transaction). The loser gets the current owner back.
   */
  async claim(o: {
    cidr: string;
    node: string;
    nodeRecord: NodeRecord;
    subnetRecord: SubnetRecord;
    lease: string;
    releasedModRevision?: string;
  }): Promise<ClaimOutcome> {
    const nodeKey = b(this.keys.node(o.node));
    const subnetKey = b(this.keys.subnet(o.cidr));
    const releasedKey = b(this.keys.released(o.cidr));
    const success: IRequestOp[] = [
      { request_put: { key: nodeKey, value: b(JSON.stringify(o.nodeRecord)), lease: o.lease } },
      { request_put: { key: subnetKey, value: b(JSON.stringify(o.subnetRecord)), lease: o.lease } },
    ];
    if (o.releasedModRevision) success.push({ request_delete_range: { key: releasedKey } });
    const res = await this.cluster.call(`claim ${o.cidr}`, (c) =>
      c.kv.txn({
        compare: [
          { key: nodeKey, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 },
          { key: subnetKey, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 },
          o.releasedModRevision
            ? {
                key: releasedKey,
                target: CompareTarget.Mod,
                result: CompareResult.Equal,
                mod_revision: o.releasedModRevision,
              }
            : { key: releasedKey, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 },
        ],
        success,
        failure: [{ request_range: { key: subnetKey } }],
      }),
    );
    if (res.succeeded) return { won: true, revision: res.header.revision };
    const kv = res.responses[0]?.response_range.kvs[0];
    return { won: false, owner: kv ? (JSON.parse(kv.value.toString()) as SubnetRecord) : null };
  }

  /** Moves both of a node's keys to a new lease (restart), only if neither changed since it read them. */
  async rebind(o: {
    cidr: string;
    node: string;
    nodeModRevision: string;
    subnetModRevision: string;
    nodeRecord: NodeRecord;
    subnetRecord: SubnetRecord;
    lease: string;
  }): Promise<boolean> {
    const nodeKey = b(this.keys.node(o.node));
    const subnetKey = b(this.keys.subnet(o.cidr));
    const res = await this.cluster.call(`rebind ${o.cidr}`, (c) =>
      c.kv.txn({
        compare: [
          { key: nodeKey, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: o.nodeModRevision },
          { key: subnetKey, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: o.subnetModRevision },
        ],
        success: [
          { request_put: { key: nodeKey, value: b(JSON.stringify(o.nodeRecord)), lease: o.lease } },
          { request_put: { key: subnetKey, value: b(JSON.stringify(o.subnetRecord)), lease: o.lease } },
        ],
      }),
    );
    return res.succeeded;
  }

  /** Marks a vanished owner's subnet as quarantined (create-if-absent, on its own lease). */
  async markReleased(cidr: string, record: ReleasedRecord, quarantineSeconds: number): Promise<boolean> {
    if (quarantineSeconds <= 0) return false;
    const lease = await this.grant(Math.max(2, quarantineSeconds));
    const key = b(this.keys.released(cidr));
    const subnetKey = b(this.keys.subnet(cidr));
    const res = await this.cluster.call(`quarantine ${cidr}`, (c) =>
      c.kv.txn({
        // Only while nobody owns it: a released mark on a re-claimed subnet would block nothing but confuse.
        compare: [
          { key, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 },
          { key: subnetKey, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 },
        ],
        success: [{ request_put: { key, value: b(JSON.stringify(record)), lease: lease.id } }],
      }),
    );
    if (!res.succeeded) await this.revoke(lease.id).catch(() => undefined);
    return res.succeeded;
  }

  /** One subnet's record (linearizable), for verifying our own ownership. */
  async getSubnet(cidr: string): Promise<Entry<SubnetRecord> | null> {
    const res = await this.cluster.call(`read ${cidr}`, (c) => c.kv.range({ key: b(this.keys.subnet(cidr)) }));
    const kv = res.kvs[0];
    return kv ? { value: JSON.parse(kv.value.toString()), modRevision: kv.mod_revision, lease: kv.lease } : null;
  }

  /** The client a watch or keep-alive stream should use now (the cluster's preferred member). */
  preferredClient(): { client: Etcd3; endpoint: string } {
    const idx = this.cluster.endpoints.indexOf(this.cluster.currentEndpoint);
    const client = this.cluster.clients[idx];
    if (!client) throw new Error("fabric store: no etcd client");
    return { client, endpoint: this.cluster.currentEndpoint };
  }
}
