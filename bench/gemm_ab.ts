/**
 * Two versions of lib/wasm/gemm.wat, timed interleaved in one process on the three products of a
 * training step (θ·x, δ·xᵀ, θ̄ᵀ·δ of an n-wide layer with a batch of B) and on cubes, one thread:
 * on a shared machine, drift falls on both versions alike. Prints best and median GFLOP/s of each
 * and the time ratio of the second to the first. Also checks that both give the same bits.
 *
 * ```sh
 * git show dba4ea8:lib/wasm/gemm.wat > /tmp/gemm_before.wat
 * deno run --allow-read --allow-env bench/gemm_ab.ts /tmp/gemm_before.wat lib/wasm/gemm.wat \
 *   cube256 256x256 1024x256 256x32 1024x32
 * ```
 *
 * @module
 */
import { assembleWat } from "../tools/build_wasm.ts";

type Gemm = (...args: number[]) => void;

async function engine(path: string): Promise<{ heap: Float64Array; gemm: Gemm }> {
  const memory = new WebAssembly.Memory({ initial: 2048, maximum: 65536, shared: true });
  const bytes = await assembleWat(await Deno.readTextFile(path));
  const { instance } = await WebAssembly.instantiate(bytes, { env: { memory } });
  return { heap: new Float64Array(memory.buffer), gemm: instance.exports.gemm as Gemm };
}

const [before, after, ...configs] = Deno.args;
if (after === undefined) {
  throw new Error("cannot compare: give two gemm.wat files, then configurations (cube256, 256x32)");
}
const engines = [await engine(before), await engine(after)];
const AT = 1 << 20; // operands start at 8 MiB, after gemm's workspace at 0
const quantile = (x: number[], q: number) =>
  x.slice().sort((a, b) => a - b)[Math.floor(q * (x.length - 1))];

for (const config of configs.length ? configs : ["cube256", "256x256", "256x32"]) {
  const cube = /^cube(\d+)$/.exec(config);
  const [nn, bb] = config.split("x").map(Number);
  const calls: [string, number, number, number, "NN" | "TN" | "NT"][] = cube
    ? ["NN", "TN", "NT"].map((f) => [f, +cube[1], +cube[1], +cube[1], f as "NN" | "TN" | "NT"])
    : [["θ·x", nn, nn + 1, bb, "NN"], ["δ·xᵀ", nn, bb, nn + 1, "NT"], ["θ̄ᵀ·δ", nn, nn, bb, "TN"]];
  for (const [name, m, k, n, form] of calls) {
    const [ars, acs] = form === "TN" ? [1, m] : [k, 1];
    const [brs, bcs] = form === "NT" ? [1, k] : [n, 1];
    const oa = AT, ob = oa + m * k + 8, oc = ob + k * n + 8;
    for (const e of engines) for (let i = 0; i < oc - oa; i++) e.heap[oa + i] = Math.sin(i);
    const flops = 2 * m * n * k, reps = Math.max(1, Math.round(1e7 / flops));
    const times: number[][] = [[], []];
    for (let round = 0; round < 30; round++) {
      engines.forEach((e, i) => {
        const start = performance.now();
        for (let r = 0; r < reps; r++) {
          e.gemm(m, n, k, oa * 8, ars, acs, ob * 8, brs, bcs, oc * 8, n, 0, 0);
        }
        times[i].push((performance.now() - start) / reps);
      });
    }
    const same = engines[0].heap.subarray(oc, oc + m * n)
      .every((x, i) => Object.is(x, engines[1].heap[oc + i]));
    const rate = (ms: number) => (flops / ms / 1e6).toFixed(1);
    const [b0, b1] = times.map((t) => quantile(t, 0)),
      [m0, m1] = times.map((t) => quantile(t, 0.5));
    console.log(
      `${config} ${name} m=${m} k=${k} n=${n}: best ${rate(b0)} → ${rate(b1)} GFLOP/s, ` +
        `median ${rate(m0)} → ${rate(m1)}; time ratio best ${(b1 / b0).toFixed(3)} median ` +
        `${(m1 / m0).toFixed(3)}; ${same ? "same bits" : "DIFFERENT BITS"}`,
    );
  }
}
