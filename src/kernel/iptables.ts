// Accept rules for one bridge in an iptables chain another program owns (dockerd's DOCKER-USER).
// dockerd with --iptables (its default) sets the FORWARD policy to DROP, and with br_netfilter
// (bridge-nf-call-iptables=1, which dockerd also sets) even traffic bridged between two ports of
// one bridge passes that chain: without these rules, containers on a quantum bridge of a Docker
// host reach nothing. ACCEPT there only means "not Docker's decision": quantum's own nftables table
// still drops what the network's isolation forbids (a drop in any base chain wins).
// Runs the iptables/ip6tables binaries (iptables-nft or legacy: whichever dockerd uses) in the
// caller's netns; -w waits for the xtables lock dockerd also takes.
import { spawnSync } from "node:child_process";

export type IptablesFamily = 4 | 6;

const BINARY: Record<IptablesFamily, string> = { 4: "iptables", 6: "ip6tables" };

function run(family: IptablesFamily, args: string[]): { ok: boolean; missing: boolean; text: string } {
  const r = spawnSync(BINARY[family], ["-w", "5", "-t", "filter", ...args], { encoding: "utf8", timeout: 10_000 });
  if (r.error) return { ok: false, missing: true, text: r.error.message };
  return { ok: r.status === 0, missing: false, text: `${r.stderr ?? ""}${r.stdout ?? ""}`.trim() };
}

/** Whether the chain exists (false also when the binary is not installed). */
export function iptablesChainExists(family: IptablesFamily, chain: string): boolean {
  return run(family, ["-S", chain]).ok;
}

function rules(ifname: string, comment: string): string[][] {
  const tag = ["-m", "comment", "--comment", comment];
  return [
    ["-i", ifname, ...tag, "-j", "ACCEPT"],
    ["-o", ifname, ...tag, "-j", "ACCEPT"],
  ];
}

/**
 * Inserts (once) ACCEPT rules for traffic from and to ifname at the top of chain.
 * @returns false when the chain does not exist (no dockerd with iptables here): nothing to do.
 * @throws Error with iptables' own words when a rule cannot be inserted.
 */
export function ensureIptablesAccept(family: IptablesFamily, chain: string, ifname: string, comment: string): boolean {
  if (!iptablesChainExists(family, chain)) return false;
  for (const rule of rules(ifname, comment)) {
    if (run(family, ["-C", chain, ...rule]).ok) continue;
    const r = run(family, ["-I", chain, "1", ...rule]);
    if (!r.ok) throw new Error(`${BINARY[family]} -I ${chain} ${rule.join(" ")}: ${r.text}`);
  }
  return true;
}

/** Deletes those rules; absent rules, chains or binaries are fine. */
export function removeIptablesAccept(family: IptablesFamily, chain: string, ifname: string, comment: string): void {
  if (!iptablesChainExists(family, chain)) return;
  for (const rule of rules(ifname, comment)) {
    while (run(family, ["-C", chain, ...rule]).ok) {
      const r = run(family, ["-D", chain, ...rule]);
      if (!r.ok) throw new Error(`${BINARY[family]} -D ${chain} ${rule.join(" ")}: ${r.text}`);
    }
  }
}
