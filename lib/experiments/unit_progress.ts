/**
 * The progress lines of `repro` while units run: a bar per reproduction on a terminal, one plain
 * line per unit otherwise (CI, pipes, and whenever CI=true).
 *
 * @module
 */
import type { UnitEvent } from "./pipeline.ts";

/**
 * A printer of {@link UnitEvent}s, given how many units each reproduction has in the plan. With
 * `tty` false (the default off a terminal), each event prints one line
 * `<name>: unit <n>/<total> <id> <what>`, where `what` is "already done", the seconds it took or
 * "FAILED: <first line of the error>".
 *
 * @param options.tty draw bars on stderr (default: stderr is a terminal and CI is not "true")
 * @param options.print where plain lines go (default console.log)
 * @example
 * ```ts
 * import { unitProgressPrinter } from "@lib/experiments/unit_progress.ts";
 * import assert from "node:assert/strict";
 * const lines: string[] = [];
 * const print = unitProgressPrinter(new Map([["r", 2]]), { tty: false, print: (l) => lines.push(l) });
 * const planned = (id: string) => ({ reproduction: { name: "r" }, unit: { id } }) as never;
 * print({ kind: "skipped", planned: planned("a"), seconds: 0 });
 * print({ kind: "done", planned: planned("b"), seconds: 1.25 });
 * assert.deepEqual(lines, ["r: unit 1/2 a already done", "r: unit 2/2 b 1.3 s"]);
 * ```
 */
export function unitProgressPrinter(
  totals: ReadonlyMap<string, number>,
  options: { tty?: boolean; print?: (line: string) => void } = {},
): (e: UnitEvent) => void {
  const tty = options.tty ?? stderrIsTerminal();
  const print = options.print ?? ((line: string) => console.log(line));
  const done = new Map<string, number>();
  const encoder = new TextEncoder();
  return (e) => {
    const name = e.planned.reproduction.name, total = totals.get(name) ?? 0;
    const n = (done.get(name) ?? 0) + 1;
    done.set(name, n);
    const what = e.kind === "skipped"
      ? "already done"
      : e.kind === "done"
      ? `${e.seconds.toFixed(1)} s`
      : `FAILED: ${e.error?.split("\n")[0]}`;
    if (tty && e.kind !== "failed") {
      const width = 24, filled = Math.round((width * n) / Math.max(total, 1));
      const bar = "#".repeat(filled) + "-".repeat(width - filled);
      const line = `\r${name.padEnd(20)} [${bar}] ${n}/${total} ${e.planned.unit.id} (${what})`;
      Deno.stderr.writeSync(encoder.encode(line.padEnd(100) + (n === total ? "\n" : "")));
    } else {
      print(`${name}: unit ${n}/${total} ${e.planned.unit.id} ${what}`);
    }
  };
}

function stderrIsTerminal(): boolean {
  try {
    return Deno.stderr.isTerminal() && Deno.env.get("CI") !== "true";
  } catch {
    return false;
  }
}
