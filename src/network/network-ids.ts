// Names derived from a network's name: the short id used in firewall object names and the default
// bridge name. Both are pure functions of the name, so every process (plugin, daemon, quantumctl)
// derives the same ones without sharing state.
import { createHash } from "node:crypto";

/** 8 hex chars of the network name's hash: stable, short, safe in nft object names. */
export function networkId(name: string): string {
  return createHash("sha256").update(name).digest("hex").slice(0, 8);
}

/** `qbr-<name>` when it fits in 15 bytes and is a clean ifname, else `qbr-<hash>`. */
export function defaultBridgeName(name: string): string {
  const candidate = `qbr-${name}`;
  if (Buffer.byteLength(candidate) <= 15 && /^[a-zA-Z0-9_.-]+$/.test(name)) return candidate;
  return `qbr-${createHash("sha256").update(name).digest("hex").slice(0, 11)}`;
}
