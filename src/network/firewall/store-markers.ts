import type { MetaStore } from "../../store/index.js";
import type { FirewallMarkerCache } from "./firewall.js";

/** Firewall markers kept in the store's meta table, one key per (table, network id). */
export function storeMarkers(store: MetaStore, table: string): FirewallMarkerCache {
  const key = (netId: string) => `firewall-marker:${table}:${netId}`;
  return {
    get: (netId) => store.getMeta(key(netId)),
    set: (netId, marker) => store.setMeta(key(netId), marker),
    forget: (netId) => {
      store.deleteMeta(key(netId));
    },
  };
}
