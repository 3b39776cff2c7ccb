/**
 * The PyTorch comparison's numbers and text: `peers.csv`'s rows from the per-round times of
 * bench/peers.ts, and the section of `results/bench/REPORT.md`.
 *
 * @module
 */
import { median } from "@lib/stats.ts";
import { significant } from "@lib/format.ts";
import { markdownTable } from "@lib/table.ts";
import {
  PEER_DTYPES,
  type PeerDtype,
  type PeerMeasurement,
  type PeerSamples,
  TORCH_INSTALL,
} from "./peers.ts";

/** Issue 11's target: sgdlab's step at most this many times PyTorch's f64 step on one thread. */
export const PEER_TARGET = 1.5;

/** The columns of `peers.csv`, in order. */
export const PEER_COLUMNS = [
  "config",
  "dtype",
  "sgdlab_ms",
  "torch_ms",
  "sgdlab_over_torch",
  "sgdlab_gflops",
  "torch_gflops",
  "rounds",
] as const;

/** One row of `peers.csv`: a configuration and a PyTorch dtype. */
export type PeerRow = {
  /** Configuration name. */
  config: string;
  /** PyTorch's dtype; sgdlab's side is always Float64. */
  dtype: PeerDtype;
  /** Medians over rounds of the ms per call. */
  sgdlab_ms: number;
  torch_ms: number;
  /** Median over rounds of sgdlab's time over PyTorch's in the same round (paired). */
  sgdlab_over_torch: number;
  /** Effective GFLOP/s of each side (the FLOP model of the step over the median time). */
  sgdlab_gflops: number;
  torch_gflops: number;
  /** Rounds behind each median. */
  rounds: number;
};

/**
 * One row per configuration and dtype: medians over rounds, and the paired ratio, the median of
 * the per-round ratios sgdlab / PyTorch (each round's two blocks ran back to back).
 *
 * @throws {RangeError} when a configuration's sides have different numbers of rounds
 * @example
 * ```ts
 * import { peerRows } from "../bench/peer_rows.ts";
 * import assert from "node:assert/strict";
 * const rows = peerRows([{
 *   config: "n=64 B=32 L=4", stepFlops: 2e6, sgdlab: [2, 4, 3],
 *   torch: { f64: [1, 4, 1], f32: [1, 1, 1] }, calls: { sgdlab: 1, f64: 1, f32: 1 },
 * }]);
 * assert.deepEqual(rows.map((r) => [r.dtype, r.sgdlab_ms, r.torch_ms, r.sgdlab_over_torch]), [
 *   ["f64", 3, 1, 2], // per round 2, 1, 3: paired, not 3 / 1
 *   ["f32", 3, 1, 3],
 * ]);
 * assert.equal(rows[0].sgdlab_gflops, 0.6667); // 2e6 FLOPs in 3 ms
 * ```
 */
export function peerRows(samples: readonly PeerSamples[]): PeerRow[] {
  return samples.flatMap((s) =>
    PEER_DTYPES.map((dtype) => {
      const torch = s.torch[dtype];
      if (torch.length !== s.sgdlab.length || torch.length === 0) {
        throw new RangeError(
          `cannot pair the times of ${s.config} ${dtype}: sgdlab has ${s.sgdlab.length} rounds and PyTorch ${torch.length}, need the same number >= 1`,
        );
      }
      const sgdlabMs = median(s.sgdlab), torchMs = median(torch);
      return {
        config: s.config,
        dtype,
        sgdlab_ms: significant(sgdlabMs, 4),
        torch_ms: significant(torchMs, 4),
        sgdlab_over_torch: significant(median(s.sgdlab.map((t, r) => t / torch[r])), 3),
        sgdlab_gflops: significant(s.stepFlops / sgdlabMs / 1e6, 4),
        torch_gflops: significant(s.stepFlops / torchMs / 1e6, 4),
        rounds: torch.length,
      };
    })
  );
}

/** What `--peers` found: times, no PyTorch, or a failure while timing. */
export type PeersOutcome =
  | { status: "measured"; measurement: PeerMeasurement; rows: PeerRow[] }
  | { status: "missing"; tried: string[] }
  | { status: "failed"; error: string };

/**
 * The message printed and reported when no Python imports torch.
 *
 * @example
 * ```ts
 * import { torchMissingMessage } from "../bench/peer_rows.ts";
 * import assert from "node:assert/strict";
 * const text = torchMissingMessage(["python3: No module named 'torch'"]);
 * assert.match(text, /sudo apt-get install python3-torch libopenblas0-openmp/);
 * ```
 */
export function torchMissingMessage(tried: readonly string[]): string {
  return `PyTorch was not found (tried ${tried.join("; ")}). Install it with ` +
    `\`${TORCH_INSTALL}\` (Debian), or pass \`--python <a Python that imports torch>\`, and ` +
    "rerun with `--peers`.";
}

/**
 * The section of REPORT.md on PyTorch: the wide table (one row per configuration, sgdlab's
 * Float64 step against PyTorch's f64 and f32 steps), how it was timed, and issue 11's target.
 *
 * @example
 * ```ts
 * import { peerRows, peersMarkdown } from "../bench/peer_rows.ts";
 * import assert from "node:assert/strict";
 * const samples = [{
 *   config: "n=64 B=32 L=4", stepFlops: 2e6, sgdlab: [2, 2, 2],
 *   torch: { f64: [1, 1, 1], f32: [0.5, 0.5, 0.5] }, calls: { sgdlab: 9, f64: 9, f32: 9 },
 * }];
 * const md = peersMarkdown({
 *   status: "measured",
 *   measurement: { peer: { python: "/usr/bin/python3", torch: "1.13", pythonVersion: "3.11" }, rounds: 3, minMs: 50, samples },
 *   rows: peerRows(samples),
 * });
 * assert.match(md, /\| n=64 B=32 L=4 \| 2 \| 1 \| 0\.5 \| 2 \| 4 \| MISSED \|/);
 * assert.match(md, /Missed for 1 of 1 configurations/);
 * assert.match(peersMarkdown({ status: "missing", tried: ["python3: not found"] }), /apt-get install/);
 * ```
 */
export function peersMarkdown(outcome: PeersOutcome): string {
  const out = ["## sgdlab vs PyTorch, one thread", ""];
  if (outcome.status === "missing") {
    out.push(torchMissingMessage(outcome.tried), "");
    return out.join("\n");
  }
  if (outcome.status === "failed") {
    out.push(`The PyTorch comparison failed: ${outcome.error}`, "");
    return out.join("\n");
  }
  const { measurement: m, rows } = outcome;
  const byConfig = new Map<string, Partial<Record<PeerDtype, PeerRow>>>();
  for (const r of rows) byConfig.set(r.config, { ...byConfig.get(r.config), [r.dtype]: r });
  const table = [...byConfig].map(([config, { f64, f32 }]) => ({
    config,
    "sgdlab ms": f64?.sgdlab_ms ?? f32?.sgdlab_ms,
    "torch f64 ms": f64?.torch_ms,
    "torch f32 ms": f32?.torch_ms,
    "sgdlab / torch f64": f64?.sgdlab_over_torch,
    "sgdlab / torch f32": f32?.sgdlab_over_torch,
    [`≤ ${PEER_TARGET}× f64`]: f64 ? (f64.sgdlab_over_torch <= PEER_TARGET ? "met" : "MISSED") : "",
    "sgdlab GFLOP/s": f64?.sgdlab_gflops ?? f32?.sgdlab_gflops,
    "torch f64 GFLOP/s": f64?.torch_gflops,
    ...(m.simdPeakGflops === undefined || f64 === undefined ? {} : {
      "floor at the f64x2 limit": significant(f64.torch_gflops / m.simdPeakGflops, 3),
    }),
  }));
  out.push(
    `PyTorch ${m.peer.torch} (Python ${m.peer.pythonVersion}, \`${m.peer.python}\`) on one ` +
      "thread (`torch.set_num_threads(1)`, `OMP_NUM_THREADS=1`, `OPENBLAS_NUM_THREADS=1`) " +
      "against sgdlab's training step on one kernel thread (`passWorkload(config).step()`, " +
      "Float64). Both do the same work: the forward pass, the mean loss over the batch, and " +
      "its gradient with respect to every weight and bias (not the input); PyTorch by " +
      "`torch.autograd.grad`, so nothing accumulates, with layers in `nn.Linear`'s form (W and " +
      "b apart, `F.linear`, samples in rows) where sgdlab keeps the bias as a column of θ. " +
      "sgdlab computes in Float64 only: the f32 columns set its Float64 step against " +
      "PyTorch's float32 step.",
    "",
    `Timing (bench/peers.ts, bench/peers.py): one Python server; in each of ${m.rounds} ` +
      "rounds, for each configuration, a block of sgdlab steps, then PyTorch f64, then f32 " +
      `(reversed every other round), each block at least ${m.minMs} ms. Times are medians over ` +
      "rounds; `sgdlab / torch` is the median of the per-round ratios, so that drift on a " +
      "shared machine falls on both sides. The machine is shared: compare ratios, not times.",
    "",
    markdownTable(table),
    "",
  );
  if (m.simdPeakGflops !== undefined) {
    out.push(
      "GFLOP/s: the FLOP model of the step (lib/flops.ts) over the median time. `floor at the " +
        "f64x2 limit` is the least ratio any kernel in WebAssembly could reach here: PyTorch's " +
        "rate over the f64x2 limit of this machine, " +
        `${significant(m.simdPeakGflops, 3)} GFLOP/s measured in the same rounds ` +
        "(bench/simd_peak.ts: independent chains of fused multiply-adds on 128-bit vectors, no " +
        "memory access, the best round). PyTorch's OpenBLAS runs 256-bit AVX2, twice the width: " +
        `where the floor exceeds ${PEER_TARGET}, the target is out of reach of WebAssembly ` +
        "SIMD; where sgdlab's ratio is far above its floor, the step loses time outside the " +
        "products' peak (packing, elementwise maps, small products).",
      "",
    );
  }
  const judged = rows.filter((r) => r.dtype === "f64");
  const misses = judged.filter((r) => r.sgdlab_over_torch > PEER_TARGET);
  out.push(
    `Target (issue 11): sgdlab's step at most ${PEER_TARGET}× PyTorch's f64 step on one thread: ` +
      (misses.length === 0
        ? `met for all ${judged.length} configurations.`
        : `**Missed for ${misses.length} of ${judged.length} configurations:** ${
          misses.map((r) => `${r.config} (${r.sgdlab_over_torch}×)`).join(", ")
        }.`),
    "",
  );
  return out.join("\n");
}
