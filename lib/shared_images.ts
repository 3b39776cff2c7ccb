/**
 * One copy of each image set per process: {@link sharedImages} decodes a set once per thread
 * and keeps it; in a worker thread that was given a fetcher ({@link fetchImagesWith}), it asks
 * the fetcher instead (the reproduction pipeline's workers ask the main thread, which decodes
 * once and posts the shared memory: lib/experiments/shared_data.ts), so every thread reads the
 * same bytes.
 *
 * @module
 */
import { ByteImages, type ByteImagesData } from "./byte_images.ts";

const kept = new Map<string, Promise<ByteImages>>();
let fetcher: ((key: string) => Promise<ByteImagesData>) | null = null;

/**
 * The image set named `key`: the one this thread already holds, else the fetcher's (in a worker
 * given one), else `decode()`'s, kept for the thread. A failure is not kept.
 *
 * @example Decoded once
 * ```ts
 * import { sharedImages } from "@lib/shared_images.ts";
 * import { BYTE_SCALE, ByteImages } from "@lib/byte_images.ts";
 * import assert from "node:assert/strict";
 * let decoded = 0;
 * const decode = () => Promise.resolve((decoded++, ByteImages.allocate(1, 4, BYTE_SCALE)));
 * const a = await sharedImages("doc example", decode), b = await sharedImages("doc example", decode);
 * assert.equal(a, b);
 * assert.equal(decoded, 1);
 * ```
 */
export function sharedImages(key: string, decode: () => Promise<ByteImages>): Promise<ByteImages> {
  let images = kept.get(key);
  if (images === undefined) {
    images = fetcher === null ? decode() : fetcher(key).then((data) => new ByteImages(data));
    kept.set(key, images);
    images.catch(() => kept.delete(key));
  }
  return images;
}

/**
 * Makes {@link sharedImages} get the sets this thread does not hold from `fetch` (null: decode
 * them here again). A worker thread calls it once, before its first set.
 *
 * @example
 * ```ts
 * import { fetchImagesWith, sharedImages } from "@lib/shared_images.ts";
 * import { BYTE_SCALE, ByteImages } from "@lib/byte_images.ts";
 * import assert from "node:assert/strict";
 * const held = ByteImages.allocate(2, 3, BYTE_SCALE);
 * fetchImagesWith((key) => Promise.resolve(held.data()));
 * const got = await sharedImages("fetched in the doc example", () => Promise.reject(new Error("not here")));
 * fetchImagesWith(null);
 * assert.equal(got.pixels, held.pixels);
 * ```
 */
export function fetchImagesWith(fetch: ((key: string) => Promise<ByteImagesData>) | null): void {
  fetcher = fetch;
}
