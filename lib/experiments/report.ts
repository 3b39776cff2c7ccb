/**
 * `results/REPORT.md`: every table and figure of the reproductions that ran, each with its
 * paragraph of reading, stamped with the commit, Deno version, seed, profile, machine and the
 * time each part took.
 *
 * @module
 */
import { join, relative } from "node:path";
import { writeFileAtomic } from "../io.ts";
import { describeMachine, machineInfo } from "../machine.ts";
import { markdownTable } from "../table.ts";
import type { CombinedReproduction } from "./pipeline.ts";

/** Where and on what the run happened. */
export interface RunStamp {
  /** Git commit (short), with "+dirty" when tracked files had changes, or "unknown". */
  commit: string;
  /** The machine and runtime, as one line (see {@link describeMachine}). */
  machine: string;
}

/**
 * The stamp of this process: the git commit and the machine line.
 *
 * @example
 * ```ts
 * import { runStamp } from "@lib/experiments/report.ts";
 * import assert from "node:assert/strict";
 * const s = await runStamp();
 * assert.match(s.machine, new RegExp(`Deno ${Deno.version.deno}`));
 * ```
 */
export async function runStamp(): Promise<RunStamp> {
  let commit = "unknown";
  try {
    const git = (args: string[]) =>
      new Deno.Command("git", { args, stdout: "piped", stderr: "null" }).output();
    const head = await git(["rev-parse", "--short", "HEAD"]);
    if (head.success) {
      commit = new TextDecoder().decode(head.stdout).trim();
      const status = await git(["status", "--porcelain", "--untracked-files=no"]);
      if (new TextDecoder().decode(status.stdout).trim() !== "") commit += "+dirty";
    }
  } catch {
    // no git on this machine: the commit stays unknown
  }
  return { commit, machine: describeMachine(machineInfo()) };
}

const MAX_ROWS = 20;

/**
 * The Markdown of the report (paths relative to `out`, where REPORT.md is written).
 *
 * @example
 * ```ts
 * import { reportMarkdown } from "@lib/experiments/report.ts";
 * import assert from "node:assert/strict";
 * const md = reportMarkdown([], {
 *   out: "/r", seed: 1, profile: "quick", totalSeconds: 2,
 *   stamp: { commit: "abc", machine: "x, 2 cores" },
 * });
 * assert.match(md, /commit abc · seed 1 · profile quick/);
 * ```
 */
export function reportMarkdown(
  parts: CombinedReproduction[],
  info: { out: string; seed: number; profile: string; totalSeconds: number; stamp: RunStamp },
): string {
  const { stamp } = info;
  const lines = [
    "# sgdlab reproduction report",
    "",
    `commit ${stamp.commit} · seed ${info.seed} · profile ${info.profile}`,
    "",
    `Machine: ${stamp.machine}`,
    "",
    "| reproduction | units | seconds (sum over units) |",
    "| --- | --- | --- |",
    ...parts.map((p) => `| ${p.reproduction.name} | ${p.units} | ${p.seconds.toFixed(1)} |`),
    "",
    `Wall time of this run: ${info.totalSeconds.toFixed(1)} s. Units reused from an earlier run ` +
    "count with the time they took then.",
    "",
  ];
  for (const p of parts) {
    const { output, reproduction } = p;
    lines.push(`## ${reproduction.name}`, "", reproduction.description, "");
    const dir = join(info.out, reproduction.name);
    const used = new Set<string>();
    for (const [name, rows] of Object.entries(output.tables)) {
      const csv = relative(info.out, join(dir, `${name}.csv`));
      lines.push(`### ${name}`, "");
      if (output.notes[name]) {
        lines.push(output.notes[name], "");
        used.add(name);
      }
      if (rows.length === 0) {
        lines.push(`(no rows; [${csv}](${csv}))`, "");
        continue;
      }
      lines.push(markdownTable(rows.slice(0, MAX_ROWS)), "");
      lines.push(
        rows.length > MAX_ROWS
          ? `First ${MAX_ROWS} of ${rows.length} rows; all in [${csv}](${csv}).`
          : `As CSV: [${csv}](${csv}).`,
        "",
      );
    }
    for (const [name, spec] of Object.entries(output.charts)) {
      const png = relative(info.out, join(dir, `${name}.png`));
      const title = typeof (spec as { title?: unknown }).title === "string"
        ? (spec as { title: string }).title
        : name;
      lines.push(`### ${name} (figure)`, "");
      if (output.notes[name] && !used.has(name)) {
        lines.push(output.notes[name], "");
        used.add(name);
      }
      lines.push(`![${title}](${png})`, "");
    }
    for (const [name, note] of Object.entries(output.notes)) {
      if (!used.has(name)) lines.push(`### ${name}`, "", note, "");
    }
  }
  return lines.join("\n");
}

/** Writes `<out>/REPORT.md` atomically and returns its path. */
export async function writeReport(
  parts: CombinedReproduction[],
  info: { out: string; seed: number; profile: string; totalSeconds: number },
): Promise<string> {
  const path = join(info.out, "REPORT.md");
  await writeFileAtomic(path, reportMarkdown(parts, { ...info, stamp: await runStamp() }));
  return path;
}
