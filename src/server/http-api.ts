// The daemon's HTTP/1.1 API over a unix socket. A net.Server accepts each connection, checks the
// peer's uid (SO_PEERCRED) and only then hands it to the HTTP parser, so a refused peer never gets
// to send a request. Routes:
//   POST /v1/cni         a CNI invocation (protocol.ts): X-CNI-Exit + stdout/stderr body
//   GET  /healthz        200 while the process serves
//   GET  /readyz         200 once started and not shutting down, else 503
//   GET  /v1/status      JSON ServerStatus (?resetEventLoop=1 resets the event-loop histogram after)
//   POST /v1/reconcile   runs reconcile now, JSON reports
import { chmodSync, existsSync, mkdirSync, statSync, unlinkSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect, createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { dirname } from "node:path";
import { CniError, CODE_DECODING_FAILURE, CODE_IO_FAILURE } from "../cni/errors.js";
import { describeAutostartedHolder } from "./autostart-lock.js";
import type { CniServer } from "./cni-server.js";
import type { Logger } from "./logger.js";
import { peerCred } from "./peer-cred.js";
import { type CniAnswer, errorAnswer, HEADER_EXIT, HEADER_STDOUT_LENGTH, parseWireRequest } from "./protocol.js";

export interface HttpApiOptions {
  /** The socket path: created by listen(), or only a name in logs when `listenFd` is given. */
  socketPath: string;
  /** An already listening socket to serve instead (systemd socket activation); never unlinked. */
  listenFd?: number;
  /** Told when an accepted connection opens and closes (the idle-exit clock). */
  connections?: { opened(): void; closed(): void };
  /** Peer uids allowed besides 0. */
  allowUids?: number[];
  /** Largest request body accepted (default 16 MiB). */
  maxBodyBytes?: number;
  logger: Logger;
}

export const DEFAULT_MAX_BODY = 16 * 1024 * 1024;

export class HttpApi {
  readonly #server: CniServer;
  readonly #opts: HttpApiOptions;
  readonly #http: Server;
  readonly #net: NetServer;
  readonly #sockets = new Set<Socket>();
  /** The inode of the socket file listen() made: close() removes that file, never a successor's. */
  #socketInode: number | undefined;

  constructor(server: CniServer, opts: HttpApiOptions) {
    this.#server = server;
    this.#opts = opts;
    this.#http = createHttpServer((req, res) => void this.#route(req, res));
    this.#http.headersTimeout = 10_000;
    this.#http.requestTimeout = 120_000;
    this.#http.keepAliveTimeout = 5_000;
    this.#http.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
      if (!socket.writable) return socket.destroy();
      const status = err.code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large" : "400 Bad Request";
      const body = errorAnswer(
        new CniError(CODE_DECODING_FAILURE, `quantumd: malformed HTTP request: ${err.code ?? err.message}`),
      ).stdout;
      socket.end(
        `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: application/json\r\n${HEADER_EXIT}: 1\r\n` +
          `${HEADER_STDOUT_LENGTH}: ${Buffer.byteLength(body)}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    });
    this.#net = createNetServer((socket) => this.#accept(socket));
  }

  #accept(socket: Socket): void {
    let uid: number | undefined;
    try {
      uid = peerCred(socket)?.uid;
    } catch (err) {
      this.#opts.logger.warn({ err }, "cannot read peer credentials");
    }
    const allowed = uid === 0 || (uid !== undefined && (this.#opts.allowUids ?? []).includes(uid));
    if (!allowed) {
      this.#opts.logger.warn({ uid }, "refused connection from a peer that is not allowed");
      const body = errorAnswer(
        new CniError(CODE_IO_FAILURE, `quantumd: uid ${uid ?? "unknown"} is not allowed to use this socket`),
      ).stdout;
      socket.on("error", () => undefined);
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: application/json\r\n${HEADER_EXIT}: 1\r\n` +
          `${HEADER_STDOUT_LENGTH}: ${Buffer.byteLength(body)}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    this.#sockets.add(socket);
    this.#opts.connections?.opened();
    socket.once("close", () => {
      this.#sockets.delete(socket);
      this.#opts.connections?.closed();
    });
    this.#http.emit("connection", socket);
  }

  /**
   * Listens on the socket path, created 0600 (a stale socket file is replaced, a live one refused),
   * or on the passed listening fd as it is (its owner chose path and mode).
   */
  async listen(): Promise<void> {
    const fd = this.#opts.listenFd;
    if (fd !== undefined) {
      await new Promise<void>((resolve, reject) => {
        this.#net.once("error", reject);
        this.#net.listen({ fd }, () => {
          this.#net.off("error", reject);
          resolve();
        });
      });
      return;
    }
    const path = this.#opts.socketPath;
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    if (existsSync(path)) {
      if (await socketAnswers(path)) {
        throw new Error(`another daemon is listening on ${path}${describeAutostartedHolder(path)}`);
      }
      unlinkSync(path);
    }
    const old = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        this.#net.once("error", reject);
        this.#net.listen(path, () => {
          this.#net.off("error", reject);
          resolve();
        });
      });
    } finally {
      process.umask(old);
    }
    chmodSync(path, 0o600);
    this.#socketInode = statSync(path).ino;
  }

  /** Stops listening, ends idle keep-alive connections and removes the socket file (not a passed fd's). */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#net.close(() => resolve());
      this.#http.closeIdleConnections();
      for (const s of this.#sockets) if (!s.readableLength) s.end();
    });
    if (this.#opts.listenFd !== undefined) return;
    // libuv unlinks the path when the listener closes; by now a successor (the next autostarted
    // daemon, or one taking over) may have bound a new socket there, which must stay.
    try {
      if (statSync(this.#opts.socketPath).ino === this.#socketInode) unlinkSync(this.#opts.socketPath);
    } catch {
      // already gone
    }
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://quantumd");
    const route = `${req.method} ${url.pathname}`;
    try {
      switch (route) {
        case "POST /v1/cni":
          return await this.#cni(req, res);
        case "GET /healthz":
          return text(res, 200, "ok\n");
        case "GET /readyz":
          return this.#server.ready ? text(res, 200, "ready\n") : text(res, 503, "not ready\n");
        case "GET /v1/status": {
          const status = this.#server.status();
          if (url.searchParams.get("resetEventLoop") === "1") this.#server.metrics.resetEventLoopDelay();
          return json(res, 200, status);
        }
        case "POST /v1/reconcile": {
          await drain(req);
          return json(res, 200, { reports: await this.#server.reconcile() });
        }
        default:
          await drain(req);
          return json(res, knownPath(url.pathname) ? 405 : 404, { error: `no route for ${route}` });
      }
    } catch (err) {
      this.#opts.logger.error({ err, route }, "request failed");
      if (!res.headersSent) json(res, 500, { error: (err as Error).message });
      else res.destroy();
    }
  }

  async #cni(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const limit = this.#opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
    const declared = Number(req.headers["content-length"] ?? NaN);
    if (declared > limit) {
      res.shouldKeepAlive = false;
      return answer(res, 413, tooLarge(limit));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        res.shouldKeepAlive = false;
        answer(res, 413, tooLarge(limit));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    }
    let wire: ReturnType<typeof parseWireRequest>;
    try {
      wire = parseWireRequest(Buffer.concat(chunks).toString("utf8"));
    } catch (err) {
      return answer(res, 400, errorAnswer(err as CniError));
    }
    answer(res, 200, await this.#server.handleCni(wire));
  }
}

function tooLarge(limit: number): CniAnswer {
  return errorAnswer(new CniError(CODE_IO_FAILURE, `quantumd: request body larger than ${limit} bytes`));
}

function answer(res: ServerResponse, status: number, a: CniAnswer): void {
  const out = Buffer.from(a.stdout);
  const body = Buffer.concat([out, Buffer.from(a.stderr)]);
  res.writeHead(status, {
    "content-type": "application/octet-stream",
    "content-length": body.length,
    [HEADER_EXIT]: String(a.exit),
    [HEADER_STDOUT_LENGTH]: String(out.length),
  });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = `${JSON.stringify(value)}\n`;
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "text/plain", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

async function drain(req: IncomingMessage): Promise<void> {
  for await (const _ of req) {
    // discard
  }
}

function knownPath(p: string): boolean {
  return ["/v1/cni", "/healthz", "/readyz", "/v1/status", "/v1/reconcile"].includes(p);
}

/** True when something accepts connections on the unix socket at path. */
export function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}
