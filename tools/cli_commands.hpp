#pragma once
// The lsgd subcommands. Each takes the arguments after its name, prints to stdout and returns the
// exit status; usage errors throw UsageError, data and numerical errors throw lsgd::Error.
#include <string>
#include <vector>

namespace lsgd::cli {

int run_list(const std::vector<std::string>& args);
int run_solve(const std::vector<std::string>& args);
int run_gen(const std::vector<std::string>& args);
int run_advise(const std::vector<std::string>& args);

}  // namespace lsgd::cli
