import assert from "node:assert/strict";
import { KernelLease } from "@lib/kernel_lease.ts";

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
