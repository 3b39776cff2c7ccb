import assert from "node:assert/strict";
import { join } from "node:path";
import { docPaths, missingDocPaths } from "../tools/doc_paths.ts";

const root = new URL("..", import.meta.url).pathname;
const script = join(root, "tools/doc_paths.ts");

async function check(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", script, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test("every file docs/ARCHITECTURE.md names exists, and it names the files of each layer", async () => {
  const text = await Deno.readTextFile(join(root, "docs/ARCHITECTURE.md"));
  assert.deepEqual(missingDocPaths(text, { root }), []);
  const named = docPaths(text);
  for (
    const file of ["lib/kernels/mod.ts", "lib/mlp.ts", "lib/train.ts", "lib/experiments/mod.ts"]
  ) {
    assert.ok(named.includes(file), file);
  }
  const r = await check([]);
  assert.equal(r.code, 0, r.stderr);
});

Deno.test("the path check fails naming each missing file, a folder that is a file, and a page with no path", async () => {
  const dir = await Deno.makeTempDir({ dir: root });
  try {
    const rel = dir.slice(root.length);
    await Deno.writeTextFile(
      join(dir, "page.md"),
      "See `lib/mlp.ts`, `lib/gone.ts`, [old](lib/old/) and `deno.json/`.\n",
    );
    await Deno.writeTextFile(join(dir, "empty.md"), "Nothing here.\n");
    const r = await check([`${rel}/page.md`, `${rel}/empty.md`]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      [
        `${rel}/page.md names lib/gone.ts, which does not exist`,
        `${rel}/page.md names lib/old/, which does not exist`,
        `${rel}/page.md names deno.json/, which does not exist`,
        `${rel}/empty.md names no path at all; is it the right file?`,
        "",
      ].join("\n"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
