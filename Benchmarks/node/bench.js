#!/usr/bin/env node
// The chapter's buffer benchmark, by the same scenario names as `allocshim bench`, so Node and
// AllocShim are measured in one run on one machine. No dependencies.
//
//   node Benchmarks/node/bench.js [--iterations N] [--repetitions R] [--scenario NAME]...
//
// Prints a JSON array of {scenario, iterations, nsPerOp, repetitions, node, checksum}; nsPerOp
// is the median over R repetitions. Every buffer is kept observable (a byte written for the
// unsafe forms, a byte folded into a checksum that is printed) so V8 cannot drop the work.
"use strict";

const KiB = 1024;
const MiB = 1024 * 1024;
const bigString = "a".repeat(MiB);
const bigBuffer = Buffer.alloc(MiB, "a");

const scenarios = {
  "alloc-100B": { size: 100, make: (s) => Buffer.alloc(s), write: false },
  "allocUnsafe-100B": { size: 100, make: (s) => Buffer.allocUnsafe(s), write: true },
  "allocUnsafeSlow-100B": { size: 100, make: (s) => Buffer.allocUnsafeSlow(s), write: true },
  "alloc-10KiB": { size: 10 * KiB, make: (s) => Buffer.alloc(s), write: false },
  "allocUnsafe-10KiB": { size: 10 * KiB, make: (s) => Buffer.allocUnsafe(s), write: true },
  "allocUnsafeSlow-10KiB": { size: 10 * KiB, make: (s) => Buffer.allocUnsafeSlow(s), write: true },
  "alloc-1MiB": { size: MiB, make: (s) => Buffer.alloc(s), write: false },
  "allocUnsafe-1MiB": { size: MiB, make: (s) => Buffer.allocUnsafe(s), write: true },
  "allocUnsafeSlow-1MiB": { size: MiB, make: (s) => Buffer.allocUnsafeSlow(s), write: true },
  "from-string-1MiB": { size: MiB, make: () => Buffer.from(bigString, "utf8"), write: false },
  "from-buffer-1MiB": { size: MiB, make: () => Buffer.from(bigBuffer), write: false },
};

function fail(message) {
  process.stderr.write(`bench.js: ${message}\n`);
  process.exit(2);
}

function parse(argv) {
  const options = { iterations: 10000, repetitions: 5, scenarios: [] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === "--iterations" || flag === "--repetitions") {
      const number = Number(value);
      if (!Number.isInteger(number) || number < 1) fail(`${flag} needs a positive integer, got '${value}'`);
      options[flag.slice(2)] = number;
      i++;
    } else if (flag === "--scenario") {
      if (!(value in scenarios)) fail(`unknown scenario '${value}'; valid scenarios are: ${Object.keys(scenarios).join(", ")}`);
      options.scenarios.push(value);
      i++;
    } else {
      fail(`unknown argument '${flag}'; usage: bench.js [--iterations N] [--repetitions R] [--scenario NAME]...`);
    }
  }
  if (options.scenarios.length === 0) options.scenarios = Object.keys(scenarios);
  return options;
}

let checksum = 0;

function timeOnce(scenario, iterations) {
  const { size, make, write } = scenarios[scenario];
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    const buffer = make(size);
    if (write) buffer[i % size] = i & 0xff;
    checksum = (checksum + buffer[i % size]) | 0;
  }
  return Number(process.hrtime.bigint() - start) / iterations;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const options = parse(process.argv.slice(2));
const results = options.scenarios.map((scenario) => {
  timeOnce(scenario, Math.max(1, Math.floor(options.iterations / 10))); // warm-up: JIT and pool
  const times = [];
  for (let r = 0; r < options.repetitions; r++) times.push(timeOnce(scenario, options.iterations));
  return {
    scenario,
    iterations: options.iterations,
    nsPerOp: median(times),
    repetitions: options.repetitions,
    node: process.version,
    checksum,
  };
});
process.stdout.write(JSON.stringify(results, null, 2) + "\n");
