// Google Benchmark binary of the "acc" family: digits correct against time across kappa
// (see docs/benchmarks.md).
#include "bench/bench_runner.hpp"

int main(int argc, char** argv) {
  return lsgd::bench::run_main(argc, argv, lsgd::bench::Family::acc);
}
