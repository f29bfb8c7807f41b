// Reads one problem file (CSV or Matrix Market) and prints the reader's peak memory: the process's
// maximum resident set minus its resident set before reading, in KiB. A fresh process, so that the
// high-water mark belongs to this read alone; test_io_limits runs it.
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "lsgd/error.hpp"
#include "lsgd/io.hpp"

namespace {
long rss_kib() {
  long pages = 0, resident = 0;
  std::ifstream("/proc/self/statm") >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const long before = rss_kib();
  try {
    const lsgd::Problem<double> p = lsgd::read_problem(argv[1]);
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    std::printf("%ld %lld %lld\n", ru.ru_maxrss - before, static_cast<long long>(p.m),
                static_cast<long long>(p.n));
  } catch (const lsgd::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
