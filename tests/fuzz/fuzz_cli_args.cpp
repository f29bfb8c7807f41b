// libFuzzer harness: `lsgd solve`'s argument parser and option checks on arbitrary argument
// vectors (the input split at NUL bytes). UsageError is a correct answer; anything else is a
// finding, and so is an error message that, made one line for stderr, still holds a control byte.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "lsgd/error.hpp"
#include "tools/cli_args.hpp"
#include "common/text_format.hpp"
#include "tools/cli_solve_options.hpp"

namespace {
void check_message(const std::string& what) {
  const std::string line = lsgd::cli::message_line(what);
  for (const char c : line) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      std::fprintf(stderr, "fuzz_cli_args: control byte 0x%02x left in a message\n", u);
      std::abort();
    }
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> argv;
  std::string cur;
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      argv.push_back(cur);
      cur.clear();
    } else {
      cur += static_cast<char>(data[i]);
    }
  }
  argv.push_back(cur);
  lsgd::cli::Args args("solve", "usage", lsgd::cli::solve_options());
  try {
    if (!args.parse(argv)) return 0;
    (void)lsgd::cli::solver_options(args);
    (void)lsgd::cli::csv_options(args);
    (void)args.str("input");
  } catch (const lsgd::cli::UsageError& e) {
    check_message(e.what());
  } catch (const lsgd::Error& e) {
    check_message(e.what());
  }
  return 0;
}
