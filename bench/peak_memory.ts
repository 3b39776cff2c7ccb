/**
 * The peak resident memory of a command and every process it starts, read from Linux's
 * `/proc/<pid>/status` (VmHWM, the high-water mark of each process's resident set). It runs the
 * command, passes its output through, polls its process tree four times a second, and records one
 * row in `<out>/memory.csv` (`label,command,complete,stage,seconds,peak_rss_mib,peak_process`),
 * replacing the row of the same label and keeping the others, written atomically. `bench:report`
 * shows the file's rows in its REPORT.md.
 *
 * ```sh
 * deno run --allow-all bench/peak_memory.ts --label "full, after" \
 *   [--until REGEX] [--seconds S] [--out results/bench] -- deno task repro --full --out /tmp/full
 * ```
 *
 * `--seconds S` stops it the same way after S seconds, and so does a SIGINT or SIGTERM sent to
 * this script (a run longer than the time there is: the row says how far it got, and its peak so
 * far).
 * `--until REGEX` stops the command (SIGTERM to its whole tree) at the first output line that
 * matches, so that a long run can be measured up to a named stage: the row then says
 * `complete=false` and the stage reached. A worker thread is part of its process: the repro's
 * worker threads are counted in the repro process's VmHWM; a process that lives less than a poll
 * (250 ms) may be missed. Deno lets a program read `/proc` only
 * with `--allow-all`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { type CsvRow, readCsvIfPresent, resultsDir, writeCsv } from "@lib/io.ts";

/** One measured run. */
export interface PeakMemoryRow extends CsvRow {
  /** What was run, as the caller names it ("repro --full, before"). */
  label: string;
  /** The command line. */
  command: string;
  /** Whether the command ran to its end (false when `--until` or `--seconds` stopped it). */
  complete: boolean;
  /** The last output line seen (the stage reached). */
  stage: string;
  /** Wall-clock seconds. */
  seconds: number;
  /** The largest VmHWM of any process in the tree, in MiB. */
  peak_rss_mib: number;
  /** The command line of the process that reached it. */
  peak_process: string;
}

/** The columns of memory.csv, in order. */
export const MEMORY_COLUMNS = [
  "label",
  "command",
  "complete",
  "stage",
  "seconds",
  "peak_rss_mib",
  "peak_process",
] as const;

/**
 * The VmHWM line of a `/proc/<pid>/status` text, in KiB, or null when it has none (a kernel
 * thread, or a process that already ended).
 *
 * @example
 * ```ts
 * import { highWaterKib } from "./peak_memory.ts";
 * import assert from "node:assert/strict";
 * assert.equal(highWaterKib("Name:\tdeno\nVmHWM:\t 3428744 kB\nVmRSS:\t 1 kB\n"), 3428744);
 * assert.equal(highWaterKib("Name:\tkthreadd\n"), null);
 * ```
 */
export function highWaterKib(status: string): number | null {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  return match ? Number(match[1]) : null;
}

/**
 * The process ids below `root` (its children, their children, …) in a table of (pid, parent)
 * pairs; `root` itself comes first.
 *
 * @example
 * ```ts
 * import { descendants } from "./peak_memory.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(descendants(10, [[11, 10], [12, 11], [13, 1], [14, 10]]), [10, 11, 14, 12]);
 * ```
 */
export function descendants(root: number, parents: readonly [number, number][]): number[] {
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, parent] of parents) if (parent === tree[i]) tree.push(pid);
  }
  return tree;
}

/** (pid, parent pid) of every process now, from /proc/<pid>/stat. */
function processTable(): [number, number][] {
  const table: [number, number][] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      // the command may hold spaces and parentheses: the fields follow the last ')'
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      table.push([Number(entry.name), Number(fields[1])]);
    } catch {
      // the process ended while we looked
    }
  }
  return table;
}

function readProc(pid: number, file: string): string | null {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/${file}`);
  } catch {
    return null;
  }
}

/**
 * Runs `command` (passing its output through), measures the peak VmHWM of its process tree and
 * returns the row; `until` stops it at the first output line that matches.
 *
 * @throws {Error} when /proc is not readable (not Linux), naming what to do
 */
export async function measurePeakMemory(
  command: readonly string[],
  options: { label: string; until?: RegExp; seconds?: number; signal?: AbortSignal },
): Promise<PeakMemoryRow> {
  if (readProc(Deno.pid, "status") === null) {
    throw new Error(
      "cannot measure peak memory: /proc/<pid>/status is not readable: run on Linux with --allow-all",
    );
  }
  const start = performance.now();
  const child = new Deno.Command(command[0], {
    args: command.slice(1),
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let peakKib = 0, peakProcess = "", stage = "", stopped = false;
  const poll = () => {
    for (const pid of descendants(child.pid, processTable())) {
      const kib = highWaterKib(readProc(pid, "status") ?? "");
      if (kib !== null && kib > peakKib) {
        peakKib = kib;
        peakProcess = (readProc(pid, "cmdline") ?? "").split("\0").join(" ").trim();
      }
    }
  };
  const stop = () => {
    stopped = true;
    poll();
    for (const pid of descendants(child.pid, processTable()).reverse()) {
      try {
        Deno.kill(pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
  };
  const timer = setInterval(poll, 250);
  options.signal?.addEventListener("abort", () => stopped || stop());
  const limit = options.seconds === undefined
    ? undefined
    : setTimeout(() => stopped || stop(), options.seconds * 1000);
  const decoder = new TextDecoder();
  let pending = "";
  try {
    for await (const chunk of child.stdout) {
      await Deno.stdout.write(chunk);
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.trim() !== "") stage = line.trim();
        if (!stopped && options.until?.test(line)) stop();
      }
    }
    poll();
  } finally {
    clearInterval(timer);
    clearTimeout(limit);
  }
  const status = await child.status;
  if (!stopped && !status.success) {
    throw new Error(
      `cannot measure peak memory: '${command.join(" ")}' exited with code ${status.code}`,
    );
  }
  return {
    label: options.label,
    command: command.join(" "),
    complete: !stopped,
    stage,
    seconds: Math.round((performance.now() - start) / 100) / 10,
    peak_rss_mib: Math.round(peakKib / 1024),
    peak_process: peakProcess.slice(0, 200),
  };
}

/**
 * The rows of `<out>/memory.csv` with `row` in place of the row of the same label (appended when
 * new), written atomically.
 */
export async function recordPeakMemory(out: string, row: PeakMemoryRow): Promise<CsvRow[]> {
  const path = join(out, "memory.csv");
  const rows: CsvRow[] = (await readCsvIfPresent(path)) ?? [];
  const at = rows.findIndex((r) => r.label === row.label);
  if (at >= 0) rows[at] = row;
  else rows.push(row);
  await Deno.mkdir(out, { recursive: true });
  await writeCsv(path, rows, { columns: [...MEMORY_COLUMNS] });
  return rows;
}

if (import.meta.main) {
  const split = Deno.args.indexOf("--");
  const { values } = parseArgs({
    args: split < 0 ? Deno.args : Deno.args.slice(0, split),
    options: {
      label: { type: "string" },
      until: { type: "string" },
      seconds: { type: "string" },
      out: { type: "string" },
    },
    strict: true,
  });
  const command = split < 0 ? [] : Deno.args.slice(split + 1);
  if (values.label === undefined || command.length === 0) {
    console.error(
      "usage: bench/peak_memory.ts --label NAME [--until REGEX] [--seconds S] [--out DIR] -- CMD…",
    );
    Deno.exit(2);
  }
  const seconds = values.seconds === undefined ? undefined : Number(values.seconds);
  if (seconds !== undefined && !(seconds > 0)) {
    console.error(`peak_memory: --seconds must be a positive number, got '${values.seconds}'`);
    Deno.exit(2);
  }
  // SIGINT or SIGTERM stops the measured run and records how far it got, as --seconds does
  const interrupted = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => interrupted.abort());
  }
  try {
    const row = await measurePeakMemory(command, {
      label: values.label,
      until: values.until === undefined ? undefined : new RegExp(values.until),
      seconds,
      signal: interrupted.signal,
    });
    const out = values.out ?? resultsDir("bench");
    await recordPeakMemory(out, row);
    console.error(
      `peak_memory: ${row.label}: ${row.peak_rss_mib} MiB (${
        row.complete ? "complete" : `stopped at '${row.stage}'`
      }, ${row.seconds} s); wrote ${join(out, "memory.csv")}`,
    );
  } catch (e) {
    console.error(`peak_memory: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
