/**
 * Kernel memory that is given back. The matrix products read and write arrays that live in their
 * WebAssembly memory in place, and copy any other array in and out (`allocateKernelArray`,
 * lib/kernels/wasm_arena.ts); but that memory is never reclaimed. A {@link KernelLease} takes
 * arrays from a process-wide pool of released ones (of the same length) before allocating, and
 * `release()` returns them all: a training run that leases its parameters and workspaces and
 * releases them at the end leaves the memory to the next run of the same shapes, so the kernel
 * memory of a process that trains many networks stays bounded by its largest set of shapes.
 *
 * @module
 */
import { allocateKernelArray } from "./kernels/mod.ts";

const free = new Map<number, Float64Array[]>();

/**
 * Arrays in kernel memory, zero-filled, held until {@link KernelLease.release}.
 *
 * @example Released arrays serve the next lease
 * ```ts
 * import { KernelLease } from "@lib/kernel_lease.ts";
 * import assert from "node:assert/strict";
 * const first = new KernelLease();
 * const a = first.array(1000);
 * a[0] = 5;
 * first.release();
 * const second = new KernelLease();
 * const b = second.array(1000);
 * assert.equal(b[0], 0); // zero-filled again
 * assert.equal(b.length, 1000);
 * second.release();
 * ```
 */
export class KernelLease {
  #held: Float64Array[] = [];
  #released = false;

  /**
   * A zero-filled array of `length` doubles in kernel memory (a plain array where the products
   * have no WebAssembly memory), held by this lease.
   *
   * @throws {RangeError} after `release()`, or for a length that is not a non-negative integer
   */
  array(length: number): Float64Array {
    if (this.#released) {
      throw new RangeError(
        `cannot lease a kernel array of length ${length}: the lease was released`,
      );
    }
    const pooled = free.get(length)?.pop();
    const array = pooled === undefined ? allocateKernelArray(length) : pooled.fill(0);
    this.#held.push(array);
    return array;
  }

  /** Gives every array of this lease back to the pool; they must not be used afterwards. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    for (const array of this.#held) {
      let list = free.get(array.length);
      if (list === undefined) free.set(array.length, list = []);
      list.push(array);
    }
    this.#held = [];
  }
}
