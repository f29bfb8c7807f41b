#pragma once
// The options of `lsgd solve` and their translation into SolverOptions and CsvOptions, apart from
// the command so that the argument fuzzer (tests/fuzz/fuzz_cli_args.cpp) drives the real checks.
#include <string>
#include <vector>

#include "lsgd/io.hpp"
#include "lsgd/solver.hpp"
#include "tools/cli_args.hpp"

namespace lsgd::cli {

std::vector<OptionSpec> solve_options();
// Range-checked solver options (UsageError naming the option on any bad value).
SolverOptions solver_options(const Args& a);
// `command` names the subcommand in messages (lsgd advise reads its --input the same way).
CsvOptions csv_options(const Args& a, const std::string& command = "solve");

}  // namespace lsgd::cli
