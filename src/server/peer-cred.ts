// Who is on the other end of a unix-socket connection (SO_PEERCRED via build/peercred.node).
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import type { Socket } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

interface PeerCredAddon {
  getPeerCred(fd: number): PeerCred;
}

let loaded: PeerCredAddon | undefined;

function addon(): PeerCredAddon {
  if (loaded) return loaded;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, "build", "peercred.node");
    if (existsSync(join(dir, "package.json")) && existsSync(file)) {
      loaded = createRequire(import.meta.url)(file) as PeerCredAddon;
      return loaded;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("build/peercred.node not found: run `npm run build:native`");
    dir = parent;
  }
}

/** Loads the addon now, so a missing build fails at daemon start rather than on the first client. */
export function ensurePeerCredAddon(): void {
  addon();
}

/** The peer's credentials, or undefined when the socket has no fd (closed already). */
export function peerCred(socket: Socket): PeerCred | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== "number" || fd < 0) return undefined;
  return addon().getPeerCred(fd);
}
