/**
 * Reads the parts of `nft -j list ...` output the firewall needs. nft's JSON is untyped: every
 * access is checked, and anything of an unexpected shape is skipped rather than trusted.
 */
import { idFromFromChain, STATIC } from "./names.js";
import type { FirewallElement, FirewallNetworkRef } from "./types.js";
import { parseElementComment } from "./validate.js";

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The objects of one kind ("set", "map", "rule", ...) in an `{"nftables": [...]}` document. */
export function nftObjects(json: unknown, kind: string): Obj[] {
  if (!isObj(json) || !Array.isArray(json.nftables)) return [];
  return json.nftables.flatMap((entry: unknown) => {
    const o = isObj(entry) ? entry[kind] : undefined;
    return isObj(o) ? [o] : [];
  });
}

/** The elements of the set named `name` (an element is `"10.0.0.2"` or `{elem: {val, comment}}`). */
export function parseSetElements(json: unknown, name: string, family: 4 | 6): FirewallElement[] {
  const set = nftObjects(json, "set").find((s) => s.name === name);
  if (set === undefined || !Array.isArray(set.elem)) return [];
  return set.elem.flatMap((e: unknown): FirewallElement[] => {
    if (typeof e === "string") return [{ ip: e, family }];
    const inner = isObj(e) && isObj(e.elem) ? e.elem : undefined;
    if (inner === undefined || typeof inner.val !== "string") return [];
    const owner = typeof inner.comment === "string" ? parseElementComment(inner.comment) : undefined;
    return [{ ip: inner.val, family, ...owner }];
  });
}

/** True when a rule of the listing carries exactly this comment. */
export function hasRuleComment(json: unknown, comment: string): boolean {
  return nftObjects(json, "rule").some((r) => r.comment === comment);
}

/** Our networks, read from the `fwd_from` map: bridge → `jump n_<id>_from`. */
export function parseNetworks(json: unknown): FirewallNetworkRef[] {
  const map = nftObjects(json, "map").find((m) => m.name === STATIC.fwdFrom);
  if (map === undefined || !Array.isArray(map.elem)) return [];
  return map.elem.flatMap((e: unknown): FirewallNetworkRef[] => {
    if (!Array.isArray(e) || typeof e[0] !== "string" || !isObj(e[1])) return [];
    const jump = e[1].jump;
    const target = isObj(jump) && typeof jump.target === "string" ? jump.target : undefined;
    const id = target === undefined ? undefined : idFromFromChain(target);
    return id === undefined ? [] : [{ id, bridge: e[0] }];
  });
}
