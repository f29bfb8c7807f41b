// Reader throughput: lsgd::read_problem on a numeric file (CSV, gzip-compressed CSV or Matrix
// Market), on one thread and on every core this process may use, and in the same run the readers a
// user would call instead, NumPy's loadtxt and pandas' read_csv (bench/peers/io_peers.py, each in a
// fresh interpreter). MB/s of file read (Google Benchmark's bytes_per_second, wall time), the
// process's CPU time and the peak memory.
//
//   bench_io [--lsgd_io_file=FILE] [--lsgd_io_rows=200000 --lsgd_io_cols=51 --lsgd_io_fmt=%.17g
//             --lsgd_io_delim=, --lsgd_io_header=1] [--lsgd_io_peers=0|1] [gbench flags]
//
// Without --lsgd_io_file it writes a file of rows x cols Gaussian values in printf format fmt,
// separated by delim (a header line x1..,y unless --lsgd_io_header=0), to a temporary directory:
// by default the shape of issue 14's measurement (200000 x 51 at %.17g); issue 25's is
// numpy.savetxt's 1,000,000 x 50 at %.18e (--lsgd_io_rows=1000000 --lsgd_io_cols=50
// --lsgd_io_fmt=%.18e --lsgd_io_header=0, 1.3 GB).
//
// The peers' times are their own timed reads (one per Google Benchmark repetition, interpreter
// start-up and imports excluded); their peak RSS is their interpreter's.
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
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

struct FileSpec {
  long rows = 200000, cols = 51;
  std::string fmt = "%.17g";
  char delim = ',';
  bool header = true;
};

std::string write_data_file(const fs::path& dir, const FileSpec& s) {
  const std::string path =
      (dir / ("io_" + std::to_string(s.rows) + "x" + std::to_string(s.cols) + ".csv")).string();
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return {};
  if (s.header) {
    for (long j = 0; j + 1 < s.cols; ++j) std::fprintf(f, "x%ld%c", j + 1, s.delim);
    std::fputs("y\n", f);
  }
  std::mt19937_64 rng(14);
  std::normal_distribution<double> g;
  char buf[64];
  for (long i = 0; i < s.rows; ++i) {
    for (long j = 0; j < s.cols; ++j) {
      std::snprintf(buf, sizeof buf, s.fmt.c_str(), g(rng));
      std::fputs(buf, f);
      std::fputc(j + 1 < s.cols ? s.delim : '\n', f);
    }
  }
  const bool ok = std::fclose(f) == 0;
  return ok ? path : std::string();
}

double process_cpu_seconds() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

void BM_read(benchmark::State& state, const std::string& path, int threads) {
  const double bytes = static_cast<double>(fs::file_size(path));
  lsgd::CsvOptions opt;
  opt.threads = threads;
  double cpu = 0.0;
  for (auto _ : state) {
    const double c0 = process_cpu_seconds();
    try {
      lsgd::Problem<double> p = lsgd::read_problem(path, opt);
      benchmark::DoNotOptimize(p.A.data());
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      return;
    }
    cpu += process_cpu_seconds() - c0;
  }
  const auto iters = static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes * iters));
  state.counters["file_MB"] = bytes / 1e6;
  // All threads' CPU time: on a shared machine, what the read itself cost.
  state.counters["cpu_MB/s"] = bytes * iters / cpu / 1e6;
  state.counters["threads"] = threads;
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  state.counters["peak_rss_MB"] = static_cast<double>(ru.ru_maxrss) / 1024.0;
}

// A number after "key": in the peer's JSON line (or NaN).
double json_number_after(const std::string& s, const std::string& key) {
  const size_t k = s.find("\"" + key + "\":");
  if (k == std::string::npos) return std::nan("");
  const char* p = s.c_str() + k + key.size() + 3;
  while (*p == ' ' || *p == '[') ++p;
  return std::strtod(p, nullptr);
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// One timed read by a peer (io_peers.py --measure NAME) per iteration, in a fresh interpreter.
void BM_peer(benchmark::State& state, const std::string& script, const std::string& path,
             const std::string& peer) {
  const double bytes = static_cast<double>(fs::file_size(path));
  double peak = 0.0, cpu = 0.0;
  for (auto _ : state) {
    const std::string cmd = "python3 " + shell_quote(script) + " --file " + shell_quote(path) +
                            " --measure " + peer + " --repetitions 1 --warmup 0 2>&1";
    std::FILE* f = ::popen(cmd.c_str(), "r");
    if (f == nullptr) {
      state.SkipWithError("cannot start python3");
      return;
    }
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    const int st = ::pclose(f);
    const double seconds = json_number_after(out, "seconds");
    if (st != 0 || !(seconds > 0.0)) {
      while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
      const size_t nl = out.rfind('\n');
      state.SkipWithError(
          (peer + ": " + (nl == std::string::npos ? out : out.substr(nl + 1))).c_str());
      return;
    }
    state.SetIterationTime(seconds);
    cpu += json_number_after(out, "cpu_seconds");
    peak = std::max(peak, json_number_after(out, "peak_rss_MB"));
  }
  const auto iters = static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes * iters));
  state.counters["file_MB"] = bytes / 1e6;
  state.counters["cpu_MB/s"] = bytes * iters / cpu / 1e6;
  state.counters["peak_rss_MB"] = peak;
}

int usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string file = flag_value(argc, argv, "lsgd_io_file", "");
  FileSpec spec;
  spec.rows = std::atol(flag_value(argc, argv, "lsgd_io_rows", "200000").c_str());
  spec.cols = std::atol(flag_value(argc, argv, "lsgd_io_cols", "51").c_str());
  spec.fmt = flag_value(argc, argv, "lsgd_io_fmt", "%.17g");
  const std::string delim = flag_value(argc, argv, "lsgd_io_delim", ",");
  spec.delim = delim == "space" ? ' ' : delim == "tab" ? '\t' : delim.empty() ? ',' : delim[0];
  spec.header = flag_value(argc, argv, "lsgd_io_header", "1") != "0";
  const bool peers = flag_value(argc, argv, "lsgd_io_peers", "1") != "0";
  const std::string script = flag_value(argc, argv, "lsgd_io_peers_script", LSGD_IO_PEERS_SCRIPT);
  fs::path tmp;
  if (file.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "lsgd_bench_io_XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr || spec.rows < 1 || spec.cols < 2) {
      std::fprintf(stderr, "bench_io: cannot create the test file\n");
      return 1;
    }
    tmp = tmpl;
    file = write_data_file(tmp, spec);
    if (file.empty()) {
      std::fprintf(stderr, "bench_io: cannot write the test file in %s\n", tmpl.c_str());
      return 1;
    }
  }
  const std::string base = fs::path(file).filename().string();
  const int cores = usable_cores();
  for (const int threads : {1, cores}) {
    benchmark::RegisterBenchmark(
        ("io/lsgd.read/threads:" + std::to_string(threads) + "/" + base).c_str(), BM_read, file,
        threads)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->MinTime(2.0);
    if (cores == 1) break;
  }
  // The peers read CSV text only (pandas also .gz, but NumPy's loadtxt reads it slowly in Python).
  const std::string ext = fs::path(file).extension().string();
  if (peers && (ext == ".csv" || ext == ".txt" || ext == ".tsv")) {
    for (const char* peer : {"numpy.loadtxt", "pandas.read_csv"}) {
      benchmark::RegisterBenchmark((std::string("io/") + peer + "/" + base).c_str(), BM_peer,
                                   script, file, std::string(peer))
          ->Unit(benchmark::kMillisecond)
          ->UseManualTime()
          ->Iterations(1);
    }
  }
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("lsgd_io_file", file);
  benchmark::AddCustomContext("lsgd_io_file_bytes", std::to_string(fs::file_size(file)));
  benchmark::AddCustomContext("lsgd_io_cores", std::to_string(cores));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (!tmp.empty()) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
  }
  return 0;
}
