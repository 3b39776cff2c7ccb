import assert from "node:assert/strict";
import { join } from "node:path";
import fc from "./fc.ts";
// @ts-types="npm:@types/d3-dsv@^3"
import { csvFormatRows } from "d3-dsv";
import {
  type CsvValue,
  formatCsv,
  parseCsv,
  parseCsvValue,
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

Deno.test("a string that would read back as a number, a boolean or null is quoted and stays a string", () => {
  const rows = [{ a: "1.5", b: "true", c: "", d: "NaN", e: "1e3", f: "Infinity", g: "false" }];
  const text = formatCsv(rows);
  assert.equal(text, 'a,b,c,d,e,f,g\n"1.5","true","","NaN","1e3","Infinity","false"\n');
  assert.deepEqual(parseCsv(text), rows);
  // the same values as numbers, booleans and null stay plain and typed
  const typed = [{ a: 1.5, b: true, c: null, d: NaN, e: 1000, f: Infinity, g: false }];
  assert.equal(formatCsv(typed), "a,b,c,d,e,f,g\n1.5,true,,NaN,1000,Infinity,false\n");
  assert.deepEqual(parseCsv(formatCsv(typed)), typed);
});

Deno.test("a string that starts like a formula is escaped behind ' and reads back unchanged; numbers stay plain", () => {
  const formulas = [
    '=HYPERLINK("http://x","y")',
    "+1+2",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=2",
    "-",
    "'=1",
  ];
  const rows = [Object.fromEntries(formulas.map((v, i) => [`c${i}`, v]))];
  const text = formatCsv(rows);
  const cells = text.split("\n").slice(1).join("\n");
  assert.equal(
    cells,
    '"\'=HYPERLINK(""http://x"",""y"")","\'+1+2","\'-2+3","\'@SUM(A1)","\'\t=1","\'\r=2","\'-","\'\'=1"\n',
  );
  assert.deepEqual(parseCsv(text), rows);
  assert.equal(
    formatCsv([{ "=cmd": -0.5, b: -0, c: -1e-7, d: "-0.5" }]),
    '"\'=cmd",b,c,d\n-0.5,-0,-1e-7,"\'-0.5"\n',
    "a header cell is guarded too; negative numbers are data",
  );
  assert.deepEqual(parseCsv('"\'=cmd",d\n-0.5,"\'-0.5"\n'), [{ "=cmd": -0.5, d: "-0.5" }]);
});

/** A cell that is neither a formula nor text that reads back as another type. */
const plainString = fc.string({ unit: "binary", maxLength: 12 }).filter((s) =>
  !/^'*[=+\-@\t\r]/.test(s) && parseCsvValue(s) === s
);

Deno.test("property: a CSV round trip keeps every value and its type, strings included", () => {
  const value: fc.Arbitrary<CsvValue> = fc.oneof(
    fc.string({ unit: "binary", maxLength: 12 }),
    fc.constantFrom("1.5", "-0.5", "true", "", "NaN", "=1", "'+x", " 1", "a,b", 'q"q', "x\r\ny"),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(value, value), { minLength: 1, maxLength: 8 }), (pairs) => {
      const rows = pairs.map(([a, b]) => ({ a, b }));
      const back = parseCsv(formatCsv(rows));
      return back.every((row, i) => Object.is(row.a, rows[i].a) && Object.is(row.b, rows[i].b));
    }),
    { seed: 20240602, numRuns: 500 },
  );
});

Deno.test("property: CSV text is byte for byte d3-dsv's unless a string is ambiguous or a formula", () => {
  const cell = fc.oneof(plainString, fc.double(), fc.boolean(), fc.constant(null));
  fc.assert(
    fc.property(fc.array(fc.tuple(cell, cell), { minLength: 1, maxLength: 8 }), (pairs) => {
      const rows = pairs.map(([a, b]) => ({ a, b }));
      const d3 = csvFormatRows([
        ["a", "b"],
        ...pairs.map((pair) =>
          pair.map((v) =>
            typeof v === "number"
              ? (Object.is(v, -0) ? "-0" : String(v))
              : v === null
              ? ""
              : String(v)
          )
        ),
      ]) + "\n";
      return formatCsv(rows) === d3;
    }),
    { seed: 20240603, numRuns: 500 },
  );
});

Deno.test("reading a quoted field that never closes, or text after its closing quote, fails", () => {
  assert.throws(() => parseCsv('a,b\n1,"open\n'), /a quoted field in row 1 is never closed/);
  assert.throws(
    () => parseCsv('a,b\n"x"y,1\n'),
    /row 1 has text after the closing quote of a field/,
  );
  assert.deepEqual(parseCsv("a,b\r\n1,2\r\n"), [{ a: 1, b: 2 }], "CRLF line ends");
  assert.deepEqual(parseCsv("a,b\n1,"), [{ a: 1, b: null }], "no final newline");
});
