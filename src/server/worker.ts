// Entry point of one long-lived worker thread of quantumd. It owns an Engine for its whole life
// and answers messages from the pool: a CNI request gets an "answer" as soon as the plugin's
// output is known, then "done" once the worker is free. A fast DEL's link deletion is held back
// ("done" with deferred) until the pool asks for a "reap": all held-back deletions are then done
// together, sharing the kernel's RCU grace periods (link-deletion.ts), and reported as "reaped".
import { parentPort, workerData } from "node:worker_threads";
import { type DeferredLinkDeletion, deleteLinksTogether } from "../manager/index.js";
import { Engine, type EngineOptions } from "./engine.js";
import type { FromWorker, ToWorker } from "./worker-messages.js";

const port = parentPort;
if (!port) throw new Error("server/worker.js must run as a worker thread");
const engine = new Engine(workerData as EngineOptions);
/** Fast DELs answered whose link is not deleted yet (also durable in their store). */
let heldBack: { id: number; deletion: DeferredLinkDeletion }[] = [];

/** How often the worker truncates its stores' write-ahead logs (between jobs: this thread is idle then). */
const CHECKPOINT_INTERVAL_MS = 60_000;
setInterval(() => engine.checkpoint(), CHECKPOINT_INTERVAL_MS).unref();

function send(msg: FromWorker): void {
  port!.postMessage(msg);
}

function reap(): { id: number; error?: string }[] {
  const batch = heldBack;
  heldBack = [];
  const errors = deleteLinksTogether(batch.map((b) => b.deletion));
  return batch.map((b, i) => {
    const err = errors[i];
    return err ? { id: b.id, error: err.message } : { id: b.id };
  });
}

port.on("message", async (msg: ToWorker) => {
  if (msg.kind === "close") {
    // Answered DELs owe their links; what fails stays pending in the store for reconcile.
    if (heldBack.length > 0) send({ id: msg.id, kind: "reaped", jobs: reap() });
    engine.close();
    port.close();
    return;
  }
  const t0 = performance.now();
  try {
    if (msg.kind === "cni") {
      const out = await engine.runCni(msg.env, msg.stdin);
      send({
        id: msg.id,
        kind: "answer",
        answer: out.answer,
        dataDirs: out.dataDirs,
        workMs: performance.now() - t0,
      });
      if (out.deferred) heldBack.push({ id: msg.id, deletion: out.deferred });
      send({ id: msg.id, kind: "done", ...(out.deferred ? { deferred: true } : {}) });
    } else if (msg.kind === "reap") {
      send({ id: msg.id, kind: "reaped", jobs: reap() });
      send({ id: msg.id, kind: "done" });
    } else if (msg.kind === "stats") {
      send({ id: msg.id, kind: "stats", networks: engine.stats(msg.dataDirs) });
      send({ id: msg.id, kind: "done" });
    } else {
      const reports = engine.reconcile(msg.dataDirs, msg.graceMs, msg.staleGraceMs);
      send({ id: msg.id, kind: "reconciled", reports });
      send({ id: msg.id, kind: "done" });
    }
  } catch (err) {
    send({ id: msg.id, kind: "failed", error: (err as Error).stack ?? String(err) });
    send({ id: msg.id, kind: "done" });
  }
});
