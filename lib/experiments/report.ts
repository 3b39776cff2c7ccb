/**
 * `results/REPORT.md`: every table and figure of the reproductions, each with its paragraph of
 * reading, stamped with the commit, Deno version, seed, profile, machine and the time each part
 * took. Each reproduction's latest section is kept in `<out>/.repro/report/<name>.json`, so a run
 * of some reproductions (`--only`) updates their sections and keeps the others'.
 *
 * @module
 */
import { join, relative } from "node:path";
import { writeFileAtomic } from "../io.ts";
import { STATE_DIR } from "./store.ts";
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

/** One reproduction's section of the report, as kept between runs. */
export interface ReportSection {
  /** Reproduction name. */
  name: string;
  /** Its one-line description. */
  description: string;
  /** Seed of the run that made it. */
  seed: number;
  /** Profile of that run. */
  profile: string;
  /** Commit of that run (see {@link RunStamp}). */
  commit: string;
  /** Number of units. */
  units: number;
  /** Sum of the seconds its units took. */
  seconds: number;
  /** The Markdown after the description: tables, figures and readings. */
  body: string;
}

/**
 * The section of one combined reproduction (paths relative to `out`, where REPORT.md lives).
 *
 * @example
 * ```ts
 * import { reportSection } from "@lib/experiments/report.ts";
 * import assert from "node:assert/strict";
 * const part = {
 *   reproduction: { name: "r", description: "d", run: () => Promise.reject() },
 *   output: { tables: { t: [{ x: 1 }] }, charts: {}, notes: { t: "How to read t." } },
 *   files: [], seconds: 1.5, units: 2,
 * };
 * const s = reportSection(part, { out: "/o", seed: 3, profile: "quick", commit: "abc" });
 * assert.equal(s.units, 2);
 * assert.match(s.body, /### t\n\nHow to read t\.[^]*As CSV: \[r\/t\.csv\]/);
 * ```
 */
export function reportSection(
  part: CombinedReproduction,
  info: { out: string; seed: number; profile: string; commit: string },
): ReportSection {
  const { output, reproduction } = part;
  const lines: string[] = [];
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
  return {
    name: reproduction.name,
    description: reproduction.description,
    seed: info.seed,
    profile: info.profile,
    commit: info.commit,
    units: part.units,
    seconds: part.seconds,
    body: lines.join("\n"),
  };
}

/**
 * The Markdown of the report. Sections not in `current` (the names this run combined) come from
 * earlier runs and say so, with their commit, seed and profile.
 *
 * @example
 * ```ts
 * import { reportMarkdown } from "@lib/experiments/report.ts";
 * import assert from "node:assert/strict";
 * const old = {
 *   name: "a", description: "A.", seed: 2, profile: "quick", commit: "old", units: 1, seconds: 1,
 *   body: "",
 * };
 * const md = reportMarkdown([old], {
 *   seed: 1, profile: "quick", totalSeconds: 2, current: [],
 *   stamp: { commit: "abc", machine: "x, 2 cores" },
 * });
 * assert.match(md, /commit abc · seed 1 · profile quick/);
 * assert.match(md, /## a\n\nA\.\n\nFrom an earlier run: commit old · seed 2 · profile quick\./);
 * ```
 */
export function reportMarkdown(
  sections: readonly ReportSection[],
  info: {
    seed: number;
    profile: string;
    totalSeconds: number;
    stamp: RunStamp;
    current: readonly string[];
  },
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
    ...sections.map((s) => `| ${s.name} | ${s.units} | ${s.seconds.toFixed(1)} |`),
    "",
    `Wall time of this run: ${info.totalSeconds.toFixed(1)} s. Units reused from an earlier run ` +
    "count with the time they took then.",
    "",
  ];
  for (const s of sections) {
    lines.push(`## ${s.name}`, "", s.description, "");
    if (!info.current.includes(s.name)) {
      lines.push(
        `From an earlier run: commit ${s.commit} · seed ${s.seed} · profile ${s.profile}.`,
        "",
      );
    }
    lines.push(s.body);
  }
  return lines.join("\n");
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

function isSection(value: unknown): value is ReportSection {
  const s = value as Partial<ReportSection> | null;
  return s !== null && typeof s === "object" && typeof s.name === "string" &&
    typeof s.description === "string" && typeof s.seed === "number" &&
    typeof s.profile === "string" && typeof s.commit === "string" &&
    typeof s.units === "number" && typeof s.seconds === "number" && typeof s.body === "string";
}

/**
 * Stores the sections of `parts` in `<out>/.repro/report/`, then writes `<out>/REPORT.md`
 * atomically from every stored section whose set `<out>/<name>/` exists, in `order` (then by
 * name). Returns its path and one sentence per stored section that could not be read (left out).
 *
 * @example
 * ```ts
 * import { writeReport } from "@lib/experiments/report.ts";
 * import assert from "node:assert/strict";
 * const out = await Deno.makeTempDir();
 * const part = (name: string) => ({
 *   reproduction: { name, description: name, run: () => Promise.reject() },
 *   output: { tables: {}, charts: {}, notes: {} }, files: [], seconds: 1, units: 1,
 * });
 * await Deno.mkdir(`${out}/a`);
 * await Deno.mkdir(`${out}/b`);
 * const info = { out, seed: 1, profile: "quick", totalSeconds: 1, order: ["a", "b"] };
 * await writeReport([part("b")], info);
 * const { path } = await writeReport([part("a")], info);
 * assert.match(await Deno.readTextFile(path), /## a[^]*## b\n\nb\n\nFrom an earlier run/);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function writeReport(
  parts: CombinedReproduction[],
  info: { out: string; seed: number; profile: string; totalSeconds: number; order: string[] },
): Promise<{ path: string; ignored: string[] }> {
  const stamp = await runStamp();
  const store = join(info.out, STATE_DIR, "report");
  for (const part of parts) {
    const section = reportSection(part, { ...info, commit: stamp.commit });
    await writeFileAtomic(join(store, `${section.name}.json`), JSON.stringify(section) + "\n");
  }
  const sections: ReportSection[] = [], ignored: string[] = [];
  for (const entry of [...Deno.readDirSync(store)].map((e) => e.name).sort()) {
    if (!entry.endsWith(".json")) continue;
    const file = join(store, entry);
    let section: unknown;
    try {
      section = JSON.parse(await Deno.readTextFile(file));
    } catch (error) {
      ignored.push(`cannot read report section ${file}: ${(error as Error).message}`);
      continue;
    }
    if (!isSection(section) || `${section.name}.json` !== entry) {
      ignored.push(`cannot read report section ${file}: not a section of this report`);
    } else if (await isFolder(join(info.out, section.name))) {
      sections.push(section);
    }
  }
  const rank = (name: string) => {
    const i = info.order.indexOf(name);
    return i < 0 ? info.order.length : i;
  };
  sections.sort((a, b) => rank(a.name) - rank(b.name) || (a.name < b.name ? -1 : 1));
  const current = parts.map((p) => p.reproduction.name);
  const path = join(info.out, "REPORT.md");
  await writeFileAtomic(path, reportMarkdown(sections, { ...info, stamp, current }));
  return { path, ignored };
}
