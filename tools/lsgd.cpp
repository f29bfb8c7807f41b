// The lsgd command-line tool: list solvers, solve a problem from a file, generate synthetic data,
// advise a solver and device from measured results.
//
// Exit status: 0 success; 1 data, numerical or device error ("lsgd: <file>:<line>: ..."); 2 usage
// error ("lsgd: error: ..."). Either error is exactly one line on stderr; no exception escapes.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "lsgd/error.hpp"
#include "lsgd/mpi.hpp"
#include "lsgd/io.hpp"
#include "tools/cli_args.hpp"
#include "tools/cli_commands.hpp"
#include "common/text_format.hpp"

namespace {

const char* kUsage =
    "usage: lsgd <command> [options]\n\n"
    "Least-squares solvers (CPU and CUDA, direct and gradient descent) from one registry.\n\n"
    "commands:\n"
    "  list    the registered solvers, whether each can run here, the device and threads\n"
    "  solve   solve a problem from a .csv/.mtx file with one solver, or compare all of them\n"
    "  gen     write a synthetic problem (condition number, noise, rank, seed) to a file\n"
    "  advise  which solver and device for an m x n problem, how long, how many digits: from\n"
    "          measured results\n\n"
    "'lsgd <command> --help' lists the options of a command.\n"
    "Exit status: 0 ok, 1 data/numerical/device error, 2 usage error.\n";

int dispatch(const std::vector<std::string>& args) {
  using namespace lsgd::cli;
  if (args.empty()) throw UsageError("missing command (list, solve, gen or advise; see 'lsgd --help')");
  const std::string& cmd = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (cmd == "--version") {
    std::printf("lsgd %s\n", LSGD_VERSION);
    return 0;
  }
  if (cmd == "list") return run_list(rest);
  if (cmd == "solve") return run_solve(rest);
  if (cmd == "gen") return run_gen(rest);
  if (cmd == "advise") return run_advise(rest);
  throw UsageError("unknown command '" + cmd + "' (list, solve, gen or advise; see 'lsgd --help')");
}

void report(const char* prefix, const std::string& what) {
  // Under mpirun every rank ends with the same (agreed) error: rank 0 alone prints it.
  if (lsgd::mpi::initialized() && lsgd::mpi::rank() != 0) return;
  std::fflush(stdout);
  std::fprintf(stderr, "%s%s\n", prefix, lsgd::cli::message_line(what).c_str());
}

// SIGINT/SIGTERM/SIGHUP while a file is being written: remove its temporary, then die of the signal
// as if unhandled (so the parent sees the usual status).
extern "C" void on_fatal_signal(int sig) {
  if (lsgd::defer_signal_during_creation(sig)) return;  // the writer raises it again
  lsgd::remove_temporary_files();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void install_signal_handlers() {
  for (const int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction sa {};
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    struct sigaction old {};
    // A signal the caller chose to ignore (nohup, background jobs) stays ignored.
    if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    sigaction(sig, &sa, nullptr);
  }
}

// stdout is buffered: a full disk or a closed pipe shows only when it is flushed. A report that did
// not reach its reader is a failure, not a success.
int finish_stdout(int status) {
  const bool failed_before = std::ferror(stdout) != 0;  // a flush while printing failed
  errno = 0;
  const bool flush_failed = std::fflush(stdout) != 0;
  if (!flush_failed && !failed_before) return status;
  const int e = errno;
  std::fprintf(stderr, "lsgd: cannot write to standard output: %s\n",
               flush_failed && e != 0 ? std::strerror(e) : "write error");
  return status == 0 ? 1 : status;
}

}  // namespace

int main(int argc, char** argv) {
  install_signal_handlers();
  // Reports are written whole at the end: a large buffer makes a failing stdout fail in the final,
  // checked flush (with its errno) rather than silently in the middle of printing.
  static char out_buffer[1 << 16];
  std::setvbuf(stdout, out_buffer, _IOFBF, sizeof out_buffer);
  try {
    return finish_stdout(dispatch(std::vector<std::string>(argv + 1, argv + argc)));
  } catch (const lsgd::cli::UsageError& e) {
    report("lsgd: error: ", e.what());
    return 2;
  } catch (const lsgd::Error& e) {
    report("lsgd: ", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    report("lsgd: ", "out of memory (the problem does not fit; try a smaller one or --precision f32)");
    return 1;
  } catch (const std::exception& e) {
    report("lsgd: internal error: ", e.what());
    return 1;
  } catch (...) {
    report("lsgd: ", "internal error: unknown exception");
    return 1;
  }
}
