/**
 * The `deno task repro` command: runs every registered reproduction (or `--only NAME`) through
 * the pipeline (resumable units, worker threads, optional shard), combines complete
 * reproductions into `results/<name>/` (CSV, SVG, PNG, NOTES.md) and writes `results/REPORT.md`.
 *
 * ```
 * deno task repro [--only NAME]... [--seed N] [--full] [--workers N] [--shard K/N]
 *                 [--units REGEX] [--out DIR] [--publish] [--verbose]
 * deno task repro:merge [--from DIR]... [--out DIR] [same --only/--seed/--full]
 * ```
 *
 * Each reproduction ends with a short summary (its folder, how many tables and figures it wrote,
 * its headline numbers); `--verbose` lists every file written. The registry of reproductions is
 * `mod.ts`; this file is the command line only.
 *
 * The command line is strict (see `flags.ts`): unknown flags, flags given twice (except the
 * repeatable `--only` and `--from`) and numbers that are not plain decimal integers in range are
 * usage errors. Exit codes: 0 done, 1 a failure while running, 2 a command line that cannot be
 * used (including an unusable `--out` or a missing `--from` folder); every error is one line.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { repoRoot } from "../io.ts";
import { decimalInteger, parseFlags, UsageError } from "./flags.ts";
import { reproductions, selftestEnabled } from "./mod.ts";
import {
  type CombinedReproduction,
  combineReproduction,
  mergeFrom,
  type PlannedUnit,
  planUnits,
  runUnits,
  type Shard,
  shardOf,
} from "./pipeline.ts";
import { writeReport } from "./report.ts";
import { checkOutFolder, repairSets, type SetStep, STATE_DIR } from "./store.ts";
import { reproductionSummary } from "./summary.ts";
import { unitProgressPrinter } from "./unit_progress.ts";

/**
 * The largest `--seed`: 2^32 − 1. {@link Random} seeds its state from the seed's low 32 bits
 * through SplitMix32, a bijection, so the seeds 0 … 2^32 − 1 give 2^32 distinct streams; a larger
 * seed folds its high bits in and can give the same stream as one of them.
 */
export const SEED_MAX = 2 ** 32 - 1;
/** The largest `--workers`. */
export const WORKERS_MAX = 1024;
/** The largest N of `--shard K/N`. */
export const SHARDS_MAX = 100_000;

/** Parsed command line of `repro` and `repro:merge`. */
export interface ReproArgs {
  /** Run only these reproductions (in registry order); empty for all. */
  only: string[];
  /** Seed, 0 … {@link SEED_MAX}. */
  seed: number;
  /** Profile. */
  profile: "quick" | "full";
  /** Worker threads. */
  workers: number;
  /** Shard to run, or null for all units. */
  shard: Shard | null;
  /** Run only the units whose id matches, or null for all. */
  units: RegExp | null;
  /** Results folder. */
  out: string;
  /** Combine shard outputs instead of running. */
  merge: boolean;
  /** Results folders of shards to merge from. */
  from: string[];
  /** Copy the charts' PNGs to docs/figures/. */
  publish: boolean;
  /** List every file written, not only each reproduction's summary. */
  verbose: boolean;
  /** Show the usage and do nothing else. */
  help: boolean;
}

/** The usage text of `repro` and `repro:merge` (`--help`). */
export const usage =
  `usage: deno task repro [--only NAME]... [--seed N] [--full] [--workers N] [--shard K/N]
                       [--units REGEX] [--out DIR] [--publish] [--verbose]
       deno task repro:merge [--from DIR]... [--out DIR] [--only NAME]... [--seed N] [--full]
  --only NAME    run this reproduction; repeat the flag for several (they run in the order
                 below): ${reproductions.map((r) => r.name).join(", ")}
  --seed N       seed of every random draw: a decimal integer from 0 to ${SEED_MAX} (default 1)
  --full         the paper-scale profile (default: quick)
  --workers N    worker threads for independent units, 1 to ${WORKERS_MAX} (default: cores)
  --shard K/N    run only the K-th of N disjoint slices of the units (1 <= K <= N <= ${SHARDS_MAX})
  --units REGEX  run only the units whose id matches (as a shard: stored, not combined)
  --out DIR      results folder (default results/); created if missing, its parent must exist
  --from DIR     with repro:merge: a folder to take units from (repeatable)
  --publish      copy every chart's PNG to docs/figures/ (for the README)
  --verbose      list every file written (default: a summary per reproduction)
  --help         show this text
exit codes: 0 done, 1 a failure while running, 2 a command line that cannot be used`;

const flagSpec = {
  only: { type: "string", repeatable: true },
  seed: { type: "string" },
  full: { type: "boolean" },
  workers: { type: "string" },
  shard: { type: "string" },
  units: { type: "string" },
  out: { type: "string" },
  merge: { type: "boolean" },
  from: { type: "string", repeatable: true },
  publish: { type: "boolean" },
  verbose: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

function folderArg(flag: string, value: string): string {
  if (value.trim() === "") throw new UsageError(`${flag}: the folder name is empty`);
  return resolve(value);
}

/**
 * Parses the command line; a usage error names the bad flag and what it accepts.
 *
 * @throws {UsageError} for an unknown flag or reproduction, a flag given twice (other than
 * `--only` and `--from`), a number that is not a plain decimal integer in its range, K > N, an
 * empty folder name, or flags that do not go together
 * @example
 * ```ts
 * import { parseReproArgs } from "@lib/experiments/repro.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseReproArgs(["--shard", "2/3", "--workers", "1"]).shard, { k: 2, n: 3 });
 * assert.deepEqual(parseReproArgs(["--only", "cost", "--only", "computation_graphs"]).only,
 *   ["computation_graphs", "cost"]);
 * assert.throws(() => parseReproArgs(["--shard", "4/3"]), /--shard: '4\/3'/);
 * assert.throws(() => parseReproArgs(["--seed", "1e3"]), /from 0 to 4294967295/);
 * assert.throws(() => parseReproArgs(["--seed", "1", "--seed", "2"]), /--seed given twice/);
 * assert.throws(() => parseReproArgs(["--only", "nope"]), /--only: unknown reproduction 'nope'/);
 * assert.equal(parseReproArgs(["--units", "^(?!study)"]).units?.test("mnist-seed1-loss"), true);
 * assert.throws(() => parseReproArgs(["--units", "("]), /--units: '\(' is not a regular expression/);
 * ```
 */
export function parseReproArgs(args: string[]): ReproArgs {
  const v = parseFlags(args, flagSpec).values;
  const names = reproductions.map((r) => r.name);
  for (const [i, name] of v.only.entries()) {
    if (!names.includes(name)) {
      throw new UsageError(
        `--only: unknown reproduction '${name}'; choose from ${names.join(", ")}`,
      );
    }
    if (v.only.indexOf(name) !== i) throw new UsageError(`--only: '${name}' given twice`);
  }
  const seed = v.seed.length ? decimalInteger("--seed", v.seed[0], { min: 0, max: SEED_MAX }) : 1;
  const workers = v.workers.length
    ? decimalInteger("--workers", v.workers[0], { min: 1, max: WORKERS_MAX })
    : Math.min(navigator.hardwareConcurrency, WORKERS_MAX);
  let shard: Shard | null = null;
  if (v.shard.length) {
    const text = v.shard[0], parts = text.split("/");
    const range = { min: 1, max: SHARDS_MAX };
    const bad = () =>
      new UsageError(
        `--shard: '${text}' is not K/N with decimal integers 1 <= K <= N <= ${SHARDS_MAX}`,
      );
    if (parts.length !== 2) throw bad();
    let k: number, n: number;
    try {
      [k, n] = parts.map((p) => decimalInteger("--shard", p, range));
    } catch {
      throw bad();
    }
    if (k > n) throw bad();
    shard = { k, n };
  }
  if (v.merge && shard) throw new UsageError("--shard: not with repro:merge");
  let units: RegExp | null = null;
  if (v.units.length) {
    if (v.merge) throw new UsageError("--units: not with repro:merge");
    if (v.publish) throw new UsageError("--publish: not with --units (it writes no charts)");
    try {
      units = new RegExp(v.units[0]);
    } catch (e) {
      throw new UsageError(
        `--units: '${v.units[0]}' is not a regular expression (${(e as Error).message})`,
      );
    }
  }
  if (v.merge && v.workers.length) throw new UsageError("--workers: not with repro:merge");
  if (!v.merge && v.from.length) throw new UsageError("--from: only with repro:merge");
  if (shard && v.publish) {
    throw new UsageError("--publish: not with --shard (a shard writes no charts to publish)");
  }
  const from = v.from.map((f) => folderArg("--from", f));
  const repeated = from.find((f, i) => from.indexOf(f) !== i);
  if (repeated) throw new UsageError(`--from: '${repeated}' given twice`);
  return {
    only: names.filter((n) => v.only.includes(n)),
    seed,
    profile: v.full ? "full" : "quick",
    workers,
    shard,
    units,
    out: v.out.length ? folderArg("--out", v.out[0]) : join(repoRoot(), "results"),
    merge: v.merge,
    from,
    publish: v.publish,
    verbose: v.verbose,
    help: v.help,
  };
}

/**
 * Checks the folders of the command line before any work: every `--from` folder exists, and
 * `--out` is a writable folder (created when only its last part is missing).
 *
 * @throws {UsageError} naming the folder and what is wrong with it
 * @example
 * ```ts
 * import { checkFolders, parseReproArgs } from "@lib/experiments/repro.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await checkFolders(parseReproArgs(["--out", `${dir}/results`]));
 * const missing = `${dir}/shard9`;
 * await assert.rejects(
 *   checkFolders(parseReproArgs(["--merge", "--out", dir, "--from", missing])),
 *   new RegExp(`--from ${missing}: no such folder`),
 * );
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function checkFolders(args: ReproArgs): Promise<void> {
  for (const from of args.from) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(from);
    } catch (error) {
      throw new UsageError(
        error instanceof Deno.errors.NotFound
          ? `--from ${from}: no such folder`
          : `--from ${from}: ${(error as Error).message}`,
      );
    }
    if (!info.isDirectory) throw new UsageError(`--from ${from}: is a file, not a folder`);
  }
  try {
    await checkOutFolder(args.out);
  } catch (error) {
    throw new UsageError(`--out: ${(error as Error).message}`);
  }
}

/**
 * Runs the command: checks the folders, then runs the units (all, or one shard); unless sharded,
 * repairs what an interrupted run left, combines every selected reproduction (each set replacing
 * the old one as a whole) and updates REPORT.md. With `merge`, takes units from the `from`
 * folders (each checked against its key) and combines without running anything. Returns the
 * combined reproductions.
 *
 * @param options.onStep sees each step of replacing a combined set (tests kill the process there)
 */
export async function repro(
  args: ReproArgs,
  options: { onStep?: (step: SetStep, name: string) => void | Promise<void> } = {},
): Promise<CombinedReproduction[]> {
  const start = performance.now();
  await checkFolders(args);
  const selected = reproductions.filter((r) =>
    args.only.length === 0 || args.only.includes(r.name)
  );
  const settings = { seed: args.seed, profile: args.profile };
  const plan = await planUnits(selected, { ...settings, out: args.out });
  if (args.merge) {
    await mergeAll(plan, args);
  } else {
    const sliced = args.shard ? shardOf(plan, args.shard) : plan;
    const planned = args.units ? sliced.filter((p) => args.units!.test(p.unit.id)) : sliced;
    const totals = new Map<string, number>();
    for (const p of planned) {
      totals.set(p.reproduction.name, (totals.get(p.reproduction.name) ?? 0) + 1);
    }
    const shardNote = (args.shard ? ` (shard ${args.shard.k}/${args.shard.n})` : "") +
      (args.units ? ` (ids matching ${args.units})` : "");
    console.log(
      `repro: ${planned.length} units${shardNote}, seed ${args.seed}, profile ${args.profile}, ${args.workers} worker(s)`,
    );
    const { ran, skipped } = await runUnits(planned, {
      ...settings,
      workers: args.workers,
      onEvent: unitProgressPrinter(totals),
    });
    console.log(`repro: ran ${ran} units, reused ${skipped} already done`);
    if (args.shard) {
      console.log(
        `repro: shard ${args.shard.k}/${args.shard.n} done; its units are in ${args.out}. ` +
          "When every shard is done, combine them with `deno task repro:merge --from DIR ...`.",
      );
      return [];
    }
    if (args.units) {
      console.log(
        `repro: the units matching ${args.units} are done, in ${args.out}; a run without ` +
          "--units into the same folder reuses them and combines.",
      );
      return [];
    }
  }
  for (const repair of await repairSets(args.out)) console.log(`repro: repaired: ${repair}`);
  const parts: CombinedReproduction[] = [];
  for (const r of selected) {
    const part = await combineReproduction(r, {
      ...settings,
      out: args.out,
      onStep: options.onStep,
      planned: plan,
    });
    parts.push(part);
    for (const line of reproductionSummary(part, { out: args.out, verbose: args.verbose })) {
      console.log(line);
    }
  }
  const report = await writeReport(parts, {
    out: args.out,
    ...settings,
    totalSeconds: (performance.now() - start) / 1000,
    order: reproductions.map((r) => r.name),
  });
  for (const line of report.ignored) console.error(`report: ${line}`);
  console.log(`report: ${report.path}`);
  if (args.publish) await publishFigures(parts, args.out);
  return parts;
}

/** `repro:merge`: takes the planned units of every `--from` folder, each checked by its key. */
async function mergeAll(plan: readonly PlannedUnit[], args: ReproArgs): Promise<void> {
  for (const from of args.from) {
    const m = await mergeFrom(plan, from, {
      seed: args.seed,
      profile: args.profile,
      out: args.out,
    });
    for (const line of m.refused) console.error(`merge: ${line}`);
    console.log(
      `merge: took ${m.took} unit outputs from ${from}` +
        (m.present ? `; ${m.present} were already here` : "") +
        (m.refused.length ? `; refused ${m.refused.length}` : "") +
        (m.leftApart ? `; left ${m.leftApart} of other seeds, profiles or code apart` : ""),
    );
  }
}

/** `--publish`: copies every chart's PNG to docs/figures/ as `<name>_<chart>.png`. */
async function publishFigures(parts: readonly CombinedReproduction[], out: string): Promise<void> {
  const figures = join(repoRoot(), "docs", "figures");
  await Deno.mkdir(figures, { recursive: true });
  for (const p of parts) {
    for (const name of Object.keys(p.output.charts)) {
      const target = join(figures, `${p.reproduction.name}_${name}.png`);
      await Deno.copyFile(join(out, p.reproduction.name, `${name}.png`), target);
      console.log(`  published ${target}`);
    }
  }
}

/** Under SGDLAB_SELFTEST=1, SGDLAB_SELFTEST_KILL_AT=STEP kills this process at that step. */
function killHook(): ((step: SetStep) => void) | undefined {
  const at = selftestEnabled() ? Deno.env.get("SGDLAB_SELFTEST_KILL_AT") : undefined;
  if (!at) return undefined;
  return (step) => {
    if (step === at) Deno.kill(Deno.pid, "SIGKILL");
  };
}

/** Prints an error in one line; details past the first line go to a log file in `out`. */
async function fail(command: string, error: unknown, out?: string): Promise<void> {
  const message = error instanceof Error ? error.message : String(error);
  const [first, ...more] = message.split("\n");
  let where = "";
  if (more.length > 0 && out !== undefined) {
    const log = join(out, STATE_DIR, "last-error.log");
    try {
      await Deno.mkdir(join(out, STATE_DIR), { recursive: true });
      await Deno.writeTextFile(log, message + "\n");
      where = ` (details in ${log})`;
    } catch {
      where = "";
    }
  }
  console.error(`${command}: ${first}${where}`);
}

if (import.meta.main) {
  const command = Deno.args.includes("--merge") ? "repro:merge" : "repro";
  let args: ReproArgs | undefined;
  try {
    args = parseReproArgs(Deno.args);
    if (args.help) {
      console.log(usage);
      Deno.exit(0);
    }
    await checkFolders(args);
  } catch (error) {
    await fail(
      command,
      error instanceof UsageError
        ? `${error.message} (\`deno task ${command} --help\` shows the usage)`
        : error,
    );
    Deno.exit(error instanceof UsageError ? 2 : 1);
  }
  try {
    await repro(args, { onStep: killHook() });
  } catch (error) {
    await fail(command, error, args.out);
    Deno.exit(error instanceof UsageError ? 2 : 1);
  }
}
