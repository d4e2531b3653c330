/**
 * A stack of compensating actions. Each step of an ADD that changes state pushes its undo;
 * on failure everything is unwound in reverse so nothing is left half-created.
 */
export class UndoStack {
  readonly #steps: { what: string; undo: () => void }[] = [];

  push(what: string, undo: () => void): void {
    this.#steps.push({ what, undo });
  }

  /** Runs every undo in reverse; returns the failures (an undo must never mask the original error). */
  unwind(): string[] {
    const failures: string[] = [];
    for (let step = this.#steps.pop(); step; step = this.#steps.pop()) {
      try {
        step.undo();
      } catch (err) {
        failures.push(`undo "${step.what}": ${(err as Error).message}`);
      }
    }
    return failures;
  }

  /** Forget the undos: the operation committed. */
  commit(): void {
    this.#steps.length = 0;
  }
}

/** Error of a named step of an attachment, so the CNI error says where it failed. */
export class StepError extends Error {
  constructor(
    readonly step: string,
    cause: unknown,
    readonly undoFailures: string[] = [],
  ) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    super(`${step}: ${msg}`, { cause });
    this.name = "StepError";
  }
}
