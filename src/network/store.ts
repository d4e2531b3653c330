// The store the network layer keeps its state in, opened for the layers above (manager/), which
// must not reach past network/ into store/ themselves.
import { SqliteStore, type Store } from "../store/index.js";

export type { Store } from "../store/index.js";

/** Opens (creating when needed) the embedded store in dataDir: one SQLite file, WAL, shared by processes. */
export function openStore(dataDir: string): Store {
  return SqliteStore.open(dataDir);
}
