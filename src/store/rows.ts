// Row shapes as SQLite returns them, and their mapping to the public records. Kept apart from the store
// so the SQL file reads as queries only. NULL columns become absent optional fields, not `null`.
import type { Attachment, NetworkRecord, PendingLinkDeletion, Reservation } from "./types.js";

export interface ReservationRow {
  network: string;
  ip: string;
  range_id: string;
  container_id: string;
  ifname: string;
  prefix_length: number | null;
  gateway: string | null;
}

export interface AttachmentRow {
  network: string;
  container_id: string;
  ifname: string;
  netns: string;
  host_ifname: string | null;
  ips: string;
  result: string;
  created_at: string;
  pod_namespace: string | null;
  pod_name: string | null;
  pod_uid: string | null;
  pod_infra_container_id: string | null;
}

export interface NetworkRow {
  name: string;
  spec: string;
  created_at: string;
}

export interface PendingRow {
  id: number;
  netns: string;
  ifname: string;
  host_ifname: string | null;
  network: string;
  container_id: string;
  created_at: string;
}

export function toReservation(r: ReservationRow): Reservation {
  const out: Reservation = {
    network: r.network,
    rangeId: r.range_id,
    ip: r.ip,
    containerId: r.container_id,
    ifname: r.ifname,
  };
  if (r.prefix_length !== null) out.prefixLength = r.prefix_length;
  if (r.gateway !== null) out.gateway = r.gateway;
  return out;
}

export function toAttachment(r: AttachmentRow): Attachment {
  const out: Attachment = {
    network: r.network,
    containerId: r.container_id,
    ifname: r.ifname,
    netns: r.netns,
    ips: JSON.parse(r.ips) as string[],
    result: JSON.parse(r.result) as unknown,
    createdAt: r.created_at,
  };
  if (r.host_ifname !== null) out.hostIfname = r.host_ifname;
  if (r.pod_namespace !== null && r.pod_name !== null) {
    out.pod = { namespace: r.pod_namespace, name: r.pod_name };
    if (r.pod_uid !== null) out.pod.uid = r.pod_uid;
    if (r.pod_infra_container_id !== null) out.pod.infraContainerId = r.pod_infra_container_id;
  }
  return out;
}

export function toNetwork(r: NetworkRow): NetworkRecord {
  return { name: r.name, spec: JSON.parse(r.spec) as unknown, createdAt: r.created_at };
}

export function toPending(r: PendingRow): PendingLinkDeletion {
  const out: PendingLinkDeletion = {
    id: r.id,
    netns: r.netns,
    ifname: r.ifname,
    network: r.network,
    containerId: r.container_id,
    createdAt: r.created_at,
  };
  if (r.host_ifname !== null) out.hostIfname = r.host_ifname;
  return out;
}

/** JSON text for a column; `undefined` has no JSON form, so it is stored as null. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}
