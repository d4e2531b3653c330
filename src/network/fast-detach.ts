// DEL fast path: answer the runtime once the firewall elements and the reservation are released and
// the pending link deletion is recorded in the store, then delete the link (~20 ms of kernel time)
// after, alone or together with other DELs' links (link-deletion.ts). The scheduler holds the container's slot until that deletion is done, so no later
// operation on the container overtakes it; a daemon that dies in between finishes the deletion at
// its next reconcile (listPendingLinkDeletions).
import { addressOfCidr } from "../ipam/index.js";
import { LinkNotFoundError, NetnsNotFoundError, NotANetnsError, type Rtnl } from "../kernel/index.js";
import type { PendingLinkDeletion, Store } from "../store/index.js";
import type { NetworkDriver } from "./driver.js";
import { AttachmentProblemsError, Problem } from "./errors.js";
import { recordHasHostPorts } from "./host-ports.js";
import type { DeferredLinkDeletion } from "./link-deletion.js";
import type { FirewallPort, KernelPort } from "./ports.js";
import type { NetworkSpec } from "./types.js";

export interface FastDelDeps {
  store: Store;
  firewall: FirewallPort;
  kernel: KernelPort;
  hostRtnl: () => Rtnl;
  /** The network's driver; throws for an unknown one. */
  driver: (spec: NetworkSpec) => NetworkDriver;
}

/**
 * Releases everything but the link (with deferRelease: nothing but the attachment record) and
 * records the link for deletion. Returns the deletion to finish after answering, or undefined when
 * there was no attachment (the caller then runs the normal, idempotent DEL).
 * @throws AttachmentProblemsError when the firewall or the store refused; the link deletion still runs first.
 */
export function detachFast(
  deps: FastDelDeps,
  spec: NetworkSpec,
  req: { containerId: string; ifname: string; netnsPath: string },
  deferRelease = false,
): DeferredLinkDeletion | undefined {
  const { containerId, ifname, netnsPath } = req;
  const context = `DEL ${containerId}/${ifname} from network "${spec.name}"`;
  const record = deps.store.getAttachment(spec.name, containerId, ifname);
  if (!record) return undefined;
  const driver = deps.driver(spec); // an unknown driver fails here, before anything is released
  const failures: Problem[] = [];
  const removeElements = () => {
    try {
      if (recordHasHostPorts(record.result)) deps.firewall.removeHostPorts({ containerId, ifname });
      deps.firewall.removeContainers(spec.id, [{ containerId, ifname, ips: record.ips.map(addressOfCidr) }]);
    } catch (err) {
      failures.push(new Problem("remove firewall elements", err));
    }
  };
  const release = () => deps.store.releaseById(spec.name, containerId, ifname);
  // Issue order: firewall and reservation released before the answer. With deferRelease both wait
  // until after it (the address stays reserved until its elements are gone, so it cannot be reused
  // early); a crash in between leaves a reservation without attachment, which reconcile releases.
  if (!deferRelease) removeElements();
  let pending: PendingLinkDeletion | undefined;
  try {
    pending = deps.store.transaction(() => {
      if (!deferRelease) release();
      deps.store.deleteAttachment(spec.name, containerId, ifname);
      return deps.store.addPendingLinkDeletion({
        netns: netnsPath,
        ifname,
        network: spec.name,
        containerId,
        ...(record.hostIfname ? { hostIfname: record.hostIfname } : {}),
      });
    });
  } catch (err) {
    failures.push(new Problem("release addresses", err));
  }
  const deleteLink = () => {
    driver.detach(deps.hostRtnl(), spec, {
      containerId,
      ifname,
      netnsPath,
      ...(record.hostIfname ? { hostIfname: record.hostIfname } : {}),
    });
  };
  if (failures.length > 0) {
    // Nothing was answered yet: finish synchronously so the error reflects the whole DEL.
    try {
      deleteLink();
      if (deferRelease) {
        removeElements();
        deps.store.transaction(release);
      }
    } catch (err) {
      failures.push(new Problem("remove the container's link", err));
    }
    throw new AttachmentProblemsError(failures, context);
  }
  return {
    context,
    host: deps.hostRtnl(),
    groupable: driver.detachIsHostEndDeletion ? record.hostIfname : undefined,
    deleteAlone: deleteLink,
    complete: () => {
      if (deferRelease) {
        removeElements();
        if (failures.length > 0) throw new AttachmentProblemsError(failures, context);
        deps.store.transaction(release);
      }
      if (pending) deps.store.removePendingLinkDeletion(pending.id);
    },
  };
}

/** A deferred deletion finished on its own, at once: throws what kept it from completing. */
export function finishDeferredDeletion(d: DeferredLinkDeletion): void {
  d.deleteAlone();
  d.complete();
}

/**
 * Deletes a recorded link: inside its netns when that still exists, else by its host end. Missing
 * netns or link count as done.
 */
export function finishPendingDeletion(kernel: KernelPort, host: Rtnl, p: PendingLinkDeletion): void {
  let ctr: Rtnl | undefined;
  try {
    ctr = kernel.openNetns(p.netns);
  } catch (err) {
    if (!(err instanceof NetnsNotFoundError || err instanceof NotANetnsError)) throw err;
  }
  if (ctr) {
    try {
      ctr.deleteLink(p.ifname);
      return;
    } catch (err) {
      if (!(err instanceof LinkNotFoundError)) throw err;
    } finally {
      ctr.close();
    }
  }
  if (p.hostIfname) {
    try {
      host.deleteLink(p.hostIfname);
    } catch (err) {
      if (!(err instanceof LinkNotFoundError)) throw err;
    }
  }
}
