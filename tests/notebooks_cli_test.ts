import assert from "node:assert/strict";
import { join } from "node:path";

const script = new URL("../tools/notebooks.ts", import.meta.url).pathname;

async function notebooks(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", "--allow-run", script, ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test("deno task notebooks with an unknown flag, a missing or non-notebook file, or a bad --timeout exits 2 with one line and no stack trace", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const missing = join(dir, "05_missing.ipynb"), text = join(dir, "notes.md");
    await Deno.writeTextFile(text, "# not a notebook\n");
    const cases: [string[], RegExp][] = [
      [["--bogus"], /^notebooks: unknown flag '--bogus'/],
      [["--check", "--check"], /^notebooks: --check given twice/],
      [[missing], new RegExp(`^notebooks: no notebook at ${missing}`)],
      [[dir], new RegExp(`^notebooks: ${dir} is a folder, not a notebook`)],
      [[text], new RegExp(`^notebooks: ${text} is not a notebook \\(\\.ipynb\\)`)],
      [
        ["--timeout", "1e3"],
        /^notebooks: --timeout: '1e3' is not a decimal integer from 1 to 86400/,
      ],
      [["--timeout", "1.5"], /--timeout: '1\.5' is not a decimal integer/],
      [["--timeout"], /^notebooks: --timeout needs a value/],
    ];
    for (const [args, message] of cases) {
      const r = await notebooks(args);
      assert.equal(r.code, 2, args.join(" "));
      assert.equal(r.stdout, "");
      assert.match(r.stderr, message);
      assert.match(r.stderr, /^[^\n]*\(`deno task notebooks --help` shows the usage\)\n$/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
