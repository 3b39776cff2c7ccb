/**
 * Kernel memory that is given back. The matrix products read and write arrays that live in their
 * WebAssembly memory in place, and copy any other array in and out (`allocateKernelArray`,
 * lib/kernels/wasm_arena.ts); but that memory is never reclaimed. A {@link KernelLease} takes
 * arrays from a pool of released regions of the thread's kernel memory (any region that fits,
 * the smallest first; adjacent released regions merge) before allocating, and `release()` returns
 * them all: a training run that leases its parameters and workspaces and releases them at the end
 * leaves the memory to the next run, whatever its shapes, so the kernel memory of a thread that
 * trains many networks stays bounded by the largest set leased at once (plus what fragmentation
 * leaves between regions still held).
 *
 * @module
 */
import { allocateKernelArray } from "./kernels/mod.ts";
import { inKernelMemory, kernelArrayAt } from "./kernels/wasm_arena.ts";

/** A region of kernel memory: its byte offset and size (a multiple of 64 bytes). */
interface Region {
  offset: number;
  bytes: number;
}

/**
 * The released regions of this thread's kernel memory, by offset, adjacent ones merged. A lease
 * takes the smallest one that fits before it allocates, whatever length the region last held:
 * pooling by exact length let a worker that ran units of many shapes (the importance study: every
 * b, k and sampler) keep one array of every length it ever saw, 1.3 GB resident in one worker of
 * `repro --full`, where merging bounds the memory by the largest set leased at once.
 */
const released: Region[] = [];

/** Bytes a region for `length` doubles takes: whole 64-byte lines, at least one. */
function regionBytes(length: number): number {
  return Math.max(64, (8 * length + 63) & ~63);
}

/** The region of `bytes` from the best-fitting released one, or null when none is big enough. */
function takeReleased(bytes: number): number | null {
  let best = -1;
  for (let i = 0; i < released.length; i++) {
    const r = released[i];
    if (r.bytes >= bytes && (best < 0 || r.bytes < released[best].bytes)) best = i;
  }
  if (best < 0) return null;
  const region = released[best], offset = region.offset;
  region.offset += bytes;
  region.bytes -= bytes;
  if (region.bytes === 0) released.splice(best, 1);
  return offset;
}

/** Returns a region, merged with the released regions it touches. */
function giveBack(offset: number, bytes: number): void {
  let i = 0;
  while (i < released.length && released[i].offset < offset) i++;
  released.splice(i, 0, { offset, bytes });
  const next = released[i + 1];
  if (next !== undefined && offset + bytes === next.offset) {
    released[i].bytes += next.bytes;
    released.splice(i + 1, 1);
  }
  const previous = released[i - 1];
  if (previous !== undefined && previous.offset + previous.bytes === offset) {
    previous.bytes += released[i].bytes;
    released.splice(i, 1);
  }
}

/**
 * The bytes of kernel memory released and not yet leased again, and the number of regions they
 * form (adjacent ones merged): what the pool holds for the next leases of this thread.
 *
 * @example A lease released as a whole leaves one region
 * ```ts
 * import { KernelLease, releasedKernelMemory } from "@lib/kernel_lease.ts";
 * import assert from "node:assert/strict";
 * const before = releasedKernelMemory();
 * const lease = new KernelLease();
 * for (const n of [100, 3, 5000]) lease.array(n);
 * lease.release();
 * const after = releasedKernelMemory();
 * if (after.bytes > before.bytes) assert.ok(after.regions <= before.regions + 1);
 * ```
 */
export function releasedKernelMemory(): { bytes: number; regions: number } {
  let bytes = 0;
  for (const r of released) bytes += r.bytes;
  return { bytes, regions: released.length };
}

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
  /** The regions held (offset −1: a plain array, left to the garbage collector). */
  #held: Region[] = [];
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
    const bytes = regionBytes(length);
    const offset = takeReleased(bytes);
    if (offset !== null) {
      this.#held.push({ offset, bytes });
      return kernelArrayAt(offset, length)!;
    }
    // a fresh region, whole lines long, so that it can serve any length that fits when released
    const whole = allocateKernelArray(bytes / 8);
    this.#held.push({ offset: inKernelMemory(whole) ? whole.byteOffset : -1, bytes });
    return whole.subarray(0, length);
  }

  /** Gives every array of this lease back to the pool; they must not be used afterwards. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    for (const region of this.#held) {
      if (region.offset >= 0) giveBack(region.offset, region.bytes);
    }
    this.#held = [];
  }
}

const collected = new FinalizationRegistry<KernelLease>((lease) => lease.release());

/**
 * Releases `lease` once `owner` is garbage-collected (if it was not released before): for objects
 * that lease kernel memory for their lifetime, such as a presampler's workspaces or a bench's
 * workload, and may be dropped without a call to release it.
 *
 * @example
 * ```ts
 * import { KernelLease, releaseWhenCollected } from "@lib/kernel_lease.ts";
 * const owner = {}, lease = new KernelLease();
 * lease.array(16);
 * releaseWhenCollected(owner, lease); // given back when `owner` is collected
 * lease.release(); // or now: releasing twice is harmless
 * ```
 */
export function releaseWhenCollected(owner: object, lease: KernelLease): void {
  collected.register(owner, lease);
}
