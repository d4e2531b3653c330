// quantumd: the Quantum CNI daemon. Wiring only: parse flags, start CniServer + its HTTP API on the
// unix socket (or the one systemd passed, LISTEN_FDS), optional metrics, signals, idle exit.
// SIGTERM/SIGINT: finish in-flight work, answer new requests with code 11, exit 0. Idle exit
// (--idle-exit, set by the shim's autostart): stop listening and remove the socket first, so new
// calls start or find another daemon instead of getting code 11, then finish and exit 0. SIGUSR2
// (autostarted only): the same, to hand the socket to a daemon started by hand or by systemd.
import { parseArgs } from "node:util";
import { DEFAULT_DATA_DIR, DEFAULT_STALE_ATTACHMENT_GRACE_MS } from "../manager/cni-config.js";
import { absolutePathProblem, MAX_DATA_DIR_BYTES, MAX_SOCKET_PATH_BYTES } from "../manager/path-validation.js";
import { markLockReady } from "../server/autostart-lock.js";
import { CniServer } from "../server/cni-server.js";
import { DockerPluginServer } from "../server/docker/plugin-server.js";
import { HttpApi } from "../server/http-api.js";
import { IdleExit } from "../server/idle-exit.js";
import { createLogger } from "../server/logger.js";
import { ensurePeerCredAddon } from "../server/peer-cred.js";
import { activationFd } from "../server/socket-activation.js";
import { takeOverFromAutostarted } from "../server/takeover.js";
import { fabricSettings, startFabric } from "./quantumd-fabric.js";

const USAGE = `usage: quantumd [options]
  --socket PATH            unix socket (default /run/quantum/quantum.sock; ignored when systemd
                           passes a listening socket: LISTEN_FDS, LISTEN_PID)
  --idle-exit SECONDS      exit after this long without a connection or an operation (default 0: never)
  --lock-fd FD             the shim's autostart lock, held for life; marked ready once listening
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
  --docker-plugin-socket PATH  also serve Docker's remote network + IPAM driver protocol there (default
                           off; usually /run/docker/plugins/quantum.sock: the driver name is the basename);
                           its networks live in the first --data-dir
  --docker-deadline-ms MS  longest a Docker call may take before Docker gets an error (default 10000)
  --log-level LEVEL        pino level (default info)

fabric mode (multi-host; on when etcd endpoints are given):
  --etcd-endpoints URLS    http://host:2379[,...] (or QUANTUM_ETCD_ENDPOINTS, or etcdEndpoints in --fabric-config)
  --node-name NAME         this node's name in the fabric
  --public-ip IP           this node's underlay IPv4 address (the VTEP's local address)
  --fabric-config FILE     JSON {etcdEndpoints, nodeName, publicIP, prefix, vxlanDev}
  --fabric-prefix PREFIX   etcd key prefix (default /quantum/v1/)
  --vxlan-dev NAME         vxlan device name (default qvx<vni>)
  --fabric-resync-ms MS    re-list and kernel reconcile period (default 300000)`;

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
      "idle-exit": { type: "string" },
      "lock-fd": { type: "string" },
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
      "docker-plugin-socket": { type: "string" },
      "docker-deadline-ms": { type: "string" },
      "log-level": { type: "string" },
      "etcd-endpoints": { type: "string" },
      "node-name": { type: "string" },
      "public-ip": { type: "string" },
      "fabric-config": { type: "string" },
      "fabric-prefix": { type: "string" },
      "vxlan-dev": { type: "string" },
      "fabric-resync-ms": { type: "string" },
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
  // Before CniServer copies process.env for its workers: the LISTEN_* variables are only ours.
  const listenFd = activationFd();
  const idleExitSeconds = intFlag(values["idle-exit"], "idle-exit", 0);
  const fabricMode = fabricSettings(values, process.env);
  // The agent writes the lease the overlay driver reads into the first data dir.
  const fabric = fabricMode ? startFabric(fabricMode, values["data-dir"]?.[0] ?? DEFAULT_DATA_DIR, log) : undefined;
  const server = new CniServer({
    ...(fabric ? { fabric: () => fabric.agent.status() } : {}),
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
  let idle: IdleExit | undefined;
  const api = new HttpApi(server, {
    socketPath: pathFlag(values.socket, "socket", MAX_SOCKET_PATH_BYTES),
    ...(listenFd !== undefined ? { listenFd } : {}),
    connections: { opened: () => idle?.connectionOpened(), closed: () => idle?.connectionClosed() },
    allowUids: values["allow-uid"].map((u) => intFlag(u, "allow-uid", 0)),
    maxBodyBytes: intFlag(values["max-body"], "max-body", 16 * 1024 * 1024),
    logger: log,
  });
  const docker = values["docker-plugin-socket"]
    ? new DockerPluginServer({
        socketPath: values["docker-plugin-socket"],
        dataDir: values["data-dir"]?.[0] ?? DEFAULT_DATA_DIR,
        firewallTable: values["firewall-table"] ?? "quantum",
        deadlineMs: Math.max(1, intFlag(values["docker-deadline-ms"], "docker-deadline-ms", 10_000)),
        logger: log,
      })
    : undefined;
  await server.start({ reconcile: !values["no-reconcile"] });
  const autostarted = values["lock-fd"] !== undefined;
  if (!autostarted && listenFd === undefined) {
    // Started by hand or by systemd while a daemon the shim started holds the socket: take over.
    const from = await takeOverFromAutostarted(values.socket);
    if (from !== undefined)
      log.info({ pid: from, socket: values.socket }, "took the socket over from an autostarted quantumd");
  }
  await api.listen();
  await docker?.listen();
  if (values["lock-fd"] !== undefined) markLockReady(intFlag(values["lock-fd"], "lock-fd", 0));
  if (fabric) server.metrics.fabric(() => fabric.agent.status());
  const metricsServer = values["metrics-addr"]
    ? await server.metrics.servePrometheus(values["metrics-addr"], () => server.refreshGauges())
    : undefined;
  log.info(
    {
      socket: values.socket,
      socketActivated: listenFd !== undefined,
      idleExitSeconds,
      metrics: values["metrics-addr"] ?? null,
      docker: docker ? { socket: values["docker-plugin-socket"], driver: docker.driverName } : null,
      status: server.status(),
    },
    "quantumd ready",
  );

  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    idle?.stop();
    // Docker's calls first: its socket goes away so dockerd sees the driver as down, not half-up.
    await docker?.close();
    // Idle keep-alive clients must not hold the exit up.
    const closeApi = () => Promise.race([api.close(), new Promise((r) => setTimeout(r, 5000).unref())]);
    if (reason === "idle" || reason === "handover") {
      // Stop listening first, so a call arriving now finds no socket and waits for the next daemon
      // (we still hold the autostart lock), starts one, or runs in-process, instead of being told
      // to try again later.
      if (reason === "idle") log.info({ idleExitSeconds }, "idle: closing the socket and exiting");
      else log.info("handing the socket over to a quantumd started by hand or by systemd");
      await closeApi();
      await server.shutdown();
    } else {
      log.info({ signal: reason }, "shutting down: finishing in-flight requests");
      // Keep the socket open while draining: new requests are answered with code 11.
      await server.shutdown();
      await closeApi();
    }
    metricsServer?.close();
    // The lease is kept (not revoked): a restart within the TTL resumes it and peers see nothing.
    fabric?.stop();
    log.info("stopped");
    log.flush(() => process.exit(0));
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  // Only an autostarted daemon hands over (src/server/takeover.ts sends SIGUSR2).
  if (autostarted) process.on("SIGUSR2", () => void stop("handover"));
  if (idleExitSeconds > 0) {
    idle = new IdleExit({
      idleMs: idleExitSeconds * 1000,
      busy: () => {
        const s = server.status();
        // Link deletions held for a batch are work too: never idle while one waits.
        return s.running + s.waiting + s.pendingLinkDeletions > 0;
      },
      onIdle: () => void stop("idle"),
    });
    idle.start();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`quantumd: ${err.message}\n${USAGE}\n`);
  process.exit(1);
});
