/**
 * A stand-in for bench/peers.py that speaks its protocol without PyTorch: every step takes
 * exactly 1 ms (`once_ms` and `ms` are 1), `build` answers 1 parameter, an unknown command fails.
 * Tests and examples of bench/peers.ts start it as `deno run tests/fake_peer_server.ts`; with
 * the argument `--fail-build`, every `build` fails as a real server's would.
 *
 * @module
 */
const failBuild = Deno.args.includes("--fail-build");
const decoder = new TextDecoder();
let buffer = "";

function reply(line: string): Record<string, unknown> | null {
  const cmd = JSON.parse(line);
  switch (cmd.cmd) {
    case "hello":
      return { ok: true, torch: "fake", python: "fake", threads: 1 };
    case "build":
      return failBuild
        ? { ok: false, error: "ValueError: cannot build a step: fake failure" }
        : { ok: true, params: 1, once_ms: 1 };
    case "time":
      return { ok: true, ms: 1 };
    case "quit":
      return null;
    default:
      return { ok: false, error: `unknown command ${cmd.cmd}` };
  }
}

outer: for await (const chunk of Deno.stdin.readable) {
  buffer += decoder.decode(chunk, { stream: true });
  let end;
  while ((end = buffer.indexOf("\n")) >= 0) {
    const line = buffer.slice(0, end);
    buffer = buffer.slice(end + 1);
    if (!line.trim()) continue;
    const out = reply(line);
    if (out === null) break outer;
    console.log(JSON.stringify(out));
  }
}
