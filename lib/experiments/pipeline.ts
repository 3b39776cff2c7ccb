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
 * profile and a fingerprint of the code in `lib/`. Its file is its cache entry: written to a
 * temporary name and renamed, and named by its profile, seed and key, so a run with another seed,
 * profile or code adds files and never replaces another key's units. A rerun skips every unit
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
  UnitOutput,
} from "./reproduction.ts";
import { type MergeResult, mergeUnits, replaceSet, type SetStep, unitFile } from "./store.ts";

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

/** What a unit file holds. */
export interface UnitRecord {
  /** The cache key. */
  key: string;
  /** Reproduction name. */
  reproduction: string;
  /** Unit id. */
  unit: string;
  /** Unit parameters. */
  params: ReproductionUnit["params"];
  /** Seed. */
  seed: number;
  /** Profile. */
  profile: string;
  /** Fingerprint of the code that made it (see {@link codeFingerprint}). */
  code?: string;
  /** Seconds the unit took when it ran. */
  seconds: number;
  /** The unit's tables (and, for a reproduction without units, its charts and notes). */
  output: UnitOutput & Partial<ReproductionOutput>;
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
 * A fingerprint of the library's code: the hex SHA-256 of every `.ts` file under `lib/` (paths
 * and contents, sorted by path). It is part of every unit's key, so a rerun after a code change
 * recomputes instead of reusing results of the old code.
 *
 * @example
 * ```ts
 * import { codeFingerprint } from "@lib/experiments/pipeline.ts";
 * import assert from "node:assert/strict";
 * assert.match(await codeFingerprint(), /^[0-9a-f]{64}$/);
 * assert.equal(await codeFingerprint(), await codeFingerprint());
 * ```
 */
export async function codeFingerprint(): Promise<string> {
  const root = new URL("../", import.meta.url);
  const files: string[] = [];
  const walk = (dir: URL, prefix: string) => {
    for (const entry of Deno.readDirSync(dir)) {
      if (entry.isDirectory) walk(new URL(`${entry.name}/`, dir), `${prefix}${entry.name}/`);
      else if (entry.isFile && entry.name.endsWith(".ts")) files.push(`${prefix}${entry.name}`);
    }
  };
  walk(root, "");
  files.sort();
  const parts = files.map((f) => `${f}\n${Deno.readTextFileSync(new URL(f, root))}`);
  return await sha256(parts.join("\n\u0000\n"));
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The cache key of a unit: the hex SHA-256 of its reproduction, id, parameters (keys sorted),
 * seed, profile and the code fingerprint.
 *
 * @example
 * ```ts
 * import { unitKey } from "@lib/experiments/pipeline.ts";
 * import assert from "node:assert/strict";
 * const a = await unitKey("r", { id: "u", params: { b: 1, a: 2 } }, { seed: 1, profile: "quick" });
 * const b = await unitKey("r", { id: "u", params: { a: 2, b: 1 } }, { seed: 1, profile: "quick" });
 * assert.equal(a, b);
 * assert.notEqual(a, await unitKey("r", { id: "u", params: { a: 2, b: 1 } }, { seed: 2, profile: "quick" }));
 * ```
 */
export async function unitKey(
  reproduction: string,
  unit: ReproductionUnit,
  options: ReproductionOptions & { code?: string },
): Promise<string> {
  const params = Object.keys(unit.params).sort().map((k) => [k, unit.params[k]]);
  return await sha256(
    JSON.stringify([reproduction, unit.id, params, options.seed, options.profile, options.code]),
  );
}

/**
 * Every unit of the selected reproductions in registry order, with keys and files; with a
 * shard, only the units whose global index i has i mod n = k − 1.
 *
 * @throws {RangeError} for a unit id that is not file-safe or repeats within a reproduction
 */
export async function planUnits(
  reproductions: readonly Reproduction[],
  options: ReproductionOptions & { out: string; shard?: Shard | null },
): Promise<PlannedUnit[]> {
  const planned: PlannedUnit[] = [];
  const code = await codeFingerprint();
  let index = 0;
  for (const r of reproductions) {
    const seen = new Set<string>();
    for (const unit of unitsOf(r, options)) {
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
  const shard = options.shard;
  return shard ? planned.filter((p) => p.index % shard.n === shard.k - 1) : planned;
}

/** JSON with exact non-finite numbers and −0 (plain JSON turns them into null and 0). */
function encode(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) =>
      typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0))
        ? { $number: Object.is(v, -0) ? "-0" : String(v) }
        : v,
  );
}

function decode(text: string): unknown {
  return JSON.parse(
    text,
    (_k, v) =>
      v !== null && typeof v === "object" && Object.keys(v).length === 1 && "$number" in v
        ? Number(v.$number)
        : v,
  );
}

/**
 * The unit record at `file` if it is complete and has this `key`; null when it is missing,
 * unreadable or made with other parameters (then the unit runs again).
 */
export async function readUnit(file: string, key: string): Promise<UnitRecord | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch {
    return null;
  }
  try {
    const record = decode(text) as UnitRecord;
    return record.key === key && record.output && typeof record.output.tables === "object"
      ? record
      : null;
  } catch {
    return null;
  }
}

/**
 * Computes one unit in this process: `runUnit`, or the whole `run` for a reproduction without
 * units.
 */
export async function computeUnit(
  r: Reproduction,
  unit: ReproductionUnit,
  options: ReproductionOptions,
): Promise<UnitRecord["output"]> {
  if (r.units && r.runUnit) return await r.runUnit(unit, options);
  return await r.run(options);
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
    if (await readUnit(p.file, p.key)) {
      options.onEvent?.({ kind: "skipped", planned: p, seconds: 0 });
    } else todo.push(p);
  }
  const failures: string[] = [];
  const save = async (p: PlannedUnit, output: UnitRecord["output"], seconds: number) => {
    const record: UnitRecord = {
      key: p.key,
      reproduction: p.reproduction.name,
      unit: p.unit.id,
      params: p.unit.params,
      seed,
      profile,
      code: p.code,
      seconds,
      output,
    };
    await writeFileAtomic(p.file, encode(record) + "\n");
    options.onEvent?.({ kind: "done", planned: p, seconds });
  };
  const fail = (p: PlannedUnit, error: string) => {
    failures.push(`${p.reproduction.name}/${p.unit.id}: ${error}`);
    options.onEvent?.({ kind: "failed", planned: p, seconds: 0, error });
  };
  if (options.workers <= 1 || todo.length <= 1) {
    for (const p of todo) {
      const start = performance.now();
      try {
        const output = await computeUnit(p.reproduction, p.unit, { seed, profile });
        await save(p, output, (performance.now() - start) / 1000);
      } catch (e) {
        fail(p, (e as Error).stack ?? String(e));
      }
    }
  } else {
    await runOnWorkers(todo, { ...options, save, fail });
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

interface WorkerReply {
  ok: boolean;
  output?: string;
  seconds?: number;
  error?: string;
}

async function runOnWorkers(
  todo: PlannedUnit[],
  options: ReproductionOptions & {
    workers: number;
    save: (p: PlannedUnit, output: UnitRecord["output"], seconds: number) => Promise<void>;
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
          worker.onmessage = (e: MessageEvent<WorkerReply>) => resolve(e.data);
          worker.onerror = (e: ErrorEvent) => {
            e.preventDefault();
            resolve({ ok: false, error: e.message });
          };
          worker.postMessage({
            reproduction: planned.reproduction.name,
            unit: planned.unit,
            options: { seed: options.seed, profile: options.profile },
          });
        });
        if (reply.ok && reply.output !== undefined) {
          const output = decode(reply.output) as UnitRecord["output"];
          await options.save(planned, output, reply.seconds ?? 0);
        } else {
          options.fail(planned, reply.error ?? "the worker failed");
        }
      }
    } finally {
      worker.terminate();
    }
  });
  await Promise.all(lanes);
}

/** Encodes a unit output for a worker's reply (exact numbers). */
export function encodeOutput(output: UnitRecord["output"]): string {
  return encode(output);
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
 *
 * @throws {Error} when a unit has no complete output, listing the missing ones
 */
export async function combineReproduction(
  r: Reproduction,
  options: ReproductionOptions & {
    out: string;
    onStep?: (step: SetStep, name: string) => void | Promise<void>;
  },
): Promise<CombinedReproduction> {
  const planned = await planUnits([r], options);
  const records: UnitRecord[] = [], missing: string[] = [];
  for (const p of planned) {
    const rec = await readUnit(p.file, p.key);
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
  return await mergeUnits(targets, from, { out: options.out, decode });
}
