// Smoke test of Google Benchmark as scripts/gpu_deps.py's probe found it: one benchmark must run,
// and with LSGD_PROBE_EXPECT_PREFIX set, a shared libbenchmark must be loaded from under that prefix.
#include <cstdio>
#include <string>

#include <benchmark/benchmark.h>

#include "loaded_library.hpp"

namespace {
long iterations_run = 0;

void BM_Sum(benchmark::State& state) {
  long total = 0;
  for (auto _ : state) {
    for (long i = 0; i < 1000; ++i) benchmark::DoNotOptimize(total += i);
    ++iterations_run;
  }
}
BENCHMARK(BM_Sum);
}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  const std::size_t ran = benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (ran != 1 || iterations_run == 0) {
    std::fprintf(stderr, "smoke_bench: %zu benchmarks ran, %ld iterations\n", ran, iterations_run);
    return 1;
  }
  const std::string path = loaded_library("libbenchmark");
  std::printf("lsgd-smoke: libbenchmark from %s\n", path.empty() ? "(linked statically)" : path.c_str());
  if (!path.empty() && !under_expected_prefix(path)) {
    std::fprintf(stderr, "smoke_bench: libbenchmark was loaded from %s, not from under "
                 "$LSGD_PROBE_EXPECT_PREFIX\n", path.c_str());
    return 1;
  }
  return 0;
}
