/**
 * The IDX files of LeCun's MNIST format, gzipped, as Debian's `dataset-fashion-mnist` ships them:
 * decompression and header checks of image files (magic 2051, 28×28 unsigned bytes) and label
 * files (magic 2049, labels 0–9). Each error starts with the caller's `action`.
 *
 * @module
 */

const IDX_IMAGES = 2051, IDX_LABELS = 2049, SIDE = 28, PIXELS = SIDE * SIDE;

/**
 * The decompressed content of a gzip file; null when the file does not exist.
 *
 * @throws {Error} starting with `action` when the file cannot be read or is not valid gzip
 * @example
 * ```ts
 * import { gunzipFile } from "@lib/idx_files.ts";
 * import assert from "node:assert/strict";
 * assert.equal(await gunzipFile("/nonexistent.gz", "cannot load"), null);
 * ```
 */
export async function gunzipFile(path: string, action: string): Promise<Uint8Array | null> {
  let compressed: Uint8Array;
  try {
    compressed = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new Error(`${action}: cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const stream = new Blob([compressed as Uint8Array<ArrayBuffer>]).stream()
      .pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new Error(
      `${action}: ${path} is not a valid gzip file (truncated or corrupt): ${(e as Error).message}`,
      { cause: e },
    );
  }
}

/**
 * The pixel bytes of an IDX3 file (784 per image, row by row), after checking its header.
 *
 * @throws {Error} starting with `action` for a wrong magic number, image size or length
 * @example
 * ```ts
 * import { idxImages } from "@lib/idx_files.ts";
 * import assert from "node:assert/strict";
 * const file = new Uint8Array(16 + 784);
 * new DataView(file.buffer).setUint32(0, 2051);
 * new DataView(file.buffer).setUint32(4, 1);
 * new DataView(file.buffer).setUint32(8, 28);
 * new DataView(file.buffer).setUint32(12, 28);
 * assert.equal(idxImages("f", file, "cannot load").length, 784);
 * assert.throws(() => idxImages("f", file.subarray(0, 100), "cannot load"), /^Error: cannot load: f has 100 bytes/);
 * ```
 */
export function idxImages(path: string, bytes: Uint8Array, action: string): Uint8Array {
  if (bytes.length < 16) {
    throw new Error(
      `${action}: ${path} is too short for an IDX image header: ${bytes.length} bytes after decompression, expected at least 16`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0), count = view.getUint32(4);
  const rows = view.getUint32(8), cols = view.getUint32(12);
  if (magic !== IDX_IMAGES) {
    throw new Error(
      `${action}: ${path} has magic number ${magic}, expected ${IDX_IMAGES} (IDX unsigned-byte images)`,
    );
  }
  if (rows !== SIDE || cols !== SIDE) {
    throw new Error(`${action}: ${path} holds ${rows}×${cols} images, expected ${SIDE}×${SIDE}`);
  }
  const expected = 16 + count * PIXELS;
  if (bytes.length !== expected) {
    throw new Error(
      `${action}: ${path} has ${bytes.length} bytes after decompression, but its header announces ${count} images of ${SIDE}×${SIDE} (${expected} bytes)`,
    );
  }
  return bytes.subarray(16);
}

/**
 * The labels of an IDX1 file, each checked to be in [0, 10).
 *
 * @throws {Error} starting with `action` for a wrong magic number or length, or a label above 9
 * @example
 * ```ts
 * import { idxLabels } from "@lib/idx_files.ts";
 * import assert from "node:assert/strict";
 * const file = Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 2, 3, 9);
 * assert.deepEqual(Array.from(idxLabels("f", file, "cannot load")), [3, 9]);
 * ```
 */
export function idxLabels(path: string, bytes: Uint8Array, action: string): Uint8Array {
  if (bytes.length < 8) {
    throw new Error(
      `${action}: ${path} is too short for an IDX label header: ${bytes.length} bytes after decompression, expected at least 8`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0), count = view.getUint32(4);
  if (magic !== IDX_LABELS) {
    throw new Error(
      `${action}: ${path} has magic number ${magic}, expected ${IDX_LABELS} (IDX unsigned-byte labels)`,
    );
  }
  if (bytes.length !== 8 + count) {
    throw new Error(
      `${action}: ${path} has ${bytes.length} bytes after decompression, but its header announces ${count} labels (${
        8 + count
      } bytes)`,
    );
  }
  const labels = bytes.subarray(8);
  const bad = labels.findIndex((v) => v > 9);
  if (bad >= 0) {
    throw new Error(`${action}: ${path} has label ${labels[bad]} at ${bad}, expected 0 to 9`);
  }
  return labels;
}
