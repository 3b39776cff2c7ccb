/**
 * Checks that every file a Markdown page names exists, so that `docs/ARCHITECTURE.md` stays true
 * as files move. A name is a code span or a link target that reads as a path relative to the
 * repository: slash-separated file-name characters, with a slash or a known extension (`lib/`,
 * `deno.json`, `lib/experiments/mod.ts`). Spans with placeholders (`results/<name>/`), globs or
 * spaces are not paths and are skipped.
 *
 *     deno run --allow-read tools/doc_paths.ts [FILE.md ...]   (default docs/ARCHITECTURE.md)
 *
 * Exits 1 and names every missing path when one is missing.
 *
 * @module
 */
import { join } from "node:path";
import { repoRoot } from "../lib/io.ts";

/** Extensions that make a span without a slash a file name (`deno.json`, `README.md`). */
export const FILE_EXTENSIONS = ["ts", "md", "json", "lock", "wat", "wasm", "py", "sh", "ipynb"];

/**
 * The repository paths a Markdown text names, in order of first appearance, without duplicates:
 * code spans and link targets that read as paths (see the module doc). A leading `./` is dropped.
 *
 * @example
 * ```ts
 * import { docPaths } from "../tools/doc_paths.ts";
 * import assert from "node:assert/strict";
 * const md = "Read `lib/mlp.ts` and [the CLI](lib/experiments/repro.ts); `deno.json`, `lib/`," +
 *   " but not `results/<name>/`, `Matrix.gatherColumns`, `fit()` or [a site](https://x.org/a.ts).";
 * assert.deepEqual(docPaths(md), ["lib/mlp.ts", "lib/experiments/repro.ts", "deno.json", "lib/"]);
 * ```
 */
export function docPaths(markdown: string): string[] {
  const found: { at: number; text: string }[] = [];
  for (const m of markdown.matchAll(/`([^`\n]+)`/g)) found.push({ at: m.index, text: m[1] });
  for (const m of markdown.matchAll(/\]\(([^)\s]+)\)/g)) found.push({ at: m.index, text: m[1] });
  const extension = new RegExp(`\\.(${FILE_EXTENSIONS.join("|")})$`);
  const paths = found.sort((a, b) => a.at - b.at)
    .map((f) => f.text.replace(/^\.\//, "").replace(/#.*$/, ""))
    .filter((text) =>
      /^\.?[A-Za-z0-9_][A-Za-z0-9_.\-]*(\/[A-Za-z0-9_.\-]+)*\/?$/.test(text) &&
      (text.includes("/") || extension.test(text))
    );
  return [...new Set(paths)];
}

/**
 * The paths that `markdown` names and that do not exist under `root`.
 *
 * @param options.root the repository (default: this one)
 * @example
 * ```ts
 * import { missingDocPaths } from "../tools/doc_paths.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(missingDocPaths("`lib/mlp.ts` and `lib/no_such_file.ts`"), ["lib/no_such_file.ts"]);
 * ```
 */
export function missingDocPaths(markdown: string, options: { root?: string } = {}): string[] {
  const root = options.root ?? repoRoot();
  return docPaths(markdown).filter((path) => {
    try {
      const info = Deno.statSync(join(root, path));
      return path.endsWith("/") ? !info.isDirectory : false;
    } catch {
      return true;
    }
  });
}

if (import.meta.main) {
  const root = repoRoot();
  const files = Deno.args.length > 0 ? Deno.args : ["docs/ARCHITECTURE.md"];
  let missing = 0;
  for (const file of files) {
    const text = await Deno.readTextFile(join(root, file));
    for (const path of missingDocPaths(text, { root })) {
      console.error(`${file} names ${path}, which does not exist`);
      missing++;
    }
    if (docPaths(text).length === 0) {
      console.error(`${file} names no path at all; is it the right file?`);
      missing++;
    }
  }
  if (missing > 0) Deno.exit(1);
  console.log(`every path named in ${files.join(", ")} exists`);
}
