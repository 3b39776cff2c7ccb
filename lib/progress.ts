/**
 * Progress displays of `fit` (lib/train.ts): a bar redrawn in place on a terminal, plain lines
 * for logs, a live display in a Jupyter notebook, or a reporter of your own. The caller picks one
 * with `progress:`; the default, "auto", picks by where the program runs (see
 * {@link progressReporter}), never by the command line.
 *
 * @module
 */
import { inJupyter } from "./in_jupyter.ts";

/** The state shown by a progress display. */
export interface ProgressState {
  /** Steps taken. */
  step: number;
  /** Steps in the whole run. */
  steps: number;
  /** The last evaluated training loss, null before the first evaluation. */
  trainLoss: number | null;
  /** The last evaluated test accuracy, or null. */
  testAccuracy: number | null;
  /** Training seconds so far (as in the history). */
  seconds: number;
  /** True on the last update of a run. */
  done: boolean;
}

/** Shows training progress. `fit` calls `update` after every step; it throttles itself. */
export interface ProgressReporter {
  /** Shows the state (or skips it when the last display was too recent and `done` is false). */
  update(state: ProgressState): void | Promise<void>;
}

/**
 * How `fit` shows its progress: "auto" (the default) picks by the environment (see
 * {@link progressReporter}); "none" shows nothing; "bar" is {@link terminalProgress}, "lines"
 * {@link lineProgress} and "notebook" {@link notebookProgress}, on their defaults; or a reporter
 * of your own.
 */
export type ProgressOption = "auto" | "none" | "bar" | "lines" | "notebook" | ProgressReporter;

const PROGRESS_NAMES: readonly string[] = ["auto", "none", "bar", "lines", "notebook"];

/**
 * What a {@link ProgressOption} may be, in words, for error messages.
 *
 * @example
 * ```ts
 * import { PROGRESS_CHOICES } from "@lib/progress.ts";
 * import assert from "node:assert/strict";
 * assert.match(PROGRESS_CHOICES, /^one of "auto", "none", "bar", "lines", "notebook" or a reporter/);
 * ```
 */
export const PROGRESS_CHOICES: string = `one of ${
  PROGRESS_NAMES.map((n) => `"${n}"`).join(", ")
} or a reporter with update()`;

/**
 * Whether `value` is a {@link ProgressOption}: one of its names, or an object with `update`.
 *
 * @example
 * ```ts
 * import { isProgressOption } from "@lib/progress.ts";
 * import assert from "node:assert/strict";
 * assert.equal(isProgressOption("lines"), true);
 * assert.equal(isProgressOption({ update() {} }), true);
 * assert.equal(isProgressOption("quiet"), false);
 * ```
 */
export function isProgressOption(value: unknown): value is ProgressOption {
  return PROGRESS_NAMES.includes(value as string) ||
    typeof (value as { update?: unknown })?.update === "function";
}

/** Where a program runs, as {@link progressReporter}'s "auto" sees it. */
export interface ProgressEnvironment {
  /** Inside a Jupyter kernel. */
  jupyter: boolean;
  /** stderr is a terminal. */
  terminal: boolean;
  /** The CI environment variable is set (not "", "0" or "false"). */
  ci: boolean;
}

/**
 * The reporter for a {@link ProgressOption}, or null for none. "auto" gives a notebook display
 * in Jupyter (its final state has no wall time, so notebooks re-execute to the same outputs),
 * else a bar when stderr is a terminal and CI is not set, else nothing. `environment` defaults to
 * the running program's ({@link progressEnvironment}); pass `progress: "none"` where a terminal
 * should stay quiet, as tests do.
 *
 * @throws {RangeError} for a name that is not an option
 * @example
 * ```ts
 * import { progressReporter } from "@lib/progress.ts";
 * import assert from "node:assert/strict";
 * const terminal = { jupyter: false, terminal: true, ci: false };
 * assert.notEqual(progressReporter("auto", terminal), null);
 * assert.equal(progressReporter("auto", { ...terminal, terminal: false }), null);
 * assert.equal(progressReporter("auto", { ...terminal, ci: true }), null);
 * assert.equal(progressReporter("none", terminal), null);
 * const mine = { update() {} };
 * assert.equal(progressReporter(mine), mine);
 * ```
 */
export function progressReporter(
  option: ProgressOption,
  environment?: ProgressEnvironment,
): ProgressReporter | null {
  switch (option) {
    case "none":
      return null;
    case "bar":
      return terminalProgress();
    case "lines":
      return lineProgress();
    case "notebook":
      return notebookProgress();
    case "auto": {
      const env = environment ?? progressEnvironment();
      if (env.jupyter) return notebookProgress();
      return env.terminal && !env.ci ? terminalProgress() : null;
    }
  }
  if (isProgressOption(option)) return option;
  throw new RangeError(`cannot show progress: progress must be ${PROGRESS_CHOICES}, got ${option}`);
}

/**
 * The running program's {@link ProgressEnvironment}: Jupyter, whether stderr is a terminal, and
 * the CI variable (read only when env access is granted).
 *
 * @example
 * ```ts
 * import { progressEnvironment } from "@lib/progress.ts";
 * import assert from "node:assert/strict";
 * const env = progressEnvironment();
 * assert.equal(env.jupyter, false); // not in a kernel here
 * assert.equal(typeof env.terminal, "boolean");
 * ```
 */
export function progressEnvironment(): ProgressEnvironment {
  let terminal = false;
  try {
    terminal = Deno.stderr.isTerminal();
  } catch {
    terminal = false;
  }
  return { jupyter: inJupyter(), terminal, ci: envFlag("CI") };
}

function envFlag(name: string): boolean {
  try {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
      return false;
    }
    const v = Deno.env.get(name);
    return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
  } catch {
    return false;
  }
}

function describe(state: ProgressState, options: { seconds: boolean }): string {
  const parts = [`step ${state.step}/${state.steps}`];
  if (state.trainLoss !== null) parts.push(`train loss ${state.trainLoss.toPrecision(4)}`);
  if (state.testAccuracy !== null) {
    parts.push(`test accuracy ${(100 * state.testAccuracy).toFixed(1)}%`);
  }
  if (options.seconds) parts.push(`${state.seconds.toFixed(1)} s`);
  return parts.join(" · ");
}

/** Writes text to stderr. */
function writeStderr(): (text: string) => void {
  const encoder = new TextEncoder();
  return (text) => void Deno.stderr.writeSync(encoder.encode(text));
}

/** Options of {@link terminalProgress}. */
export interface TerminalProgressOptions {
  /** Writes text to the terminal. Default: Deno.stderr. */
  write?: (text: string) => void;
  /** Minimum milliseconds between redraws. Default 100. */
  intervalMs?: number;
  /** Bar width in characters. Default 30. */
  width?: number;
}

/**
 * A one-line progress bar redrawn in place (carriage return), ending with a newline.
 *
 * @example
 * ```ts
 * import { terminalProgress } from "@lib/progress.ts";
 * import assert from "node:assert/strict";
 * let text = "";
 * const bar = terminalProgress({ write: (s) => (text += s), width: 10 });
 * bar.update({ step: 5, steps: 10, trainLoss: 0.5, testAccuracy: null, seconds: 1, done: false });
 * bar.update({ step: 10, steps: 10, trainLoss: 0.25, testAccuracy: 0.9, seconds: 2, done: true });
 * assert.match(text, /\[#####-----\]  50% step 5\/10 · train loss 0\.5000/);
 * assert.match(text, /\[##########\] 100% step 10\/10 · train loss 0\.2500 · test accuracy 90\.0% · 2\.0 s\x1b\[K\n$/);
 * ```
 */
export function terminalProgress(options: TerminalProgressOptions = {}): ProgressReporter {
  const write = options.write ?? writeStderr();
  const interval = options.intervalMs ?? 100, width = options.width ?? 30;
  let last = -Infinity;
  return {
    update(state) {
      const now = performance.now();
      if (!state.done && now - last < interval) return;
      last = now;
      const fraction = state.steps === 0 ? 1 : state.step / state.steps;
      const filled = Math.round(fraction * width);
      const bar = "#".repeat(filled) + "-".repeat(width - filled);
      const percent = String(Math.floor(100 * fraction)).padStart(3);
      const line = `[${bar}] ${percent}% ${describe(state, { seconds: true })}`;
      write(`\r${line}\x1b[K${state.done ? "\n" : ""}`);
    },
  };
}

/** Options of {@link lineProgress}. */
export interface LineProgressOptions {
  /** Writes text. Default: Deno.stderr. */
  write?: (text: string) => void;
  /** Minimum milliseconds between lines. Default 10,000. */
  intervalMs?: number;
}

/**
 * Progress as plain lines, one at most every `intervalMs` and one at the end, for logs and
 * terminals that do not redraw a line in place.
 *
 * @example
 * ```ts
 * import { lineProgress } from "@lib/progress.ts";
 * import assert from "node:assert/strict";
 * let text = "";
 * const lines = lineProgress({ write: (s) => (text += s), intervalMs: 60_000 });
 * lines.update({ step: 1, steps: 3, trainLoss: 0.5, testAccuracy: null, seconds: 1, done: false });
 * lines.update({ step: 2, steps: 3, trainLoss: 0.4, testAccuracy: null, seconds: 2, done: false });
 * lines.update({ step: 3, steps: 3, trainLoss: 0.25, testAccuracy: null, seconds: 3, done: true });
 * assert.equal(text, "fit: step 1/3 · train loss 0.5000 · 1.0 s\nfit: step 3/3 · train loss 0.2500 · 3.0 s\n");
 * ```
 */
export function lineProgress(options: LineProgressOptions = {}): ProgressReporter {
  const write = options.write ?? writeStderr();
  const interval = options.intervalMs ?? 10_000;
  let last = -Infinity;
  return {
    update(state) {
      const now = performance.now();
      if (!state.done && now - last < interval) return;
      last = now;
      write(`fit: ${describe(state, { seconds: true })}\n`);
    },
  };
}

/** Options of {@link notebookProgress}. */
export interface NotebookProgressOptions {
  /** Publishes a bundle. Default: Deno.jupyter.display (only call it inside the kernel). */
  display?: (
    bundle: Record<string, string>,
    options: { raw: true; display_id: string; update: boolean },
  ) => void | Promise<void>;
  /** Minimum milliseconds between updates. Default 500. */
  intervalMs?: number;
}

let displayCounter = 0;

/**
 * A live display in a Jupyter notebook: one output updated in place (`display_id`), throttled.
 * The final update shows no wall time, so that a re-executed notebook gives the same output.
 *
 * @example
 * ```ts
 * import { notebookProgress } from "@lib/progress.ts";
 * import assert from "node:assert/strict";
 * const shown: { text: string; update: boolean; id: string }[] = [];
 * const progress = notebookProgress({
 *   display: (bundle, o) => void shown.push({ text: bundle["text/plain"], update: o.update, id: o.display_id }),
 *   intervalMs: 0,
 * });
 * await progress.update({ step: 1, steps: 2, trainLoss: 1, testAccuracy: null, seconds: 0.1, done: false });
 * await progress.update({ step: 2, steps: 2, trainLoss: 0.5, testAccuracy: null, seconds: 0.2, done: true });
 * assert.deepEqual(shown.map((s) => s.update), [false, true]);
 * assert.equal(shown[0].id, shown[1].id);
 * assert.equal(shown[1].text, "fit: step 2/2 · train loss 0.5000");
 * ```
 */
export function notebookProgress(options: NotebookProgressOptions = {}): ProgressReporter {
  const display = options.display ??
    ((bundle, o) => Deno.jupyter.display(bundle as Deno.jupyter.MediaBundle, o));
  const interval = options.intervalMs ?? 500;
  const id = `sgdlab-fit-${++displayCounter}-${crypto.randomUUID()}`;
  let last = -Infinity, shown = false;
  return {
    async update(state) {
      const now = performance.now();
      if (!state.done && now - last < interval) return;
      last = now;
      const text = `fit: ${describe(state, { seconds: !state.done })}`;
      const html = `<progress value="${state.step}" max="${state.steps}"></progress> ${
        text.replaceAll("&", "&amp;").replaceAll("<", "&lt;")
      }`;
      await display({ "text/plain": text, "text/html": html }, {
        raw: true,
        display_id: id,
        update: shown,
      });
      shown = true;
    },
  };
}
