// Google Benchmark binary of the "tta" family (see docs/benchmarks.md).
#include "bench/bench_runner.hpp"

int main(int argc, char** argv) {
  return lsgd::bench::run_main(argc, argv, lsgd::bench::Family::tta);
}
