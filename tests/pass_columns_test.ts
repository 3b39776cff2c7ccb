import assert from "node:assert/strict";
import fc from "./fc.ts";
import { Mlp, MlpPass, Random } from "@lib/mod.ts";
import {
  type KernelBackend,
  SMALL_PRODUCT_FLOPS,
  useKernelBackend,
  wasmKernelsAvailable,
} from "@lib/kernels/mod.ts";
import { gatherColumnBlock, passColumns, passColumnsExact } from "@lib/pass_columns.ts";

/** The naive reference: entry by entry through (row, column) indices. */
function naiveGather(src: number[][], positions: number[]): number[][] {
  return src.map((row) => positions.map((p) => row[p]));
}

Deno.test("gatherColumnBlock copies out[i, j] = src[i, positions[j]], repeats and any order included", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 7 }),
      fc.integer({ min: 1, max: 9 }),
      fc.array(fc.nat(), { minLength: 1, maxLength: 12 }),
      fc.integer(),
      (rows, cols, raw, seed) => {
        const random = new Random(seed);
        const src = Array.from(
          { length: rows },
          () => Array.from({ length: cols }, () => random.normal()),
        );
        const positions = raw.map((p) => p % cols);
        const out = new Float64Array(rows * positions.length).fill(NaN);
        gatherColumnBlock(Float64Array.from(src.flat()), {
          rows,
          cols,
          positions: Int32Array.from(positions),
          out,
        });
        assert.deepEqual(Array.from(out), naiveGather(src, positions).flat());
      },
    ),
  );
  assert.throws(
    () =>
      gatherColumnBlock(new Float64Array(5), {
        rows: 2,
        cols: 3,
        positions: Int32Array.of(0),
        out: new Float64Array(2),
      }),
    /cannot gather 1 columns of a 2×3 block: arrays of length 5 and 2 are too short/,
  );
});

/** Every x_l and z_l of two passes, bit for bit (deepEqual on Float64Arrays compares -0 and NaN exactly). */
function assertSameForward(a: MlpPass, b: MlpPass, what: string): void {
  a.xs.forEach((x, l) => assert.deepEqual(x.data, b.xs[l].data, `${what}: x_${l}`));
  a.zs.forEach((z, l) => assert.deepEqual(z.data, b.zs[l].data, `${what}: z_${l + 1}`));
}

function withBackend<T>(backend: KernelBackend, run: () => T): T {
  const previous = useKernelBackend(backend);
  try {
    return run();
  } finally {
    useKernelBackend(previous);
  }
}

const NETWORKS: { sizes: number[]; activation: string; output?: string; B: number; b: number }[] = [
  { sizes: [784, 32, 32, 10], activation: "relu", B: 96, b: 32 }, // the quick reproduction's
  { sizes: [784, 256, 256, 10], activation: "relu", B: 384, b: 128 },
  { sizes: [20, 64, 64, 64, 3], activation: "tanh", B: 96, b: 32 },
  { sizes: [9, 17, 5], activation: "sigmoid", output: "sigmoid", B: 40, b: 13 }, // edge tiles
  { sizes: [12, 7, 4], activation: "softplus", B: 60, b: 20 },
];

Deno.test("a gathered pass is bit for bit the forward pass of the gathered columns wherever the engines agree", () => {
  for (const { sizes, activation, output, B, b } of NETWORKS) {
    const random = new Random(sizes.length * 100 + b);
    const net = Mlp.create(sizes, { random, activation, output });
    const x = random.normalMatrix(sizes[0], B);
    const positions = Int32Array.from({ length: b }, () => random.int(B));
    positions[1] = positions[0]; // a repeated draw
    assert.equal(passColumnsExact(sizes, { source: B, batch: b }), true, `${sizes}`);
    const gathered = passColumns(net.forward(x), { positions, out: new MlpPass(net.sizes, b) });
    assertSameForward(gathered, net.forward(x.gatherColumns(positions)), `${sizes}, b = ${b}`);
  }
});

Deno.test("with the engine forced, a gathered pass equals the recomputed one at every size, small products included", () => {
  // 3-4-2 with b = 5: every product is far below SMALL_PRODUCT_FLOPS; B = 600 is above it
  const random = new Random(7);
  const net = Mlp.create([3, 4, 2], { random, activation: "tanh" });
  const x = random.normalMatrix(3, 600);
  const positions = Int32Array.from({ length: 5 }, () => random.int(600));
  assert.equal(passColumnsExact(net.sizes, { source: 600, batch: 5 }), false);
  const backends = wasmKernelsAvailable()
    ? ["wasm", "typescript"] as const
    : ["typescript"] as const;
  for (const backend of backends) {
    withBackend(backend, () => {
      const gathered = passColumns(net.forward(x), { positions, out: new MlpPass(net.sizes, 5) });
      assertSameForward(gathered, net.forward(x.gatherColumns(positions)), backend);
    });
  }
});

Deno.test("passColumnsExact is false exactly when one layer's product crosses SMALL_PRODUCT_FLOPS between b and B columns", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 2, maxLength: 4 }),
      fc.integer({ min: 1, max: 64 }),
      fc.integer({ min: 0, max: 64 }),
      (sizes, b, extra) => {
        const B = b + extra;
        let crosses = false;
        for (let l = 1; l < sizes.length; l++) {
          const flops = (n: number) => 2 * sizes[l] * n * (sizes[l - 1] + 1);
          if (flops(b) < SMALL_PRODUCT_FLOPS && flops(B) >= SMALL_PRODUCT_FLOPS) crosses = true;
        }
        assert.equal(passColumnsExact(sizes, { source: B, batch: b }), !crosses);
      },
    ),
  );
});

Deno.test("passColumns rejects passes of other sizes, a wrong count and positions outside the source", () => {
  const random = new Random(3);
  const net = Mlp.create([3, 4, 2], { random });
  const source = net.forward(random.normalMatrix(3, 6));
  const out = new MlpPass(net.sizes, 2);
  assert.throws(
    () => passColumns(source, { positions: [0, 6], out }),
    /cannot gather 2 columns of a pass of 6: position 1 is 6, expected an integer in \[0, 6\)/,
  );
  assert.throws(
    () => passColumns(source, { positions: [0, 1.5], out }),
    /position 1 is 1.5/,
  );
  assert.throws(
    () => passColumns(source, { positions: [0], out }),
    /cannot gather 1 columns of a pass of 6: the output pass holds 2 columns/,
  );
  assert.throws(
    () => passColumns(source, { positions: [0, 1], out: new MlpPass([3, 5, 2], 2) }),
    /layer 1 has 4 units in the source and 5 in the output pass/,
  );
  assert.throws(
    () => passColumns(source, { positions: [0, 1], out: new MlpPass([3, 4, 4, 2], 2) }),
    /the passes have 2 and 3 layers/,
  );
});
