// Idle exit for a daemon started on demand (the shim's autostart): once no connection has been open
// and no operation has run or waited for `idleMs`, onIdle is called once. The clock restarts at
// every connection's close, so a daemon in steady use never exits.

export interface IdleExitOptions {
  /** How long the daemon must be idle; must be a positive number of milliseconds. */
  idleMs: number;
  /** True while operations run or wait (the DEL fast path still works after its connection closed). */
  busy: () => boolean;
  /** Called once when the daemon has been idle long enough. */
  onIdle: () => void;
}

export class IdleExit {
  readonly #opts: IdleExitOptions;
  #open = 0;
  #timer: NodeJS.Timeout | undefined;
  #fired = false;

  /** @throws RangeError for an idleMs that is not a positive finite number. */
  constructor(opts: IdleExitOptions) {
    if (!Number.isFinite(opts.idleMs) || opts.idleMs <= 0) {
      throw new RangeError(`idle exit: idleMs must be a positive number, got ${opts.idleMs}`);
    }
    this.#opts = opts;
  }

  /** Starts the clock (call once the daemon listens). */
  start(): void {
    this.#arm();
  }

  connectionOpened(): void {
    this.#open++;
    this.#disarm();
  }

  connectionClosed(): void {
    this.#open = Math.max(0, this.#open - 1);
    if (this.#open === 0) this.#arm();
  }

  /** Stops the clock for good (the daemon is stopping for another reason). */
  stop(): void {
    this.#fired = true;
    this.#disarm();
  }

  #arm(): void {
    if (this.#fired) return;
    this.#disarm();
    // unref: the clock alone never keeps a stopping process alive.
    this.#timer = setTimeout(() => this.#check(), this.#opts.idleMs).unref();
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #check(): void {
    this.#timer = undefined;
    if (this.#open > 0 || this.#fired) return;
    if (this.#opts.busy()) {
      this.#arm();
      return;
    }
    this.#fired = true;
    this.#opts.onIdle();
  }
}
