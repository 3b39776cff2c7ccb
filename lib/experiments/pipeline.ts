/**
 * The reproduction pipeline: plans the units of work of every reproduction, runs the ones not
 * already done (on worker threads, or only one shard of them), stores each unit's output
 * atomically, and combines complete sets of units into the final tables, charts and notes.
 *
 * The results folder `<out>` (default `results/`) holds:
 *
 * ```
 * <out>/<name>/                 the combined set of a reproduction: CSVs, SVG and PNG charts,
 *                               NOTES.md; replaced as a whole (staged, then renamed into place)
 * <out>/REPORT.md               every reproduction's latest section
 * <out>/units/<name>/<profile>-seed<seed>/<id>.<key12>.json
 *                               one unit's output; key12 = first 12 hex digits of its key
 * <out>/.repro/staging/         sets being written; leftovers of a killed run are repaired
 * <out>/.repro/report/<name>.json   the latest report section of each reproduction
 * ```
 *
 * A unit's key is the SHA-256 of the reproduction, the unit and its parameters, the seed, the
 * profile and a fingerprint of the code the unit runs: its reproduction's run module and what that
 * imports within `lib/` (see `unit_key.ts`), so rewording a chart or a note recomputes nothing.
 * Its file is its cache entry: encoded once by whoever computed it (a worker thread or this one),
 * written to a temporary name and renamed, and named by its profile, seed and key, so a run with
 * another seed, profile or code adds files and never replaces another key's units. A rerun skips every unit
 * whose file exists with the same key, so a killed run loses at most the units that were in
 * flight, and nothing already written is ever corrupted. `repro:merge` copies a unit from another
 * folder only after checking its key, and never over a valid one (see `store.ts`).
 *
 * A combined set is written to `<out>/.repro/staging/<name>.<uuid>.new/`; then the old
 * `<out>/<name>` is renamed to `…/<name>.<uuid>.old`, the new one renamed into place and the old
 * one removed. A kill at any point leaves the old set or the new one whole, never a mix; when
 * the kill falls between the two renames, the old set waits in staging and the next combining
 * run puts it back (or replaces it) before doing anything else.
 *
 * @module
 */
import { join } from "node:path";
import { writeCsv, writeFileAtomic } from "../io.ts";
import { saveChart } from "../plot.ts";
import type {
  Reproduction,
  ReproductionOptions,
  ReproductionOutput,
  ReproductionUnit,
} from "./reproduction.ts";
import { type MergeResult, mergeUnits, replaceSet, type SetStep, unitFile } from "./store.ts";
import { answerImageRequest } from "./shared_data.ts";
import { codeFingerprint, runModuleOf, unitKey } from "./unit_key.ts";
import { decodeExact, readUnitRecord, type UnitRecord, writeUnitRecord } from "./unit_record.ts";

/** One unit scheduled by {@link planUnits}. */
export interface PlannedUnit {
  /** The reproduction it belongs to. */
  reproduction: Reproduction;
  /** The unit. */
  unit: ReproductionUnit;
  /** Position among all units of the plan, before sharding (0-based). */
  index: number;
  /** The cache key (hex SHA-256 of the unit's identity). */
  key: string;
  /** The code fingerprint that the key includes. */
  code: string;
  /** Where its output is stored. */
  file: string;
}

/** A shard: the k-th (1-based) of n disjoint slices of the units. */
export interface Shard {
  /** Which slice, 1..n. */
  k: number;
  /** How many slices. */
  n: number;
}

/** The units of a reproduction: its own, or a single unit "all" that runs it whole. */
export function unitsOf(r: Reproduction, options: ReproductionOptions): ReproductionUnit[] {
  return r.units ? r.units(options) : [{ id: "all", params: {} }];
}

/**
 * Every unit of the selected reproductions in registry order, with keys and files. Each
 * run module (a reproduction's, or a unit's own: `unitRunModule`) is fingerprinted once here, so that a run keys every unit, and finds it
 * again when combining, with the code as it was when the run started.
 *
 * @throws {RangeError} for a unit id that is not file-safe or repeats within a reproduction
 */
export async function planUnits(
  reproductions: readonly Reproduction[],
  options: ReproductionOptions & { out: string },
): Promise<PlannedUnit[]> {
  const planned: PlannedUnit[] = [];
  let index = 0;
  const fingerprints = new Map<string, Promise<string>>();
  const fingerprint = (module: string) => {
    let code = fingerprints.get(module);
    if (code === undefined) fingerprints.set(module, code = codeFingerprint(module));
    return code;
  };
  for (const r of reproductions) {
    const seen = new Set<string>();
    for (const unit of unitsOf(r, options)) {
      const code = await fingerprint(r.unitRunModule?.(unit) ?? runModuleOf(r));
      if (!/^[A-Za-z0-9._=-]+$/.test(unit.id) || seen.has(unit.id)) {
        throw new RangeError(
          `cannot plan ${r.name}: unit id '${unit.id}' is not file-safe or is not unique`,
        );
      }
      seen.add(unit.id);
      const key = await unitKey(r.name, unit, { ...options, code });
      planned.push({
        reproduction: r,
        unit,
        index: index++,
        key,
        code,
        file: unitFile(options.out, r.name, unit.id, { ...options, key }),
      });
    }
  }
  return planned;
}

/**
 * The units of shard k of n: those whose index i in the plan has i mod n = k − 1.
 *
 * @example
 * ```ts
 * import { shardOf } from "@lib/experiments/pipeline.ts";
 * import assert from "node:assert/strict";
 * const plan = [0, 1, 2, 3, 4].map((index) => ({ index }));
 * assert.deepEqual(shardOf(plan, { k: 2, n: 3 }).map((p) => p.index), [1, 4]);
 * ```
 */
export function shardOf<P extends Pick<PlannedUnit, "index">>(
  planned: readonly P[],
  shard: Shard,
): P[] {
  return planned.filter((p) => p.index % shard.n === shard.k - 1);
}

/** What a thread needs to compute a planned unit and store it: a {@link PlannedUnit}'s data. */
export type UnitJob = Pick<PlannedUnit, "unit" | "key" | "code" | "file">;

/**
 * Computes one unit in this thread (`runUnit`, or the whole `run` for a reproduction without
 * units) and writes its record to `job.file`, encoded once, atomically. Returns the seconds the
 * computation took. The worker threads of {@link runUnits} call it too, so a unit's output never
 * travels between threads.
 *
 * @example
 * ```ts
 * import { planUnits, produceUnit } from "@lib/experiments/pipeline.ts";
 * import { selftest } from "@lib/experiments/selftest.ts";
 * import { readUnitRecord } from "@lib/experiments/unit_record.ts";
 * import assert from "node:assert/strict";
 * const out = await Deno.makeTempDir(), options = { seed: 1, profile: "quick" as const };
 * const [first] = await planUnits([selftest], { ...options, out });
 * await produceUnit(selftest, first, options);
 * const record = await readUnitRecord(first.file, first.key);
 * assert.ok(Object.is(record?.output.tables.moments[0].edge, -0)); // −0 kept exactly
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function produceUnit(
  r: Reproduction,
  job: UnitJob,
  options: ReproductionOptions,
): Promise<number> {
  const start = performance.now();
  const output = r.units && r.runUnit ? await r.runUnit(job.unit, options) : await r.run(options);
  const seconds = (performance.now() - start) / 1000;
  await writeUnitRecord(job.file, {
    key: job.key,
    reproduction: r.name,
    unit: job.unit.id,
    params: job.unit.params,
    seed: options.seed,
    profile: options.profile,
    code: job.code,
    seconds,
    output,
  });
  return seconds;
}

/** Progress events of {@link runUnits}. */
export interface UnitEvent {
  /** "skipped" (already done), "done" or "failed". */
  kind: "skipped" | "done" | "failed";
  /** The unit. */
  planned: PlannedUnit;
  /** Seconds it took (done), else 0. */
  seconds: number;
  /** The error message (failed). */
  error?: string;
}

/**
 * Runs every planned unit that has no complete output yet, on `workers` worker threads (in
 * this process when workers is 1), writing each record atomically as soon as it is done.
 * Reports each unit through `onEvent`.
 *
 * @throws {Error} after all units ran, when any failed, naming them
 */
export async function runUnits(
  planned: PlannedUnit[],
  options: ReproductionOptions & {
    workers: number;
    onEvent?: (e: UnitEvent) => void;
  },
): Promise<{ ran: number; skipped: number }> {
  const { seed, profile } = options;
  const todo: PlannedUnit[] = [];
  for (const p of planned) {
    if (await readUnitRecord(p.file, p.key)) {
      options.onEvent?.({ kind: "skipped", planned: p, seconds: 0 });
    } else todo.push(p);
  }
  const failures: string[] = [];
  const done = (p: PlannedUnit, seconds: number) =>
    options.onEvent?.({ kind: "done", planned: p, seconds });
  const fail = (p: PlannedUnit, error: string) => {
    failures.push(`${p.reproduction.name}/${p.unit.id}: ${error}`);
    options.onEvent?.({ kind: "failed", planned: p, seconds: 0, error });
  };
  if (options.workers <= 1 || todo.length <= 1) {
    for (const p of todo) {
      try {
        done(p, await produceUnit(p.reproduction, p, { seed, profile }));
      } catch (e) {
        fail(p, (e as Error).stack ?? String(e));
      }
    }
  } else {
    await runOnWorkers(todo, { ...options, done, fail });
  }
  if (failures.length > 0) {
    const first = failures.slice(0, 3).map((f) => f.split("\n")[0]).join("; ");
    throw new Error(
      `${failures.length} unit(s) failed: ${first}${failures.length > 3 ? "; …" : ""}\n` +
        failures.join("\n"),
    );
  }
  return { ran: todo.length, skipped: planned.length - todo.length };
}

/** What the pipeline posts to a worker thread (see `repro_worker.ts`). */
export interface WorkerRequest {
  /** Name of the reproduction in the registry. */
  reproduction: string;
  /** The unit to compute and where to store it. */
  job: UnitJob;
  /** Seed and profile. */
  options: ReproductionOptions;
}

/** A worker's reply: the unit is stored (with the seconds it took), or the error. */
export type WorkerReply = { ok: true; seconds: number } | { ok: false; error: string };

async function runOnWorkers(
  todo: PlannedUnit[],
  options: ReproductionOptions & {
    workers: number;
    done: (p: PlannedUnit, seconds: number) => void;
    fail: (p: PlannedUnit, error: string) => void;
  },
): Promise<void> {
  const queue = [...todo];
  const url = new URL("./repro_worker.ts", import.meta.url).href;
  const lanes = Array.from({ length: Math.min(options.workers, todo.length) }, async () => {
    const worker = new Worker(url, { type: "module" });
    try {
      for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
        const planned = p;
        const reply = await new Promise<WorkerReply>((resolve) => {
          worker.onmessage = (e) => answerImageRequest(worker, e.data) || resolve(e.data);
          worker.onerror = (e: ErrorEvent) => {
            e.preventDefault();
            resolve({ ok: false, error: e.message });
          };
          const { unit, key, code, file } = planned;
          const request: WorkerRequest = {
            reproduction: planned.reproduction.name,
            job: { unit, key, code, file },
            options: { seed: options.seed, profile: options.profile },
          };
          worker.postMessage(request);
        });
        if (reply.ok) options.done(planned, reply.seconds);
        else options.fail(planned, reply.error);
      }
    } finally {
      worker.terminate();
    }
  });
  await Promise.all(lanes);
}

/** What {@link combineReproduction} wrote. */
export interface CombinedReproduction {
  /** The reproduction. */
  reproduction: Reproduction;
  /** Its outputs. */
  output: ReproductionOutput;
  /** Files written. */
  files: string[];
  /** Sum of the seconds its units took. */
  seconds: number;
  /** Number of units. */
  units: number;
}

/**
 * Reads every unit output of `r` and writes the combined tables (CSV), charts (SVG, PNG) and
 * notes (NOTES.md) as one set in `<out>/<name>/`, replacing the previous set as a whole (see
 * {@link replaceSet}). `onStep` sees each step of the replacement (tests kill the process there).
 * `planned` is the run's plan (its units of `r` are used); without it, `r` is planned afresh.
 *
 * @throws {Error} when a unit has no complete output, listing the missing ones
 */
export async function combineReproduction(
  r: Reproduction,
  options: ReproductionOptions & {
    out: string;
    onStep?: (step: SetStep, name: string) => void | Promise<void>;
    planned?: readonly PlannedUnit[];
  },
): Promise<CombinedReproduction> {
  const ofR = options.planned?.filter((p) => p.reproduction === r) ?? [];
  const planned = ofR.length > 0 ? ofR : await planUnits([r], options);
  const records: UnitRecord[] = [], missing: string[] = [];
  for (const p of planned) {
    const rec = await readUnitRecord(p.file, p.key);
    if (rec) records.push(rec);
    else missing.push(p.unit.id);
  }
  if (missing.length > 0) {
    throw new Error(
      `cannot combine ${r.name}: ${missing.length} of ${planned.length} units have no output for seed ${options.seed}, profile ${options.profile} (${
        missing.slice(0, 5).join(", ")
      }${missing.length > 5 ? ", …" : ""}); run their shards first`,
    );
  }
  const outputs = records.map((rec) => rec.output);
  const output: ReproductionOutput = r.units && r.combine ? await r.combine(outputs, options) : {
    tables: outputs[0].tables,
    charts: outputs[0].charts ?? {},
    notes: outputs[0].notes ?? {},
  };
  const files = await replaceSet(options.out, r.name, async (dir) => {
    const names: string[] = [];
    const wrote = async (...written: string[]) => {
      names.push(...written);
      await options.onStep?.("file-written", r.name);
    };
    for (const [name, rows] of Object.entries(output.tables)) {
      await writeCsv(join(dir, `${name}.csv`), rows);
      await wrote(`${name}.csv`);
    }
    for (const [name, spec] of Object.entries(output.charts)) {
      await saveChart(spec, join(dir, name));
      await wrote(`${name}.svg`, `${name}.png`);
    }
    const notes = Object.entries(output.notes).map(([k, v]) => `## ${k}\n\n${v}\n`).join("\n");
    await writeFileAtomic(
      join(dir, "NOTES.md"),
      `# ${r.name}\n\n${r.description}\n\nseed ${options.seed}, profile ${options.profile}\n\n${notes}`,
    );
    await wrote("NOTES.md");
    return names;
  }, { onStep: options.onStep });
  const seconds = records.reduce((s, rec) => s + rec.seconds, 0);
  return { reproduction: r, output, files, seconds, units: records.length };
}

/**
 * Copies into `out` the planned units that the folder `from` holds, each only after its key is
 * checked, never over a valid unit (see {@link mergeUnits}).
 *
 * @example
 * ```ts
 * import { mergeFrom, planUnits } from "@lib/experiments/pipeline.ts";
 * import { selftest } from "@lib/experiments/selftest.ts";
 * import assert from "node:assert/strict";
 * const [from, out] = [await Deno.makeTempDir(), await Deno.makeTempDir()];
 * const options = { seed: 1, profile: "quick" as const, out };
 * const planned = await planUnits([selftest], options);
 * const result = await mergeFrom(planned, from, options); // an empty shard folder
 * assert.deepEqual(result, { took: 0, present: 0, leftApart: 0, refused: [] });
 * await Deno.remove(from, { recursive: true });
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function mergeFrom(
  planned: readonly PlannedUnit[],
  from: string,
  options: { out: string; seed: number; profile: string },
): Promise<MergeResult> {
  const targets = planned.map((p) => ({
    name: p.reproduction.name,
    file: p.file,
    key: p.key,
    seed: options.seed,
    profile: options.profile,
  }));
  return await mergeUnits(targets, from, { out: options.out, decode: decodeExact });
}
