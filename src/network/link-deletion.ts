// Link deletions that share the kernel's RCU grace periods. Deleting one link waits ~20 ms for
// them; the kernel's link-group deletion (one RTM_DELLINK for every link of a group) unregisters
// all the group's links together, so a batch of N veths costs about what one does
// (kernel-notes.md; measured in bench/). The daemon's DEL fast path collects the deletions left
// after its answers and hands them here together.
import { randomInt } from "node:crypto";
import { LinkNotFoundError, type Rtnl } from "../kernel/index.js";

/** A link deletion left for after the answer (the DEL fast path): durable in the store until complete(). */
export interface DeferredLinkDeletion {
  /** What the deletion is of, for messages: `DEL <container>/<ifname> from network "<name>"`. */
  readonly context: string;
  /** The socket of the netns the host end lives in; deletions on one socket can share a request. */
  readonly host: Rtnl;
  /**
   * The host end of a veth pair when deleting that one link is the driver's whole detach (the
   * container end dies with it); undefined: only deleteAlone() may remove it.
   */
  readonly groupable: string | undefined;
  /** Removes the link through the driver's own detach (idempotent). */
  deleteAlone(): void;
  /** After the link is gone: what the DEL still owes (with deferRelease the firewall and the addresses), then forgets the pending record. */
  complete(): void;
}

/** Groups we tag links with: far above the small numbers people give `ip link set group`. */
const GROUP_MIN = 0x40000000;
const GROUP_SPAN = 0xbfffffff;

/** A random link group for one batch (two batches at once, even from two processes, do not collide in practice). */
export function randomLinkGroup(): number {
  return GROUP_MIN + randomInt(GROUP_SPAN);
}

/**
 * Deletes the links of many deferred deletions: the groupable ones of each host socket tagged with
 * one group and deleted in one request, the rest one by one; then completes each whose link is
 * gone. A link whose host end is already gone is gone (veth pairs die whole). Never throws.
 * @returns per item (same order), the error that kept it from completing, or undefined
 */
export function deleteLinksTogether(
  items: readonly DeferredLinkDeletion[],
  group: () => number = randomLinkGroup,
): (Error | undefined)[] {
  const errors: (Error | undefined)[] = items.map(() => undefined);
  const alone: number[] = [];
  const byHost = new Map<Rtnl, number[]>();
  items.forEach((it, i) => {
    if (it.groupable === undefined) alone.push(i);
    else byHost.set(it.host, [...(byHost.get(it.host) ?? []), i]);
  });
  for (const [host, indexes] of byHost) {
    const g = group();
    const tagged: number[] = [];
    for (const i of indexes) {
      try {
        host.setLinkGroup(items[i]?.groupable ?? "", g);
        tagged.push(i);
      } catch (err) {
        if (!(err instanceof LinkNotFoundError)) alone.push(i); // gone already otherwise: nothing to delete
      }
    }
    if (tagged.length === 0) continue;
    try {
      host.deleteLinkGroup(g);
    } catch (err) {
      // ENODEV: every tagged link vanished meanwhile. Anything else: try each on its own.
      if (!(err instanceof LinkNotFoundError)) alone.push(...tagged);
    }
  }
  for (const i of alone) {
    try {
      items[i]?.deleteAlone();
    } catch (err) {
      errors[i] = wrap(items[i], "remove the container's link", err);
    }
  }
  items.forEach((it, i) => {
    if (errors[i]) return;
    try {
      it.complete();
    } catch (err) {
      errors[i] = wrap(it, "finish", err);
    }
  });
  return errors;
}

function wrap(it: DeferredLinkDeletion | undefined, what: string, err: unknown): Error {
  const msg = err instanceof Error ? err.message : String(err);
  return new Error(`${it?.context ?? "DEL"}: ${what}: ${msg}`, { cause: err });
}
