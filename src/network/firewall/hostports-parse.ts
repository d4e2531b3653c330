/**
 * Reads host port map elements back from `nft -j list map ...`: the key as nft prints it (joined
 * with " . ", as the scripts write it) and the owner from the element's comment. Anything of an
 * unexpected shape is skipped rather than trusted.
 */
import { nftObjects } from "./parse.js";
import { parseElementComment } from "./validate.js";

export interface HostPortElement {
  map: string;
  /** e.g. "tcp . 30080" or "127.0.0.1 . tcp . 30080". */
  key: string;
  /** e.g. "10.87.0.2 . 8080". */
  value: string;
  containerId?: string;
  ifname?: string;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `{"concat": ["tcp", 30080]}` → "tcp . 30080"; undefined for anything else. */
function concatText(v: unknown): string | undefined {
  if (!isObj(v) || !Array.isArray(v.concat)) return undefined;
  const parts = v.concat.map((p: unknown) => (typeof p === "string" || typeof p === "number" ? String(p) : undefined));
  return parts.every((p) => p !== undefined) ? parts.join(" . ") : undefined;
}

export function parseHostPortElements(json: unknown, map: string): HostPortElement[] {
  const m = nftObjects(json, "map").find((o) => o.name === map);
  if (m === undefined || !Array.isArray(m.elem)) return [];
  return m.elem.flatMap((e: unknown): HostPortElement[] => {
    if (!Array.isArray(e) || e.length !== 2) return [];
    const [k, v] = e as [unknown, unknown];
    const inner = isObj(k) && isObj(k.elem) ? k.elem : undefined;
    const key = concatText(inner ? inner.val : k);
    const value = concatText(v);
    if (key === undefined || value === undefined) return [];
    const comment = inner && typeof inner.comment === "string" ? parseElementComment(inner.comment) : undefined;
    return [{ map, key, value, ...(comment ? { containerId: comment.containerId, ifname: comment.ifname } : {}) }];
  });
}
