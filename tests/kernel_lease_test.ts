import assert from "node:assert/strict";
import { KernelLease, releasedKernelMemory } from "@lib/kernel_lease.ts";
import { loadWasm, stagingStart } from "@lib/kernels/wasm_arena.ts";

Deno.test("a released array serves the next lease of its length, zero-filled; other lengths get new ones", () => {
  const first = new KernelLease();
  const a = first.array(777);
  a.fill(3);
  first.release();
  const second = new KernelLease();
  const b = second.array(777), c = second.array(778);
  assert.equal(b.buffer, a.buffer);
  assert.equal(b.byteOffset, a.byteOffset, "the same region");
  assert.ok(b.every((v) => v === 0));
  assert.notEqual(c.byteOffset, a.byteOffset);
  second.release();
  second.release(); // twice is harmless
});

Deno.test("a released lease refuses new arrays, naming the action", () => {
  const lease = new KernelLease();
  lease.release();
  assert.throws(
    () => lease.array(4),
    /cannot lease a kernel array of length 4: the lease was released/,
  );
});

Deno.test("released regions serve leases of other lengths: kernel memory stays bounded over many shapes", () => {
  const lease = (lengths: number[]) => {
    const l = new KernelLease();
    const arrays = lengths.map((n) => l.array(n));
    for (const a of arrays) {
      assert.ok(a.every((v) => v === 0), "zero-filled");
      a.fill(7);
    }
    return { l, arrays };
  };
  // a first run of one set of shapes, then runs of other shapes that need no more in total
  const first = lease([50_000, 20_000, 3_000, 17]);
  const top = stagingStart();
  first.l.release();
  for (const lengths of [[49_999, 20_001, 2_999], [1_000, 2_000, 30_000, 40_000], [73_000]]) {
    const run = lease(lengths);
    // arrays of one lease never overlap
    const spans = run.arrays.map((a) => [a.byteOffset, a.byteOffset + 8 * a.length]).sort((a, b) =>
      a[0] - b[0]
    );
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i][0] >= spans[i - 1][1]);
    run.l.release();
    if (loadWasm() !== null) {
      assert.equal(stagingStart(), top, `no new kernel memory for ${lengths}`);
    }
  }
  if (loadWasm() !== null) assert.ok(releasedKernelMemory().regions <= 2);
});
