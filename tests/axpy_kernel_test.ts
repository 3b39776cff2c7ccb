import { axpy, wasmKernelsAvailable } from "@lib/kernels/mod.ts";
import { allocateKernelArray } from "@lib/kernels/wasm_arena.ts";
import { axpyInKernelMemory, elementwiseKernelAvailable } from "@lib/elementwise_kernel.ts";
import { Random } from "@lib/random.ts";
import assert from "node:assert/strict";

const inPlace = wasmKernelsAvailable() && elementwiseKernelAvailable();

/** Values that stress the rounding: wide exponents, signed zeros, subnormals, ±∞ and NaN. */
function values(random: Random, n: number): Float64Array {
  const v = new Float64Array(n);
  const special = [0, -0, Infinity, -Infinity, NaN, 5e-324, -5e-324, 1e308, -1e308];
  for (let i = 0; i < n; i++) {
    const u = random.float();
    v[i] = u < 0.05
      ? special[random.int(special.length)]
      : random.normal() * 2 ** (random.int(40) - 20);
  }
  return v;
}

/** The scalar loop's result, bit for bit (NaN as NaN). */
function sameBits(actual: Float64Array, expected: Float64Array, what: string): void {
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    assert.ok(
      Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)),
      `${what}: entry ${i} is ${a}, expected ${e}`,
    );
  }
}

Deno.test("axpy on arrays of the products' memory gives the scalar loop's bits at every length and offset, and writes nothing past n", () => {
  if (!inPlace) return;
  const random = new Random(11);
  for (let n = 0; n <= 70; n++) {
    for (let offset = 0; offset < 3; offset++) {
      for (const alpha of [-0.0125, 3.5, -1e-300, 0, -0]) {
        const xHome = allocateKernelArray(n + 6), outHome = allocateKernelArray(n + 6);
        xHome.set(values(random, n + 6));
        outHome.set(values(random, n + 6));
        const x = xHome.subarray(offset, offset + n);
        const out = outHome.subarray(offset + 1, offset + 1 + n + 2); // longer than n: a tail to keep
        const expected = Float64Array.from(outHome);
        for (let i = 0; i < n; i++) expected[offset + 1 + i] += alpha * x[i];
        assert.equal(axpyInKernelMemory(alpha, x, { out, n }), true);
        sameBits(outHome, expected, `n=${n} offset=${offset} alpha=${alpha}`);
      }
    }
  }
});

Deno.test("axpy gives the same bits in place as on plain arrays, across a training-sized θ", () => {
  const random = new Random(12);
  const n = 64 * 785 + 3;
  const x = values(random, n), start = values(random, n);
  const plain = Float64Array.from(start);
  axpy(-0.05, x, { out: plain, n });
  const kx = allocateKernelArray(n), kout = allocateKernelArray(n);
  kx.set(x);
  kout.set(start);
  axpy(-0.05, kx, { out: kout, n });
  sameBits(kout, plain, "θ-sized");
});

Deno.test("axpy in place works when out is x itself and declines overlapping or plain arrays", () => {
  if (!inPlace) return;
  const a = allocateKernelArray(40);
  a.set(Array.from({ length: 40 }, (_, i) => i - 7.25));
  const expected = Float64Array.from(a, (v) => v + 0.5 * v);
  assert.equal(axpyInKernelMemory(0.5, a, { out: a, n: 40 }), true);
  sameBits(a, expected, "out = x");
  // shifted by one entry: the pairs would read entries already written, so it declines
  assert.equal(axpyInKernelMemory(0.5, a.subarray(0, 39), { out: a.subarray(1), n: 39 }), false);
  assert.equal(axpyInKernelMemory(0.5, new Float64Array(4), { out: a, n: 4 }), false);
  assert.equal(axpyInKernelMemory(0.5, a, { out: a, n: 41 }), false); // longer than the arrays
  // the public axpy still gives the scalar loop's bits when it declines
  const b = allocateKernelArray(40);
  b.set(Array.from({ length: 40 }, (_, i) => 1 / (i + 1)));
  const shifted = Float64Array.from(b);
  for (let i = 0; i < 39; i++) shifted[i + 1] += 0.5 * shifted[i];
  axpy(0.5, b.subarray(0, 39), { out: b.subarray(1), n: 39 });
  sameBits(b, shifted, "overlapping");
});
