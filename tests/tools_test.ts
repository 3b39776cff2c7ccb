import assert from "node:assert/strict";
import { join } from "node:path";
import { END, linesTable, nonBlankLines, replaceTable, START } from "../tools/lines.ts";
import { kernelJson } from "../tools/kernelspec.ts";
import { type Notebook, notebookDifference, runNotebooks } from "../tools/notebooks.ts";

function notebook(outputs: string[], tags: string[][] = outputs.map(() => [])): Notebook {
  return {
    cells: outputs.map((text, i) => ({
      cell_type: "code",
      id: `c${i}`,
      source: [`await display("${i}");\n`, "// more"],
      metadata: { tags: tags[i] },
      execution_count: i + 1,
      outputs: [{ output_type: "stream", name: "stdout", text }],
    })),
    metadata: { kernelspec: { name: "deno" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

Deno.test("notebook check ignores outputs of timing-tagged cells and nothing else", () => {
  const tags = [[], ["timing"]];
  assert.equal(
    notebookDifference(notebook(["a", "1 ms"], tags), notebook(["a", "2 ms"], tags)),
    undefined,
  );
  assert.match(
    notebookDifference(notebook(["a", "1 ms"]), notebook(["a", "2 ms"]))!,
    /^cell 2 \(id c1\) `await display\("1"\);` differs in outputs: output 1 is stream "1 ms" committed, stream "2 ms" executed$/,
  );
  assert.match(
    notebookDifference(notebook(["a", "b"], tags), notebook(["x", "b"], tags))!,
    /^cell 1 /,
  );
});

Deno.test("notebook check reports added cells and changed notebook metadata", () => {
  assert.equal(
    notebookDifference(notebook(["a"]), notebook(["a", "b"])),
    "cell count differs: 1 committed, 2 executed",
  );
  const executed = notebook(["a"]);
  executed.metadata = { kernelspec: { name: "python3" } };
  assert.equal(
    notebookDifference(notebook(["a"]), executed),
    "notebook metadata or format differs",
  );
});

Deno.test("the notebooks runner passes an empty notebooks folder without Jupyter", async () => {
  const root = await Deno.makeTempDir({ prefix: "sgdlab_tools_test_" });
  const log = console.log;
  const printed: string[] = [];
  console.log = (line: string) => printed.push(line);
  try {
    await Deno.mkdir(join(root, "notebooks"));
    assert.deepEqual(await runNotebooks([], { check: true, root }), { passed: 0, failed: 0 });
  } finally {
    console.log = log;
    await Deno.remove(root, { recursive: true });
  }
  assert.deepEqual(printed, ["no notebooks in notebooks/"]);
});

Deno.test("the kernelspec runs this deno with NO_COLOR, keeping what deno jupyter wrote", () => {
  const installed = {
    argv: ["/elsewhere/deno", "jupyter", "--kernel", "--conn", "{connection_file}"],
    display_name: "Deno",
    language: "typescript",
    env: { A: "1" },
  };
  assert.deepEqual(kernelJson("/bin/deno", installed), {
    ...installed,
    argv: ["/bin/deno", ...installed.argv.slice(1)],
    env: { A: "1", NO_COLOR: "1" },
  });
  assert.deepEqual(kernelJson("/bin/deno").argv.slice(1), installed.argv.slice(1));
});

Deno.test("the lines table is already in deno fmt's Markdown layout", async () => {
  const readme = replaceTable(
    `# t\n\n${START}\n${END}\n`,
    linesTable({ "a.ts": 7, "long_name.ts": 1234 }),
  );
  const fmt = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext", "md", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = fmt.stdin.getWriter();
  await writer.write(new TextEncoder().encode(readme));
  await writer.close();
  const out = await fmt.output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  assert.equal(new TextDecoder().decode(out.stdout), readme);
  assert.equal(nonBlankLines("x\n \n\ty\n"), 2);
});
