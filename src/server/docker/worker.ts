// The Docker driver's worker thread: the handlers do synchronous kernel, nftables and SQLite work,
// so they run here, one call at a time in arrival order (Docker's calls for one container depend
// on each other; serialising them also keeps the persisted state a simple read-modify-write).
// The main thread keeps the socket and the deadlines, so a call stuck here (a lock, the kernel)
// still gets an answer in time.
import { parentPort, workerData } from "node:worker_threads";
import { openDockerDataplane } from "../../manager/index.js";
import type { DriverContext } from "./context.js";
import { dispatch } from "./dispatch.js";
import type { DockerWorkerData, FromDockerWorker, ToDockerWorker } from "./worker-messages.js";

const port = parentPort;
if (!port) throw new Error("server/docker/worker.js must run as a worker thread");
const data = workerData as DockerWorkerData;
const ctx: DriverContext = { dp: openDockerDataplane(data.dataDir, data.firewallTable), driverName: data.driverName };

let queue: Promise<void> = Promise.resolve();

port.on("message", (msg: ToDockerWorker) => {
  if (msg.kind === "close") {
    queue = queue.then(() => {
      ctx.dp.close();
      port.close();
    });
    return;
  }
  queue = queue.then(async () => {
    const t0 = performance.now();
    const answer = await dispatch(ctx, msg.method, msg.body);
    const reply: FromDockerWorker = { id: msg.id, answer, workMs: performance.now() - t0 };
    port.postMessage(reply);
  });
});
