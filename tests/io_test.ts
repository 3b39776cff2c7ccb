import assert from "node:assert/strict";
import { join } from "node:path";
import fc from "fast-check";
import {
  formatCsv,
  parseCsv,
  readCsv,
  repoRoot,
  resultsDir,
  writeCsv,
  writeFileAtomic,
} from "@lib/io.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sgdlab_io_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
}

Deno.test("a CSV round trip of any doubles is exact, -0, NaN and ±Infinity included", async () => {
  await withTempDir(async (dir) => {
    const special = [
      -0,
      0,
      NaN,
      Infinity,
      -Infinity,
      Number.MIN_VALUE,
      Number.MAX_VALUE,
      0.1 + 0.2,
    ];
    const rows = special.map((x, i) => ({ i, x }));
    await writeCsv(join(dir, "special.csv"), rows);
    const back = await readCsv(join(dir, "special.csv"));
    back.forEach((row, i) => assert.ok(Object.is(row.x, special[i]), `row ${i}: ${row.x}`));
  });
  fc.assert(
    fc.property(fc.array(fc.double(), { minLength: 1, maxLength: 20 }), (xs) => {
      const back = parseCsv(formatCsv(xs.map((x) => ({ x }))));
      return back.every((row, i) => Object.is(row.x, xs[i]));
    }),
    { seed: 20240601, numRuns: 300 },
  );
});

Deno.test("CSV output is deterministic and quotes strings that need it", () => {
  const rows = [{ name: 'say "hi", then go', n: 1, ok: true, missing: null }];
  const text = formatCsv(rows);
  assert.equal(text, formatCsv(structuredClone(rows)));
  assert.equal(text, 'name,n,ok,missing\n"say ""hi"", then go",1,true,\n');
  assert.deepEqual(parseCsv(text), rows);
});

Deno.test("writeCsv keeps the given column order and leaves out other keys", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "cols.csv");
    await writeCsv(path, [{ a: 1, b: 2, c: 3 }], { columns: ["c", "a"] });
    assert.equal(await Deno.readTextFile(path), "c,a\n3,1\n");
    await writeCsv(path, [], { columns: ["step", "loss"] });
    assert.equal(await Deno.readTextFile(path), "step,loss\n");
  });
});

Deno.test("writing bad CSV rows fails with a message naming the row and column", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "bad.csv");
    await assert.rejects(
      writeCsv(path, [{ step: 1, loss: 2 }, { step: 2, loss: 1 }, { step: 3 }]),
      { name: "RangeError", message: "cannot write CSV: row 3 has no column 'loss'" },
    );
    assert.deepEqual(names(dir), [], "a failed write creates no file");
  });
  assert.throws(() => formatCsv([{ x: { nested: 1 } }]), TypeError);
  assert.throws(() => formatCsv([{ x: 1n }]), /row 1, column 'x' holds a bigint/);
  assert.throws(() => formatCsv([]), /no rows and no columns/);
  assert.throws(() => formatCsv([], { columns: ["a", "a"] }), /duplicate column/);
});

Deno.test("reading a malformed or missing CSV fails with the path in the message", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "ragged.csv");
    await Deno.writeTextFile(path, "a,b\n1,2\n3\n");
    await assert.rejects(readCsv(path), (error: Error) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, /row 2 has 1 fields, expected 2/);
      assert.ok(error.message.includes(path));
      return true;
    });
    await assert.rejects(readCsv(join(dir, "nope.csv")), /cannot read CSV .*nope\.csv/);
  });
  assert.throws(() => parseCsv(""), /no header line/);
});

Deno.test("writeFileAtomic replaces content, creates folders and leaves no temp file", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "deep", "er", "out.bin");
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    await writeFileAtomic(path, "replaced");
    assert.equal(await Deno.readTextFile(path), "replaced");
    assert.deepEqual(names(join(dir, "deep", "er")), ["out.bin"]);
  });
});

Deno.test("a failed atomic write keeps the old target and removes its temp file", async () => {
  await withTempDir(async (dir) => {
    const target = join(dir, "occupied");
    await Deno.mkdir(join(target, "child"), { recursive: true });
    await assert.rejects(writeFileAtomic(target, "data"), /cannot write .*occupied/);
    assert.deepEqual(names(dir), ["occupied"]);
    assert.ok(Deno.statSync(target).isDirectory);
  });
});

Deno.test("resultsDir resolves under the repository root from any subfolder", () => {
  const root = repoRoot();
  assert.ok(Deno.statSync(join(root, "deno.json")).isFile);
  assert.equal(resultsDir("bench", { from: join(root, "lib") }), join(root, "results", "bench"));
  assert.equal(resultsDir("a/b"), join(root, "results", "a", "b"));
  for (const bad of ["", ".", "..", "../x", "/tmp/x"]) {
    assert.throws(() => resultsDir(bad), RangeError, bad);
  }
  assert.throws(() => repoRoot({ from: "/" }), /cannot find the repository root/);
});
