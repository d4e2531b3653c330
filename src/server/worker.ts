// Entry point of one long-lived worker thread of quantumd. It owns an Engine for its whole life
// and answers messages from the pool: a CNI request gets an "answer" as soon as the plugin's
// output is known, then "done" once any work after the answer (DEL fast path) has finished.
import { parentPort, workerData } from "node:worker_threads";
import { Engine, type EngineOptions } from "./engine.js";
import type { FromWorker, ToWorker } from "./worker-messages.js";

const port = parentPort;
if (!port) throw new Error("server/worker.js must run as a worker thread");
const engine = new Engine(workerData as EngineOptions);

/** How often the worker truncates its stores' write-ahead logs (between jobs: this thread is idle then). */
const CHECKPOINT_INTERVAL_MS = 60_000;
setInterval(() => engine.checkpoint(), CHECKPOINT_INTERVAL_MS).unref();

function send(msg: FromWorker): void {
  port!.postMessage(msg);
}

port.on("message", async (msg: ToWorker) => {
  if (msg.kind === "close") {
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
      let afterError: string | undefined;
      if (out.after) {
        try {
          out.after();
        } catch (err) {
          afterError = (err as Error).message;
        }
      }
      send({ id: msg.id, kind: "done", ...(afterError ? { error: afterError } : {}) });
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
