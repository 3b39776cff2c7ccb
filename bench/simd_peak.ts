/**
 * The f64x2 limit of this machine: twelve independent chains of WebAssembly fused multiply-adds
 * (`f64x2.relaxed_madd`, no memory access), as many FLOPs per second as 128-bit SIMD can give one
 * thread here. No matrix-product kernel in WebAssembly can run faster, so a peer whose step runs
 * at a higher rate (PyTorch's OpenBLAS uses 256-bit AVX2) sets a floor on sgdlab's ratio to it:
 * `bench/peer_rows.ts` reports that floor beside each measured ratio.
 *
 * @module
 */
import { assembleWat } from "../tools/build_wasm.ts";

/** Independent FMA chains: more than latency × ports, so that the chains never wait. */
export const FMA_CHAINS = 12;

/**
 * The text of a WebAssembly function `peak(n)`: n iterations of {@link FMA_CHAINS} f64x2 fused
 * multiply-adds (4·FMA_CHAINS FLOPs each), their sum returned so that none is dropped.
 *
 * @example
 * ```ts
 * import { peakFunctionWat } from "../bench/simd_peak.ts";
 * import assert from "node:assert/strict";
 * assert.match(peakFunctionWat(), /\(func \(export "peak"\)/);
 * ```
 */
export function peakFunctionWat(): string {
  const chains = Array.from({ length: FMA_CHAINS }, (_, i) => `$p${i}`);
  const fma = chains.map((p) =>
    `(local.set ${p} (f64x2.relaxed_madd (local.get $x) (local.get ${p}) (local.get $y)))`
  ).join("\n");
  // every chain feeds the result, or the compiler drops the unused ones
  const sum = chains.slice(1).reduce(
    (s, p) => `(f64x2.add ${s} (local.get ${p}))`,
    "(local.get $p0)",
  );
  return `(func (export "peak") (param $n i32) (result f64)
      ${chains.map((p) => `(local ${p} v128)`).join(" ")} (local $x v128) (local $y v128)
      (local.set $x (f64x2.splat (f64.const 1.0000001)))
      (local.set $y (f64x2.splat (f64.const 0.9999999)))
      (loop $l ${fma}
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br_if $l (local.get $n)))
      (f64x2.extract_lane 0 ${sum}))`;
}

/** A timed block of the FMA chains: `run()` returns its ms; `flops` is what one run does. */
export interface SimdPeak {
  run(): number;
  flops: number;
}

/**
 * A block of `iterations` (default 2^18) iterations of the FMA chains, to time beside other
 * blocks; GFLOP/s = flops / ms / 1e6.
 *
 * @example
 * ```ts
 * import { simdPeak } from "../bench/simd_peak.ts";
 * import assert from "node:assert/strict";
 * const peak = await simdPeak({ iterations: 1000 });
 * assert.equal(peak.flops, 48_000);
 * assert.ok(peak.run() >= 0);
 * ```
 */
export async function simdPeak(options: { iterations?: number } = {}): Promise<SimdPeak> {
  const n = options.iterations ?? 2 ** 18;
  const { instance } = await WebAssembly.instantiate(
    await assembleWat(`(module ${peakFunctionWat()})`),
  );
  const peak = instance.exports.peak as (n: number) => number;
  peak(1000); // compile
  return {
    flops: 4 * FMA_CHAINS * n,
    run() {
      const start = performance.now();
      peak(n);
      return performance.now() - start;
    },
  };
}
