// Key layout under a fabric's prefix (multihost.md §4.2).
import { subnetFromKey, subnetKey } from "./subnets.js";

export class FabricKeys {
  constructor(readonly prefix: string) {
    if (!prefix.startsWith("/") || !prefix.endsWith("/")) {
      throw new TypeError(`fabric prefix "${prefix}" must start and end with "/"`);
    }
  }
  get config(): string {
    return `${this.prefix}config`;
  }
  get subnetsPrefix(): string {
    return `${this.prefix}subnets/`;
  }
  subnet(cidr: string): string {
    return `${this.subnetsPrefix}${subnetKey(cidr)}`;
  }
  node(name: string): string {
    return `${this.prefix}nodes/${name}`;
  }
  released(cidr: string): string {
    return `${this.prefix}released/${subnetKey(cidr)}`;
  }

  /** What a key under the prefix is: kind and name (subnets as CIDR text); null for anything else. */
  parse(key: string): { kind: "subnets" | "nodes" | "released"; name: string } | { kind: "config" } | null {
    if (!key.startsWith(this.prefix)) return null;
    const rest = key.slice(this.prefix.length);
    if (rest === "config") return { kind: "config" };
    const slash = rest.indexOf("/");
    if (slash < 0) return null;
    const kind = rest.slice(0, slash);
    const name = rest.slice(slash + 1);
    if (name === "") return null;
    try {
      if (kind === "subnets" || kind === "released") return { kind, name: subnetFromKey(name) };
    } catch {
      return null;
    }
    if (kind === "nodes") return { kind, name };
    return null;
  }
}

/** The end of a prefix range: the prefix with its last byte incremented (etcd's range_end). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    const b = end[i] ?? 0;
    if (b < 0xff) {
      end[i] = b + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** Node names become etcd keys and interface-free labels: keep them DNS-label-like. */
export function checkNodeName(name: string): string {
  if (!/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/.test(name)) {
    throw new TypeError(
      `node name "${name}" must be lower-case letters, digits, "." and "-" (like a Kubernetes node name)`,
    );
  }
  return name;
}
