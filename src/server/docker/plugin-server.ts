// quantumd's Docker plugin endpoint: the libnetwork remote driver protocol (NetworkDriver and
// IpamDriver) as HTTP/1.1 JSON on a unix socket, usually /run/docker/plugins/quantum.sock; Docker
// calls the driver by the socket's basename. Every call gets an answer within the deadline:
// Docker has none of its own, and a hung handler would hang `docker run` (and, for CreateEndpoint,
// every endpoint of the network).
import { chmodSync, existsSync, mkdirSync, unlinkSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { basename, dirname } from "node:path";
import { Worker } from "node:worker_threads";
import { socketAnswers } from "../http-api.js";
import type { Logger } from "../logger.js";
import { undoOf } from "./compensate.js";
import type { DockerAnswer } from "./dispatch.js";
import { errorBody } from "./dispatch.js";
import type { DockerWorkerData, FromDockerWorker, ToDockerWorker } from "./worker-messages.js";

export const CONTENT_TYPE = "application/vnd.docker.plugins.v1+json";
const MAX_BODY = 1024 * 1024;

export interface DockerPluginOptions {
  socketPath: string;
  dataDir: string;
  firewallTable: string;
  logger: Logger;
  /** Longest a call may take before Docker gets an error (default 10 s). */
  deadlineMs?: number;
  /** Runs calls instead of the worker thread (tests of the protocol layer). */
  backend?: (method: string, body: unknown) => Promise<DockerAnswer>;
}

/** The driver name Docker uses for a socket: its basename without ".sock". @throws RangeError */
export function driverNameOf(socketPath: string): string {
  const name = basename(socketPath).replace(/\.sock$/, "");
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
    throw new RangeError(`--docker-plugin-socket "${socketPath}": "${name}" is not a usable Docker driver name`);
  }
  return name;
}

export class DockerPluginServer {
  readonly driverName: string;
  readonly #o: DockerPluginOptions;
  readonly #http: Server;
  #worker: Worker | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, (a: FromDockerWorker) => void>();

  constructor(o: DockerPluginOptions) {
    this.#o = o;
    this.driverName = driverNameOf(o.socketPath);
    this.#http = createServer((req, res) => void this.#serve(req, res));
    this.#http.keepAliveTimeout = 5_000;
  }

  get deadlineMs(): number {
    return this.#o.deadlineMs ?? 10_000;
  }

  async listen(): Promise<void> {
    if (!this.#o.backend) this.#startWorker();
    const path = this.#o.socketPath;
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path)) {
      if (await socketAnswers(path)) throw new Error(`another process is listening on ${path}`);
      unlinkSync(path);
    }
    await new Promise<void>((resolve, reject) => {
      this.#http.once("error", reject);
      this.#http.listen(path, () => {
        this.#http.off("error", reject);
        resolve();
      });
    });
    // dockerd runs as root; nobody else may drive the dataplane.
    chmodSync(path, 0o600);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#http.close(() => resolve());
      this.#http.closeIdleConnections();
    });
    if (existsSync(this.#o.socketPath)) unlinkSync(this.#o.socketPath);
    const w = this.#worker;
    this.#worker = undefined;
    if (w) {
      const exited = new Promise<void>((r) => w.once("exit", () => r()));
      w.postMessage({ kind: "close" } satisfies ToDockerWorker);
      await Promise.race([exited, new Promise((r) => setTimeout(r, this.deadlineMs).unref())]);
      await w.terminate();
    }
  }

  #startWorker(): void {
    const data: DockerWorkerData = {
      dataDir: this.#o.dataDir,
      firewallTable: this.#o.firewallTable,
      driverName: this.driverName,
    };
    const w = new Worker(new URL("./worker.js", import.meta.url), { workerData: data });
    w.on("message", (m: FromDockerWorker) => {
      const done = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      done?.(m);
    });
    w.on("error", (err) => this.#o.logger.error({ err }, "docker driver worker failed"));
    w.on("exit", (code) => {
      if (this.#worker !== w) return;
      // Calls it had are answered with an error; the next call starts a new worker.
      this.#o.logger.error({ code }, "docker driver worker exited");
      this.#worker = undefined;
      for (const [id, done] of this.#pending) {
        this.#pending.delete(id);
        done({ id, answer: { status: 500, body: { Err: "quantum's docker driver worker exited" } }, workMs: 0 });
      }
    });
    this.#worker = w;
  }

  #call(method: string, body: unknown): Promise<DockerAnswer> {
    if (this.#o.backend) return this.#o.backend(method, body);
    if (!this.#worker) this.#startWorker();
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, (m) => resolve(m.answer));
      this.#worker!.postMessage({ kind: "call", id, method, body } satisfies ToDockerWorker);
    });
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const t0 = performance.now();
    const method = (req.url ?? "").replace(/^\//, "").split("?")[0] ?? "";
    let answer: DockerAnswer;
    let outcome = "ok";
    try {
      if (req.method !== "POST") {
        answer = { status: 405, body: errorBody(method, `${req.method} ${req.url}: Docker plugin calls are POST`) };
      } else {
        const text = await readBody(req);
        const body = parseJson(text);
        answer = await this.#withDeadline(method, body, this.#call(method, body));
        // What Docker sent and what we answered, call by call (--log-level debug).
        this.#o.logger.debug({ method, request: body, answer: answer.body }, "docker call");
      }
    } catch (err) {
      outcome = "bad-request";
      answer = { status: 400, body: errorBody(method, `${method}: ${(err as Error).message}`) };
    }
    const payload = JSON.stringify(answer.body);
    res.writeHead(answer.status, { "Content-Type": CONTENT_TYPE, "Content-Length": Buffer.byteLength(payload) });
    res.end(payload);
    const err = (answer.body as { Err?: string; Error?: string }).Err ?? (answer.body as { Error?: string }).Error;
    this.#o.logger[err ? "warn" : "info"](
      {
        method,
        status: answer.status,
        durationMs: Math.round((performance.now() - t0) * 1000) / 1000,
        ...(err ? { error: err } : {}),
        outcome: err && outcome === "ok" ? "error" : outcome,
      },
      "docker request",
    );
  }

  #withDeadline(method: string, request: unknown, work: Promise<DockerAnswer>): Promise<DockerAnswer> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<DockerAnswer>((resolve) => {
      timer = setTimeout(() => {
        void work.then((a) => this.#finishedLate(method, request, a));
        resolve({
          status: 200,
          body: errorBody(method, `quantum: ${method} did not finish within ${this.deadlineMs} ms`),
        });
      }, this.deadlineMs);
    });
    return Promise.race([work, late]).finally(() => clearTimeout(timer));
  }

  /** Docker was told the call failed: what it did anyway is undone (compensate.ts). */
  async #finishedLate(method: string, request: unknown, answer: DockerAnswer): Promise<void> {
    const undo = undoOf(method, request, answer);
    this.#o.logger.warn(
      { method, status: answer.status, undo: undo?.method ?? null },
      "docker call finished after its deadline",
    );
    if (!undo) return;
    const result = await this.#call(undo.method, undo.body);
    const err = (result.body as { Err?: string; Error?: string }).Err ?? (result.body as { Error?: string }).Error;
    this.#o.logger[err ? "error" : "info"](
      { method: undo.method, request: undo.body, ...(err ? { error: err } : {}) },
      "docker call undone after its deadline",
    );
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error(`request body larger than ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Docker sends `null` or nothing for calls without arguments (Plugin.Activate). */
function parseJson(text: string): unknown {
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text) ?? {};
  } catch (err) {
    throw new Error(`request body is not JSON: ${(err as Error).message}`, { cause: err });
  }
}
