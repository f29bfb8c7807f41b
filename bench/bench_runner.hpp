#pragma once
// The shared main of the benchmark binaries: flags, ceilings, context, registration of every
// registry solver of a family over the preset's sizes, run.
namespace lsgd::bench {

enum class Family { ls, bls, gd, bgd, tta, acc };
const char* to_string(Family f);

// Parses the lsgd flags, measures the ceilings, registers the family's benchmarks and runs them.
// Returns the process exit code.
int run_main(int argc, char** argv, Family family);

}  // namespace lsgd::bench
