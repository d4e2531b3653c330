// quantumd: the Quantum CNI daemon. Wiring only: parse flags, start CniServer + its HTTP API on the
// unix socket, optional metrics, signals. SIGTERM/SIGINT: finish in-flight work, answer new
// requests with code 11, exit 0.
import { parseArgs } from "node:util";
import { DEFAULT_STALE_ATTACHMENT_GRACE_MS } from "../manager/cni-config.js";
import { absolutePathProblem, MAX_DATA_DIR_BYTES, MAX_SOCKET_PATH_BYTES } from "../manager/path-validation.js";
import { CniServer } from "../server/cni-server.js";
import { HttpApi } from "../server/http-api.js";
import { createLogger } from "../server/logger.js";
import { ensurePeerCredAddon } from "../server/peer-cred.js";

const USAGE = `usage: quantumd [options]
  --socket PATH            unix socket (default /run/quantum/quantum.sock)
  --allow-uid UID          also accept clients with this uid (repeatable; root is always allowed)
  --workers N              worker threads = operations at once (default 2)
  --queue-limit N          operations that may wait before new ones get code 11 (default 256)
  --max-body BYTES         largest request body (default 16777216)
  --data-dir DIR           data dir to reconcile at start (repeatable; default /var/lib/quantum)
  --reconcile-grace-ms MS  age half-made state must reach before reconcile removes it (default 5000)
  --stale-attachment-grace-ms MS  age an attachment whose netns vanished must reach before
                           reconcile releases it; until then the runtime's DEL/GC decides (default 604800000)
  --no-reconcile           skip the reconcile at start
  --sync-del               answer DEL only after the link is deleted (no fast path)
  --defer-release          fast-path DEL answers before releasing firewall elements and addresses too
  --firewall-table NAME    nftables table (default quantum)
  --metrics-addr HOST:PORT serve Prometheus metrics on /metrics (default off)
  --log-level LEVEL        pino level (default info)`;

function intFlag(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`--${name} must be a non-negative integer, got "${v}"`);
  return n;
}

/** An absolute, normalised path flag (the same rules as a conflist's dataDir/socketPath). */
function pathFlag(v: string, name: string, maxBytes: number): string {
  const problem = absolutePathProblem(v, maxBytes);
  if (problem) throw new RangeError(`--${name} ${JSON.stringify(v.slice(0, 200))} ${problem}`);
  return v;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      socket: { type: "string", default: "/run/quantum/quantum.sock" },
      "allow-uid": { type: "string", multiple: true, default: [] },
      workers: { type: "string" },
      "queue-limit": { type: "string" },
      "max-body": { type: "string" },
      "data-dir": { type: "string", multiple: true },
      "reconcile-grace-ms": { type: "string" },
      "no-reconcile": { type: "boolean", default: false },
      "stale-attachment-grace-ms": { type: "string" },
      "sync-del": { type: "boolean", default: false },
      "defer-release": { type: "boolean", default: false },
      "firewall-table": { type: "string" },
      "metrics-addr": { type: "string" },
      "log-level": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const log = createLogger(values["log-level"]);
  ensurePeerCredAddon();
  const server = new CniServer({
    logger: log,
    workers: Math.max(1, intFlag(values.workers, "workers", 2)),
    queueLimit: intFlag(values["queue-limit"], "queue-limit", 256),
    fastDel: !values["sync-del"],
    deferRelease: values["defer-release"],
    reconcileGraceMs: intFlag(values["reconcile-grace-ms"], "reconcile-grace-ms", 5000),
    staleAttachmentGraceMs: intFlag(
      values["stale-attachment-grace-ms"],
      "stale-attachment-grace-ms",
      DEFAULT_STALE_ATTACHMENT_GRACE_MS,
    ),
    ...(values["data-dir"]
      ? { dataDirs: values["data-dir"].map((d) => pathFlag(d, "data-dir", MAX_DATA_DIR_BYTES)) }
      : {}),
    ...(values["firewall-table"] ? { firewallTable: values["firewall-table"] } : {}),
  });
  const api = new HttpApi(server, {
    socketPath: pathFlag(values.socket, "socket", MAX_SOCKET_PATH_BYTES),
    allowUids: values["allow-uid"].map((u) => intFlag(u, "allow-uid", 0)),
    maxBodyBytes: intFlag(values["max-body"], "max-body", 16 * 1024 * 1024),
    logger: log,
  });
  await server.start({ reconcile: !values["no-reconcile"] });
  await api.listen();
  const metricsServer = values["metrics-addr"]
    ? await server.metrics.servePrometheus(values["metrics-addr"], () => server.refreshGauges())
    : undefined;
  log.info(
    { socket: values.socket, metrics: values["metrics-addr"] ?? null, status: server.status() },
    "quantumd ready",
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down: finishing in-flight requests");
    // Keep the socket open while draining: new requests are answered with code 11.
    await server.shutdown();
    // Idle keep-alive clients must not hold the exit up.
    await Promise.race([api.close(), new Promise((r) => setTimeout(r, 5000).unref())]);
    metricsServer?.close();
    log.info("stopped");
    log.flush(() => process.exit(0));
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((err: Error) => {
  process.stderr.write(`quantumd: ${err.message}\n${USAGE}\n`);
  process.exit(1);
});
