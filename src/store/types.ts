// The persistence seams. Each interface is the whole of what one layer above may ask of the store,
// so backends (SQLite, memory, later etcd) are interchangeable and share one contract test suite.
// The store knows nothing of IP math: addresses are opaque canonical strings chosen by ipam/.

/** One address held by one (container, ifname) in one network. Primary key: (network, ip). */
export interface Reservation {
  network: string;
  /** Stable id of the range set the address came from (ipam uses the set index, like host-local). */
  rangeId: string;
  /** Canonical address text without prefix length, e.g. "10.1.0.5" or "fd00::5". */
  ip: string;
  containerId: string;
  ifname: string;
  /** Prefix length handed out with the address, so a later lookup needs no config. */
  prefixLength?: number;
  /** Gateway handed out with the address, if any. */
  gateway?: string;
}

export interface AllocatorStore {
  /**
   * Runs fn as one transaction, exclusive across processes (SQLite BEGIN IMMEDIATE). A throw rolls back
   * everything fn did. Nested calls run as savepoints: an inner throw caught by the outer fn undoes only
   * the inner work. fn must be synchronous.
   */
  transaction<T>(fn: () => T): T;
  /**
   * Claims r.ip in r.network. Returns false when that ip is already taken in that network (by anyone).
   * @throws TypeError when r.ip is not an IP address.
   */
  reserve(r: Reservation): boolean;
  lastReserved(network: string, rangeId: string): string | null;
  setLastReserved(network: string, rangeId: string, ip: string): void;
  /** Frees every address the (containerId, ifname) holds in network and returns what was freed. */
  releaseById(network: string, containerId: string, ifname: string): Reservation[];
  getById(network: string, containerId: string, ifname: string): Reservation[];
  /** All reservations, or those of one network, ordered by network then ip text. */
  listReservations(network?: string): Reservation[];
  /** The reservation holding ip in network, or null. */
  findReservation(network: string, ip: string): Reservation | null;
  /** Which of ips are taken in network (an indexed batch probe for the allocator's scan). */
  filterReserved(network: string, ips: readonly string[]): string[];
  /**
   * Number of reservations in network whose address lies in [fromIp, toIp] in address order (same
   * family). An indexed range count: the allocator's way to find the next free address without probing.
   */
  countReservedBetween(network: string, fromIp: string, toIp: string): number;
  /** Number of reservations in network, optionally only those of one range set. */
  countReservations(network: string, rangeId?: string): number;
}

/**
 * The Kubernetes pod an attachment belongs to, as the runtime named it in CNI_ARGS
 * (K8S_POD_NAMESPACE, K8S_POD_NAME, K8S_POD_UID, K8S_POD_INFRA_CONTAINER_ID).
 */
export interface PodIdentity {
  namespace: string;
  name: string;
  uid?: string;
  infraContainerId?: string;
}

export interface Attachment {
  network: string;
  containerId: string;
  ifname: string;
  netns: string;
  hostIfname?: string;
  /** Absent when the runtime sent no pod identity (podman, ctr, cnitool). */
  pod?: PodIdentity;
  ips: string[];
  /** The CNI result as returned to the runtime; stored as JSON. */
  result: unknown;
  /** ISO-8601 UTC timestamp. */
  createdAt: string;
}

/** What putAttachment accepts: createdAt defaults to now. */
export type AttachmentInput = Omit<Attachment, "createdAt"> & { createdAt?: string };

export interface AttachmentStore {
  /** Inserts or replaces the attachment keyed by (network, containerId, ifname). */
  putAttachment(a: AttachmentInput): Attachment;
  getAttachment(network: string, containerId: string, ifname: string): Attachment | null;
  /** Returns false when there was nothing to delete. */
  deleteAttachment(network: string, containerId: string, ifname: string): boolean;
  listAttachments(network?: string): Attachment[];
}

export interface NetworkRecord {
  name: string;
  /** The network's definition; stored as JSON. */
  spec: unknown;
  /** ISO-8601 UTC timestamp. */
  createdAt: string;
}

export type NetworkInput = Omit<NetworkRecord, "createdAt"> & { createdAt?: string };

export interface NetworkStore {
  /** Inserts or replaces the network keyed by name. */
  putNetwork(n: NetworkInput): NetworkRecord;
  getNetwork(name: string): NetworkRecord | null;
  deleteNetwork(name: string): boolean;
  listNetworks(): NetworkRecord[];
}

/** A host link the daemon still has to delete (its netns was gone or the kernel refused at DEL time). */
export interface PendingLinkDeletion {
  id: number;
  netns: string;
  ifname: string;
  hostIfname?: string;
  network: string;
  containerId: string;
  createdAt: string;
}

export type PendingLinkDeletionInput = Omit<PendingLinkDeletion, "id" | "createdAt"> & { createdAt?: string };

export interface PendingDeletionStore {
  addPendingLinkDeletion(p: PendingLinkDeletionInput): PendingLinkDeletion;
  /** Oldest first. */
  listPendingLinkDeletions(): PendingLinkDeletion[];
  removePendingLinkDeletion(id: number): boolean;
}

/**
 * Small facts other layers cache across processes (e.g. the firewall ruleset marker a network was
 * last programmed with), so a short-lived plugin process need not re-read the kernel for them.
 */
export interface MetaStore {
  getMeta(key: string): string | null;
  setMeta(key: string, value: string): void;
  deleteMeta(key: string): boolean;
}

export interface Store extends AllocatorStore, AttachmentStore, NetworkStore, PendingDeletionStore, MetaStore {
  /** Truncates a write-ahead log, where there is one (SQLite); false when it could not. */
  checkpoint?(): boolean;
  /**
   * Why the store cannot serve ADD now: it fails its integrity check, or it cannot take a write
   * (a full disk). Empty when healthy. Backends without a file have nothing to report.
   */
  health?(): string[];
  /**
   * Throws StoreDamagedError when the file fails its integrity check (cached while the file is
   * unchanged, so it costs a stat per call).
   */
  verify?(): void;
  /** Releases the backend; any later call throws. Closing twice is harmless. */
  close(): void;
}
