#pragma once
// A small command-line parser for the lsgd tool: "--name value", "--name=value" and flags, with
// strict number parsing. Every misuse throws UsageError (exit status 2, one line on stderr).
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace lsgd::cli {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  std::string name;     // without the leading dashes, e.g. "input"
  std::string metavar;  // empty for a flag
  std::string help;
  bool repeatable = false;  // may be given several times (all() returns every value)
};

class Args {
 public:
  // `command` names the subcommand in messages ("solve"); `summary` is the usage line.
  Args(std::string command, std::string summary, std::vector<OptionSpec> specs);

  // Parses the arguments after the subcommand. Returns false when --help / -h was given.
  bool parse(const std::vector<std::string>& argv);

  std::string usage() const;  // the full help text, every option included

  bool flag(const std::string& name) const { return values_.count(name) > 0; }
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::string str(const std::string& name, const std::string& def = "") const;
  // Every value given to a repeatable option, in order (str() returns the last).
  std::vector<std::string> all(const std::string& name) const;
  std::string required(const std::string& name) const;
  // A finite number >= min (or > min when min_exclusive). A value that underflows (1e-320) is
  // accepted as the nearest double, as strtod rounds it.
  double number(const std::string& name, double def, double min = -1e308,
                bool min_exclusive = false) const;
  // An integer in [min, max], checked on the full value before any narrowing by the caller.
  long long integer(const std::string& name, long long def, long long min,
                    long long max = std::numeric_limits<long long>::max()) const;
  // One of `choices`.
  std::string choice(const std::string& name, const std::string& def,
                     const std::vector<std::string>& choices) const;

 private:
  const OptionSpec* find(const std::string& name) const;

  std::string command_;
  std::string summary_;
  std::vector<OptionSpec> specs_;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> all_values_;
};

}  // namespace lsgd::cli
