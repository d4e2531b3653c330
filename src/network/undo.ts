import { Problem } from "./errors.js";

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
  unwind(): Problem[] {
    const failures: Problem[] = [];
    for (let step = this.#steps.pop(); step; step = this.#steps.pop()) {
      try {
        step.undo();
      } catch (err) {
        failures.push(new Problem(`undo "${step.what}"`, err));
      }
    }
    return failures;
  }

  /** Forget the undos: the operation committed. */
  commit(): void {
    this.#steps.length = 0;
  }
}

/**
 * Error of a named step of an attachment, so the CNI error says where it failed. When the unwind
 * itself failed, the message says what was left behind: the user must know what to clean up.
 */
export class StepError extends Error {
  constructor(
    readonly step: string,
    cause: unknown,
    readonly undoFailures: readonly Error[] = [],
  ) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    const left =
      undoFailures.length === 0
        ? ""
        : `; and unwinding failed, left behind: ${undoFailures.map((f) => f.message).join("; ")}`;
    super(`${step}: ${msg}${left}`, { cause });
    this.name = "StepError";
  }
}
