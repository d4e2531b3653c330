/**
 * A small CRI client (runtime.v1, the API kubelet speaks) over containerd's unix socket: the
 * messages of runtime-v1.proto with the real cri-api field numbers, loaded with proto-loader,
 * called with grpc-js. Each call has a deadline; a gRPC error keeps its code and the method name.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

// tsc does not copy .proto files into dist/: read it from the source tree (repo root relative).
const PROTO = fileURLToPath(new URL("../../../../test/runtimes/cri/runtime-v1.proto", import.meta.url));

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface PortMapping {
  protocol: "TCP" | "UDP" | "SCTP";
  containerPort: number;
  hostPort: number;
  hostIp: string;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname: string;
  logDirectory: string;
  dnsConfig?: { servers: string[]; searches: string[]; options: string[] };
  portMappings?: PortMapping[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  linux?: { cgroupParent: string; sysctls?: Record<string, string> };
}

export interface PodSandboxStatus {
  id: string;
  metadata: PodSandboxMetadata;
  state: "SANDBOX_READY" | "SANDBOX_NOTREADY";
  network?: { ip: string; additionalIps: { ip: string }[] };
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface PodSandboxStatusResponse {
  status: PodSandboxStatus;
  /** Verbose only: containerd's "info" key holds JSON (pid, netNamespacePath, runtimeSpec, ...). */
  info: Record<string, string>;
}

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata;
  state: "SANDBOX_READY" | "SANDBOX_NOTREADY";
}

export interface RuntimeCondition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}

type Unary = (
  req: object,
  meta: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (e: grpc.ServiceError | null, r: unknown) => void,
) => void;

/** Every method of RuntimeService that the tests call, with its deadline. */
export class CriClient {
  readonly #client: grpc.Client & Record<string, Unary>;

  constructor(
    socketPath: string,
    private readonly timeoutMs = 120_000,
  ) {
    if (!existsSync(PROTO)) throw new Error(`CRI proto not found at ${PROTO} (it is read from the source tree)`);
    const def = protoLoader.loadSync(PROTO, { keepCase: false, longs: String, enums: String, defaults: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      runtime: { v1: { RuntimeService: grpc.ServiceClientConstructor } };
    };
    this.#client = new pkg.runtime.v1.RuntimeService(
      `unix://${socketPath}`,
      grpc.credentials.createInsecure(),
    ) as unknown as grpc.Client & Record<string, Unary>;
  }

  close(): void {
    this.#client.close();
  }

  #call<T>(method: string, req: object): Promise<T> {
    return new Promise((resolve, reject) => {
      const fn = this.#client[method];
      if (typeof fn !== "function") {
        reject(new Error(`CRI client has no method ${method}`));
        return;
      }
      const deadline = new Date(Date.now() + this.timeoutMs);
      fn.call(this.#client, req, new grpc.Metadata(), { deadline }, (err, res) => {
        if (err) reject(new Error(`CRI ${method}: ${grpc.status[err.code]} ${err.details}`, { cause: err }));
        else resolve(res as T);
      });
    });
  }

  version(): Promise<{ version: string; runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }> {
    return this.#call("Version", { version: "v1" });
  }

  async status(): Promise<RuntimeCondition[]> {
    const r = await this.#call<{ status?: { conditions: RuntimeCondition[] } }>("Status", { verbose: false });
    return r.status?.conditions ?? [];
  }

  /** Status with verbose info: containerd puts the CNI config it loaded under "cniconfig" (JSON). */
  async statusInfo(): Promise<Record<string, string>> {
    const r = await this.#call<{ info: Record<string, string> }>("Status", { verbose: true });
    return r.info;
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const r = await this.#call<{ podSandboxId: string }>("RunPodSandbox", { config, runtimeHandler: "" });
    return r.podSandboxId;
  }

  podSandboxStatus(id: string, verbose = true): Promise<PodSandboxStatusResponse> {
    return this.#call("PodSandboxStatus", { podSandboxId: id, verbose });
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.#call("StopPodSandbox", { podSandboxId: id });
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.#call("RemovePodSandbox", { podSandboxId: id });
  }

  async listPodSandbox(): Promise<PodSandbox[]> {
    const r = await this.#call<{ items: PodSandbox[] }>("ListPodSandbox", {});
    return r.items;
  }
}

/** The pause process pid that containerd reports in PodSandboxStatus's verbose info. */
export function sandboxPid(s: PodSandboxStatusResponse): number {
  const info = JSON.parse(s.info["info"] ?? "{}") as { pid?: number };
  if (typeof info.pid !== "number" || info.pid <= 0) {
    throw new Error(`PodSandboxStatus of ${s.status.id} has no pid in its verbose info: ${s.info["info"]}`);
  }
  return info.pid;
}
