/**
 * Publishes the importance reproduction's fair study (issue 12) from its stored units alone, under
 * `docs/results/importance/`, stamped: `verdict.csv`, `eta_grid.csv`, the factors and equal-time
 * tables, the phase diagram and the time-ratio chart, and a README naming the commit, machine,
 * units, command and note. The study's units come first in `deno task repro --full --only
 * importance`, so its verdict can be published while K&F's long paper-scale runs are still to come
 * (or were never run): the tables are the ones the reproduction's combine writes, from the same
 * units, by the same functions (`combineStudy`).
 *
 * Run it in the checkout whose code made the units (a unit is found by its key, which includes
 * that code), after `deno task repro --full --only importance --out RESULTS` has done the study's
 * units:
 *
 * ```sh
 * deno run -A tools/publish_study.ts --from RESULTS [--quick] [--seed 1] [--to docs/results] \
 *   [--run [--workers 2]] [--note "load 4–5 during the first units"]
 * ```
 *
 * `--run` first runs the study's units that are not stored yet (the cost units, say, or all of
 * them: then it is the study alone, without K&F's runs), on `--workers` worker threads.
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { repoRoot, writeCsv, writeFileAtomic } from "../lib/io.ts";
import { saveChart } from "../lib/plot.ts";
import { reproductionNamed } from "../lib/experiments/mod.ts";
import { planUnits, runUnits } from "../lib/experiments/pipeline.ts";
import type { Reproduction } from "../lib/experiments/reproduction.ts";
import { runStamp } from "../lib/experiments/report.ts";
import { combineStudy } from "../lib/experiments/importance/study/combine.ts";
import { decodeStudyUnits } from "../lib/experiments/importance/study/rows.ts";
import { decodeStepCosts } from "../lib/experiments/importance/study/step_costs.ts";
import { readUnitRecord } from "../lib/experiments/unit_record.ts";
import { publishedReadme } from "./publish_results.ts";

/** The tables published, in the README's order. */
export const PUBLISHED_TABLES = [
  "verdict",
  "eta_grid",
  "verdict_factors_timing",
  "equal_time_loss_summary_timing",
  "study_step_costs_timing",
  "verdict_measured_timing",
  "study_diagnostics",
] as const;

/** The charts published (SVG and PNG). */
export const PUBLISHED_CHARTS = ["phase_diagram", "time_ratio"] as const;

/** What {@link publishStudy} wrote. */
export interface PublishedStudy {
  /** The files written, relative to the folder. */
  files: string[];
  /** The study's units and the seconds they took together. */
  units: number;
  /** Summed unit seconds. */
  seconds: number;
}

/**
 * Combines the study's stored units of a results folder and writes the published files to
 * `<to>/importance/`.
 *
 * @throws {Error} naming how many study units have no stored output, and the first of them
 */
export async function publishStudy(
  from: string,
  options: {
    seed: number;
    profile: "quick" | "full";
    to: string;
    command: string;
    note?: string;
    /** The reproduction whose study units are read. Default: the registered `importance`. */
    reproduction?: Reproduction;
    /**
     * Run the study's units that have no stored output first (on this many worker threads), as
     * `deno task repro` would, instead of stopping; 0 (default) runs none.
     */
    runWorkers?: number;
  },
): Promise<PublishedStudy> {
  const importance = options.reproduction ?? reproductionNamed("importance");
  const planned = (await planUnits([importance], { ...options, out: from }))
    .filter((p) => p.unit.params.study === true);
  if ((options.runWorkers ?? 0) > 0) {
    await runUnits(planned, {
      seed: options.seed,
      profile: options.profile,
      workers: options.runWorkers!,
      onEvent: (e) => {
        if (e.kind !== "skipped") console.log(`study: ${e.kind} ${e.planned.unit.id}`);
      },
    });
  }
  const records = await Promise.all(planned.map((p) => readUnitRecord(p.file, p.key)));
  const missing = planned.filter((_, k) => records[k] === null);
  if (planned.length === 0 || missing.length > 0) {
    throw new Error(
      `cannot publish the study: ${missing.length} of ${planned.length} study units have no stored output in ${from} for seed ${options.seed}, profile ${options.profile} and this code (first: ${
        missing[0]?.unit.id ?? "none planned"
      }); run \`deno task repro${
        options.profile === "full" ? " --full" : ""
      } --only importance --out ${from}\` in this checkout first`,
    );
  }
  const outputs = records.map((r) => r!.output);
  const out = combineStudy(decodeStudyUnits(outputs), {
    seed: options.seed,
    costs: decodeStepCosts(outputs),
  });
  const folder = join(options.to, "importance");
  await Deno.mkdir(folder, { recursive: true });
  const files: string[] = [];
  for (const name of PUBLISHED_TABLES) {
    if (out.tables[name] === undefined) continue; // the priced tables need the cost units
    await writeCsv(join(folder, `${name}.csv`), out.tables[name]);
    files.push(`${name}.csv`);
  }
  for (const name of PUBLISHED_CHARTS) {
    await saveChart(out.charts[name], join(folder, name));
    files.push(`${name}.svg`, `${name}.png`);
  }
  const seconds = records.reduce((s, r) => s + r!.seconds, 0);
  const stamp = await runStamp();
  await writeFileAtomic(
    join(folder, "README.md"),
    publishedReadme({
      name: "importance (the fair study, issue 12)",
      by: "Written by `tools/publish_study.ts` from the study's stored units (`combineStudy`)",
      folder: "importance",
      files,
      command: options.command,
      stamp: {
        commit: stamp.commit,
        seed: options.seed,
        profile: options.profile,
        machine: stamp.machine,
        wallTime: `Units: ${planned.length} study units, ${
          Math.round(seconds)
        } s of unit time summed over them`,
      },
      note: options.note,
    }) + `\n${out.notes.study_verdict ?? ""}\n`,
  );
  return { files, units: planned.length, seconds };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      from: { type: "string" },
      quick: { type: "boolean" },
      seed: { type: "string" },
      to: { type: "string" },
      note: { type: "string" },
      run: { type: "boolean" },
      workers: { type: "string" },
    },
    strict: true,
  });
  if (!values.from) {
    console.error(
      "usage: publish_study.ts --from RESULTS [--quick] [--seed N] [--to docs/results] [--note TEXT]",
    );
    Deno.exit(2);
  }
  const profile = values.quick ? "quick" : "full";
  const seed = Number(values.seed ?? "1");
  const command = `deno task repro${profile === "full" ? " --full" : ""} --only importance` +
    (seed === 1 ? "" : ` --seed ${seed}`) +
    `; deno run -A tools/publish_study.ts${profile === "full" ? "" : " --quick"}`;
  const done = await publishStudy(values.from, {
    seed,
    profile,
    to: values.to ?? join(repoRoot(), "docs", "results"),
    command,
    note: values.note,
    runWorkers: values.run ? Number(values.workers ?? "2") : 0,
  });
  console.log(
    `published ${done.files.length} files of ${done.units} study units (${
      Math.round(done.seconds)
    } s of unit time)`,
  );
}
