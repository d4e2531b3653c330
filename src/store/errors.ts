// The store's failures that callers must tell apart: a damaged database file (DEL then works from
// the kernel alone, ADD is refused until the store is recovered) and a full disk (try again later).
// Both name the file; both keep SQLite's error as the cause.
import { dirname } from "node:path";

/** The database file fails its integrity check, or SQLite reports it corrupt while in use. */
export class StoreDamagedError extends Error {
  constructor(
    readonly path: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `the store ${path} is damaged (${detail.slice(0, 200)}); recover it with: quantumctl --data-dir ${dirname(path)} store recover`,
      options,
    );
    this.name = "StoreDamagedError";
  }
}

/** A write failed because the file system holding the store is full. */
export class StoreFullError extends Error {
  constructor(
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(`the disk holding the data dir ${dirname(path)} is full: cannot write the store ${path}`, options);
    this.name = "StoreFullError";
  }
}

/** SQLite's result codes (better-sqlite3's SqliteError.code) that mean a damaged file. */
const DAMAGED = ["SQLITE_CORRUPT", "SQLITE_NOTADB"];

/** The store error `err` (a SqliteError or a system error) stands for, or `err` itself. */
export function classifyStoreError(err: unknown, path: string): unknown {
  if (err instanceof StoreDamagedError || err instanceof StoreFullError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return err;
  if (DAMAGED.some((c) => code === c || code.startsWith(`${c}_`)))
    return new StoreDamagedError(path, (err as Error).message, { cause: err });
  if (
    code === "SQLITE_FULL" ||
    code === "ENOSPC" ||
    (code === "SQLITE_IOERR_WRITE" && /full|space/i.test((err as Error).message))
  )
    return new StoreFullError(path, { cause: err });
  return err;
}
