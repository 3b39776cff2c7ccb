import assert from "node:assert/strict";
import { join } from "node:path";
import { END, linesTable, nonBlankLines, replaceTable, START } from "../tools/lines.ts";
import { ensureKernelspec, kernelJson, launcherScript } from "../tools/kernelspec.ts";
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

Deno.test("the kernelspec runs its launcher with NO_COLOR, keeping what deno jupyter wrote", () => {
  const installed = {
    argv: ["/elsewhere/deno", "jupyter", "--kernel", "--conn", "{connection_file}"],
    display_name: "Deno",
    language: "typescript",
    env: { A: "1" },
  };
  assert.deepEqual(kernelJson("/k/launch.sh", installed), {
    ...installed,
    argv: ["/k/launch.sh", ...installed.argv.slice(1)],
    env: { A: "1", NO_COLOR: "1" },
  });
  assert.deepEqual(kernelJson("/k/launch.sh").argv.slice(1), installed.argv.slice(1));
});

/** Writes an executable script `name` into `dir` that prints its name and arguments. */
async function fakeProgram(dir: string, name: string, versionLine = ""): Promise<string> {
  const path = join(dir, name);
  const version = versionLine ? `[ "$1" = --version ] && { echo "${versionLine}"; exit 0; }\n` : "";
  await Deno.writeTextFile(path, `#!/bin/sh\n${version}echo ${name} "$@"\n`, { mode: 0o755 });
  return path;
}

Deno.test("the launcher runs the recorded deno, else deno of its version on PATH, else npx", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sgdlab_launcher_test_" });
  try {
    const bin = join(dir, "bin");
    await Deno.mkdir(bin);
    const launcher = join(dir, "launch.sh");
    const run = async (recorded: string) => {
      await Deno.writeTextFile(launcher, launcherScript(recorded, "2.9.6"), { mode: 0o755 });
      const out = await new Deno.Command(launcher, {
        args: ["jupyter", "--kernel"],
        env: { PATH: bin },
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim();
      return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
    };
    const recorded = await fakeProgram(dir, "recorded");
    assert.deepEqual(await run(recorded), {
      code: 0,
      stdout: "recorded jupyter --kernel",
      stderr: "",
    });
    const gone = join(dir, "cleared-npx-cache", "deno");
    const none = await run(gone);
    assert.equal(none.code, 127);
    assert.match(none.stderr, /cannot start deno 2\.9\.6: .*cleared-npx-cache\/deno is gone/);
    await fakeProgram(bin, "npx");
    assert.equal((await run(gone)).stdout, "npx --yes deno@2.9.6 jupyter --kernel");
    await fakeProgram(bin, "deno", "deno 2.9.5 (stable, release, x86_64-unknown-linux-gnu)");
    assert.equal(
      (await run(gone)).stdout,
      "npx --yes deno@2.9.6 jupyter --kernel",
      "wrong version",
    );
    await fakeProgram(bin, "deno", "deno 2.9.6 (stable, release, x86_64-unknown-linux-gnu)");
    assert.equal((await run(gone)).stdout, "deno jupyter --kernel");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ensureKernelspec repairs a kernelspec that names a deno binary directly", async () => {
  const root = await Deno.makeTempDir({ prefix: "sgdlab_kernelspec_test_" });
  try {
    const kernelDir = join(root, ".jupyter", "kernels", "deno");
    await Deno.mkdir(kernelDir, { recursive: true });
    const stale = kernelJson("/root/.npm/_npx/0123/node_modules/deno/deno");
    await Deno.writeTextFile(join(kernelDir, "kernel.json"), JSON.stringify(stale));
    assert.equal(await ensureKernelspec({ root }), join(root, ".jupyter"));
    const spec = JSON.parse(await Deno.readTextFile(join(kernelDir, "kernel.json")));
    const launcher = join(kernelDir, "launch.sh");
    assert.equal(spec.argv[0], launcher);
    assert.equal(spec.env.NO_COLOR, "1");
    assert.equal(
      await Deno.readTextFile(launcher),
      launcherScript(Deno.execPath(), Deno.version.deno),
    );
    assert.equal((await Deno.stat(launcher)).mode! & 0o111, 0o111, "the launcher is executable");
    const before = await Deno.stat(join(kernelDir, "kernel.json"));
    await ensureKernelspec({ root }); // up to date: left alone
    assert.deepEqual((await Deno.stat(join(kernelDir, "kernel.json"))).mtime, before.mtime);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
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

Deno.test("publish_results copies the named files of a finished run and stamps them with its commit, seed, profile and machine", async () => {
  const { readRunStamp, publishedReadme } = await import("../tools/publish_results.ts");
  const from = await Deno.makeTempDir(), to = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(from, ".repro", "report"), { recursive: true });
    await Deno.mkdir(join(from, "demo"));
    await Deno.writeTextFile(
      join(from, ".repro", "report", "demo.json"),
      JSON.stringify({ name: "demo", seed: 7, profile: "full", commit: "1234567" }),
    );
    await Deno.writeTextFile(join(from, "REPORT.md"), "# r\n\nMachine: box, 2 cores\n");
    await Deno.writeTextFile(join(from, "demo", "verdict.csv"), "a,b\n1,2\n");
    const tool = new URL("../tools/publish_results.ts", import.meta.url).pathname;
    const run = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        tool,
        "--from",
        from,
        "--name",
        "demo",
        "--file",
        "verdict.csv",
        "--command",
        "deno task repro --full --only demo",
        "--to",
        to,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
    assert.equal(await Deno.readTextFile(join(to, "demo", "verdict.csv")), "a,b\n1,2\n");
    const readme = await Deno.readTextFile(join(to, "demo", "README.md"));
    const stamp = await readRunStamp(from, "demo");
    assert.equal(
      readme,
      publishedReadme({
        name: "demo",
        files: ["verdict.csv"],
        command: "deno task repro --full --only demo",
        stamp,
      }),
    );
    assert.match(readme, /commit 1234567 · seed 7 · profile full/);
    assert.match(readme, /Machine: box, 2 cores/);
  } finally {
    await Deno.remove(from, { recursive: true });
    await Deno.remove(to, { recursive: true });
  }
});
