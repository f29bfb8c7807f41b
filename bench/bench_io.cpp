// Reader throughput: lsgd::read_csv and lsgd::read_matrix_market on a numeric file, in MB/s of file
// read (Google Benchmark's bytes_per_second, wall time), and the peak memory of the process.
// bench/peers/io_peers.py times NumPy's loadtxt and pandas' read_csv on the same file.
//
//   bench_io [--lsgd_io_file=FILE.csv|.mtx] [--lsgd_io_rows=200000 --lsgd_io_cols=51] [gbench flags]
//
// Without --lsgd_io_file it writes a CSV of rows x cols Gaussian values at %.17g (a header line,
// target last) to a temporary directory: the shape of issue 14's measurement (200000 x 51).
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "lsgd/io.hpp"

namespace {

namespace fs = std::filesystem;

std::string flag_value(int& argc, char** argv, const char* name, const std::string& def) {
  const std::string prefix = std::string("--") + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0) {
      std::string v = argv[i] + prefix.size();
      for (int k = i; k + 1 < argc; ++k) argv[k] = argv[k + 1];
      --argc;
      return v;
    }
  }
  return def;
}

std::string write_csv_file(const fs::path& dir, long rows, long cols) {
  const std::string path = (dir / ("io_" + std::to_string(rows) + "x" + std::to_string(cols) + ".csv")).string();
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return {};
  for (long j = 0; j + 1 < cols; ++j) std::fprintf(f, "x%ld,", j + 1);
  std::fputs("y\n", f);
  std::mt19937_64 rng(14);
  std::normal_distribution<double> g;
  for (long i = 0; i < rows; ++i) {
    for (long j = 0; j < cols; ++j) std::fprintf(f, j + 1 < cols ? "%.17g," : "%.17g\n", g(rng));
  }
  const bool ok = std::fclose(f) == 0;
  return ok ? path : std::string();
}

void BM_read(benchmark::State& state, const std::string& path) {
  const double bytes = static_cast<double>(fs::file_size(path));
  for (auto _ : state) {
    try {
      lsgd::Problem<double> p = lsgd::read_problem(path);
      benchmark::DoNotOptimize(p.A.data());
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      return;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes * static_cast<double>(state.iterations())));
  state.counters["file_MB"] = bytes / 1e6;
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  state.counters["peak_rss_MB"] = static_cast<double>(ru.ru_maxrss) / 1024.0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string file = flag_value(argc, argv, "lsgd_io_file", "");
  const long rows = std::atol(flag_value(argc, argv, "lsgd_io_rows", "200000").c_str());
  const long cols = std::atol(flag_value(argc, argv, "lsgd_io_cols", "51").c_str());
  fs::path tmp;
  if (file.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "lsgd_bench_io_XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr || rows < 1 || cols < 2) {
      std::fprintf(stderr, "bench_io: cannot create the test file\n");
      return 1;
    }
    tmp = tmpl;
    file = write_csv_file(tmp, rows, cols);
    if (file.empty()) {
      std::fprintf(stderr, "bench_io: cannot write the test file in %s\n", tmpl.c_str());
      return 1;
    }
  }
  const std::string kind = fs::path(file).extension().string();
  benchmark::RegisterBenchmark(("io/lsgd.read" + kind + "/" + fs::path(file).filename().string()).c_str(),
                               BM_read, file)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->MinTime(2.0);
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("lsgd_io_file", file);
  benchmark::AddCustomContext("lsgd_io_file_bytes", std::to_string(fs::file_size(file)));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (!tmp.empty()) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
  }
  return 0;
}
