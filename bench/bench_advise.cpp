// `lsgd advise`'s answer time (issue 26 target: < 100 ms): reading a results directory's table,
// fitting the models a question needs and ranking the solvers, as the command does (less the
// process start). Google Benchmark, wall time.
//
//   bench_advise [--lsgd_advise_results=DIR] [gbench flags]     (default: the committed CPU run)
//
// The whole command, process start included: docs/advise.md, "Answer time".
#include <cstring>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "tools/advise.hpp"

namespace {

std::string g_results = std::string(LSGD_SOURCE_DIR) + "/results/cpu-2core-20261129";

lsgd::advise::Query question(int which) {
  lsgd::advise::Query q;
  switch (which) {
    case 0:  // tall-skinny f64 regression
      q.m = 1000000, q.n = 50;
      break;
    case 1:  // 10,000 small f32 problems
      q.m = 64, q.n = 8, q.batch = 10000, q.precision = "f32", q.digits = 3;
      break;
    default:  // gradient descent, 100 iterations
      q.m = 65536, q.n = 256, q.iterations = 100, q.precision = "f32", q.kappa = 10, q.digits = 2;
      break;
  }
  return q;
}

void BM_ReadTable(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(lsgd::advise::read_table(g_results).rows.size());
}

// Cold: read, fit what the question needs (leave-one-out intervals included), rank.
void BM_Answer(benchmark::State& state) {
  for (auto _ : state) {
    const lsgd::advise::Advisor adv({lsgd::advise::read_table(g_results)});
    benchmark::DoNotOptimize(adv.advise(question(static_cast<int>(state.range(0)))).ranked.size());
  }
}

// Warm: the models fitted; one more question (what --map asks per grid point).
void BM_AnswerWarm(benchmark::State& state) {
  const lsgd::advise::Advisor adv({lsgd::advise::read_table(g_results)});
  const lsgd::advise::Query q = question(static_cast<int>(state.range(0)));
  adv.advise(q);
  for (auto _ : state) benchmark::DoNotOptimize(adv.advise(q).ranked.size());
}

}  // namespace

BENCHMARK(BM_ReadTable)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Answer)->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AnswerWarm)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond)->UseRealTime();

int main(int argc, char** argv) {
  const std::string prefix = "--lsgd_advise_results=";
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0) {
      g_results = argv[i] + prefix.size();
    } else {
      rest.push_back(argv[i]);
    }
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  if (benchmark::ReportUnrecognizedArguments(n, rest.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
