// quantumd in fabric mode: the settings (flags, QUANTUM_ETCD_ENDPOINTS, or a JSON config file) and
// the agent's start. Wiring only; the agent lives in fabric/.
import { readFileSync } from "node:fs";
import {
  checkNodeName,
  DEFAULT_PREFIX,
  EtcdCluster,
  FabricAgent,
  FabricStore,
  parseEndpoints,
} from "../fabric/index.js";
import { Rtnl } from "../kernel/index.js";
import { overlayLeasePath } from "../network/overlay/index.js";
import type { Logger } from "../server/logger.js";

export interface FabricFlags {
  "etcd-endpoints"?: string | undefined;
  "node-name"?: string | undefined;
  "public-ip"?: string | undefined;
  "fabric-prefix"?: string | undefined;
  "fabric-config"?: string | undefined;
  "vxlan-dev"?: string | undefined;
  "fabric-resync-ms"?: string | undefined;
}

export interface FabricSettings {
  endpoints: string[];
  nodeName: string;
  publicIP: string;
  prefix: string;
  vxlanDev?: string;
  resyncMs?: number;
}

/** Fabric mode is on when endpoints come from a flag, the config file or QUANTUM_ETCD_ENDPOINTS; null otherwise. */
export function fabricSettings(f: FabricFlags, env: NodeJS.ProcessEnv): FabricSettings | null {
  let file: Record<string, unknown> = {};
  if (f["fabric-config"]) {
    try {
      file = JSON.parse(readFileSync(f["fabric-config"], "utf8")) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`--fabric-config ${f["fabric-config"]}: ${(e as Error).message}`, { cause: e });
    }
  }
  const str = (k: string): string | undefined => (typeof file[k] === "string" ? (file[k] as string) : undefined);
  const endpoints = f["etcd-endpoints"] ?? str("etcdEndpoints") ?? env["QUANTUM_ETCD_ENDPOINTS"];
  if (!endpoints) return null;
  const nodeName = f["node-name"] ?? str("nodeName") ?? env["QUANTUM_NODE_NAME"];
  const publicIP = f["public-ip"] ?? str("publicIP") ?? env["QUANTUM_PUBLIC_IP"];
  if (!nodeName) throw new Error("fabric mode (etcd endpoints given) needs --node-name");
  if (!publicIP) throw new Error("fabric mode (etcd endpoints given) needs --public-ip");
  const resync = f["fabric-resync-ms"];
  if (resync !== undefined && !/^\d+$/.test(resync))
    throw new RangeError(`--fabric-resync-ms must be an integer, got "${resync}"`);
  const vxlanDev = f["vxlan-dev"] ?? str("vxlanDev");
  return {
    endpoints: parseEndpoints(endpoints),
    nodeName: checkNodeName(nodeName),
    publicIP,
    prefix: f["fabric-prefix"] ?? str("prefix") ?? DEFAULT_PREFIX,
    ...(vxlanDev ? { vxlanDev } : {}),
    ...(resync !== undefined ? { resyncMs: Number(resync) } : {}),
  };
}

export interface RunningFabric {
  agent: FabricAgent;
  stop(): void;
}

export function startFabric(s: FabricSettings, dataDir: string, log: Logger): RunningFabric {
  const cluster = new EtcdCluster(s.endpoints);
  const rtnl = Rtnl.open();
  const agent = new FabricAgent({
    store: new FabricStore(cluster, s.prefix),
    nodeName: s.nodeName,
    publicIP: s.publicIP,
    dataDir,
    leasePath: overlayLeasePath(dataDir),
    rtnl,
    log: log.child({ component: "fabric" }),
    ...(s.vxlanDev ? { vxlanName: s.vxlanDev } : {}),
    ...(s.resyncMs !== undefined ? { resyncMs: s.resyncMs } : {}),
  });
  agent.start();
  return {
    agent,
    stop() {
      agent.stop();
      cluster.close();
      rtnl.close();
    },
  };
}
