#include "tools/cli_args.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cctype>
#include <cstdlib>
#include <sstream>

namespace lsgd::cli {

Args::Args(std::string command, std::string summary, std::vector<OptionSpec> specs)
    : command_(std::move(command)), summary_(std::move(summary)), specs_(std::move(specs)) {}

const OptionSpec* Args::find(const std::string& name) const {
  for (const auto& s : specs_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

bool Args::parse(const std::vector<std::string>& argv) {
  const std::string see = " (see 'lsgd " + command_ + " --help')";
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--help" || a == "-h") return false;
    if (a.size() < 3 || a.compare(0, 2, "--") != 0) {
      throw UsageError(command_ + ": unexpected argument '" + a + "'" + see);
    }
    std::string name = a.substr(2), value;
    bool inline_value = false;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    const OptionSpec* spec = find(name);
    if (spec == nullptr) throw UsageError(command_ + ": unknown option '--" + name + "'" + see);
    if (spec->metavar.empty()) {
      if (inline_value) throw UsageError(command_ + ": option --" + name + " takes no value");
      values_[name] = "1";
      continue;
    }
    if (!inline_value) {
      // A following "--x" is the next option, not a value: the value is missing.
      if (i + 1 >= argv.size() || argv[i + 1].compare(0, 2, "--") == 0) {
        throw UsageError(command_ + ": option --" + name + " needs a value (" + spec->metavar + ")");
      }
      value = argv[++i];
    }
    if (value.empty()) throw UsageError(command_ + ": option --" + name + " has an empty value");
    if (const auto it = values_.find(name); it != values_.end() && !spec->repeatable) {
      // The last one silently winning hides a typo or a pasted line: say so.
      const bool list = spec->metavar == "COLS";
      throw UsageError(command_ + ": option --" + name + " given twice ('" + it->second +
                       "', then '" + value + "'); give it once" +
                       (list ? " (several columns: one comma-separated list)" : ""));
    }
    values_[name] = value;
    all_values_[name].push_back(value);
  }
  return true;
}

std::string Args::usage() const {
  std::ostringstream os;
  os << summary_ << "\n\noptions:\n";
  size_t width = 0;
  std::vector<std::string> left;
  for (const auto& s : specs_) {
    left.push_back("--" + s.name + (s.metavar.empty() ? "" : " " + s.metavar));
    width = std::max(width, left.back().size());
  }
  left.push_back("-h, --help");
  for (size_t k = 0; k < left.size(); ++k) {
    const std::string help = k < specs_.size() ? specs_[k].help : "show this help and exit";
    os << "  " << left[k] << std::string(width + 2 - std::min(width + 1, left[k].size()), ' ')
       << help << "\n";
  }
  return os.str();
}

std::string Args::str(const std::string& name, const std::string& def) const {
  const auto it = values_.find(name);
  return it == values_.end() ? def : it->second;
}

std::vector<std::string> Args::all(const std::string& name) const {
  const auto it = all_values_.find(name);
  return it == all_values_.end() ? std::vector<std::string>{} : it->second;
}

std::string Args::required(const std::string& name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) {
    throw UsageError(command_ + ": missing required option --" + name + " (see 'lsgd " + command_ +
                     " --help')");
  }
  return it->second;
}

double Args::number(const std::string& name, double def, double min, bool min_exclusive) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return def;
  const std::string& s = it->second;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0' || std::isspace(static_cast<unsigned char>(s[0]))) {
    throw UsageError(command_ + ": --" + name + ": expected a number, got '" + s + "'");
  }
  if (!std::isfinite(v) || (errno == ERANGE && std::fabs(v) > 1.0)) {
    throw UsageError(command_ + ": --" + name + ": expected a finite number, got '" + s + "'" +
                     (std::isnan(v) || std::isinf(v) ? "" : " (beyond the range of a double)"));
  }
  if (v < min || (min_exclusive && v == min)) {
    std::ostringstream os;
    os << command_ << ": --" << name << ": must be " << (min_exclusive ? "> " : ">= ") << min
       << ", got " << s;
    throw UsageError(os.str());
  }
  return v;
}

long long Args::integer(const std::string& name, long long def, long long min,
                        long long max) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return def;
  const std::string& s = it->second;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (end == s.c_str() || *end != '\0' || std::isspace(static_cast<unsigned char>(s[0]))) {
    throw UsageError(command_ + ": --" + name + ": expected an integer, got '" + s + "'");
  }
  if (errno == ERANGE || v < min || v > max) {
    throw UsageError(command_ + ": --" + name + ": must be in " + std::to_string(min) + ".." +
                     std::to_string(max) + ", got " + s);
  }
  return v;
}

std::string Args::choice(const std::string& name, const std::string& def,
                         const std::vector<std::string>& choices) const {
  const std::string v = str(name, def);
  std::string all;
  for (const auto& c : choices) {
    if (c == v) return v;
    all += (all.empty() ? "" : ", ") + c;
  }
  throw UsageError(command_ + ": --" + name + ": expected one of " + all + ", got '" + v + "'");
}

}  // namespace lsgd::cli
