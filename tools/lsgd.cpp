// The lsgd command-line tool: list solvers, solve a problem from a file, generate synthetic data.
//
// Exit status: 0 success; 1 data, numerical or device error ("lsgd: <file>:<line>: ..."); 2 usage
// error ("lsgd: error: ..."). Either error is exactly one line on stderr; no exception escapes.
#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "lsgd/error.hpp"
#include "tools/cli_args.hpp"
#include "tools/cli_commands.hpp"
#include "tools/cli_format.hpp"

namespace {

const char* kUsage =
    "usage: lsgd <command> [options]\n\n"
    "Least-squares solvers (CPU and CUDA, direct and gradient descent) from one registry.\n\n"
    "commands:\n"
    "  list    the registered solvers, whether each can run here, the device and threads\n"
    "  solve   solve a problem from a .csv/.mtx file with one solver, or compare all of them\n"
    "  gen     write a synthetic problem (condition number, noise, rank, seed) to a file\n\n"
    "'lsgd <command> --help' lists the options of a command.\n"
    "Exit status: 0 ok, 1 data/numerical/device error, 2 usage error.\n";

int dispatch(const std::vector<std::string>& args) {
  using namespace lsgd::cli;
  if (args.empty()) throw UsageError("missing command (list, solve or gen; see 'lsgd --help')");
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
  throw UsageError("unknown command '" + cmd + "' (list, solve or gen; see 'lsgd --help')");
}

void report(const char* prefix, const std::string& what) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s%s\n", prefix, lsgd::cli::one_line(what).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return dispatch(std::vector<std::string>(argv + 1, argv + argc));
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
