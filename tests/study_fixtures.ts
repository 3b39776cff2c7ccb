/**
 * The fair study's tiny profile for tests: 300 MNIST digits, 784-8-10, b = 16, 2 epochs, η from
 * {0.1, 0.2} on one tuning seed, 2 evaluation seeds; the cells are uniform (constant and step
 * decay), the presampled upper bound, stale scores, selective backprop and ISGD.
 *
 * @module
 */
import type { StudyProfile } from "@lib/experiments/importance/study/profile.ts";
import { studyProfiles } from "@lib/experiments/importance/study/profile.ts";

/** The tiny profile (see the module doc). */
export const TINY_STUDY: StudyProfile = {
  ...studyProfiles.quick,
  trainSize: 300,
  testSize: 100,
  hidden: [8],
  batchSizes: [16],
  cells: [
    {
      sampler: "uniform",
      presample: null,
      batchSizes: [16],
      schedules: ["constant", "step-decay"],
    },
    { sampler: "upper-bound", presample: [3], batchSizes: [16], schedules: ["constant"] },
    { sampler: "stale-scores", presample: null, batchSizes: [16], schedules: ["constant"] },
    { sampler: "selective-backprop", presample: [3], batchSizes: [16], schedules: ["constant"] },
    { sampler: "isgd", presample: null, batchSizes: [16], schedules: ["constant"] },
  ],
  epochs: 2,
  evaluations: 4,
  etaGrid: [0.1, 0.2],
  maxWiden: 0,
  tuningSeedOffsets: [1000],
  evaluationSeeds: 2,
  diagnosticAt: [0.5, 1],
  diagnosticSize: 100,
};
