/**
 * fast-check for the tests, with a fixed global seed: property tests draw the same cases on every
 * run, so a failure is reproducible and a pass is not luck of the day. A property that passes its
 * own `seed` keeps it.
 *
 * @module
 */
import fc from "fast-check";

fc.configureGlobal({ seed: 20261130 });

export default fc;
