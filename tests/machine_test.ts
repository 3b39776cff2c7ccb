import assert from "node:assert/strict";
import { describeMachine, machineInfo, parseCpuinfo } from "@lib/machine.ts";

Deno.test("parseCpuinfo reads the first core's model, clock and vector flags", () => {
  const text = [
    "processor\t: 0",
    "model name\t: Intel(R) Xeon(R) Processor",
    "cpu MHz\t\t: 2599.998",
    "flags\t\t: fpu sse4_2 avx2 fma avx512f",
    "",
    "processor\t: 1",
    "model name\t: Intel(R) Xeon(R) Processor",
  ].join("\n");
  assert.deepEqual(parseCpuinfo(text), {
    cpu: "Intel(R) Xeon(R) Processor",
    mhz: 2599.998,
    vectorFlags: ["avx2", "fma", "avx512f"],
  });
});

Deno.test("parseCpuinfo gives 'unknown', no clock and no flags for text without those fields", () => {
  assert.deepEqual(parseCpuinfo(""), { cpu: "unknown", mhz: null, vectorFlags: [] });
});

Deno.test("machineInfo reports this runtime's versions, and describeMachine names them", () => {
  const m = machineInfo();
  assert.equal(m.v8, Deno.version.v8);
  assert.equal(m.target, Deno.build.target);
  const line = describeMachine(m);
  assert.ok(line.includes(`Deno ${Deno.version.deno}`) && line.includes(`${m.cores} cores`));
});
