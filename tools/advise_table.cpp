#include "tools/advise_table.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <system_error>

#include "lsgd/error.hpp"

namespace lsgd::advise {
namespace {

namespace fs = std::filesystem;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr const char* kWriter = "tools/advise_table.py";

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) return out;
    start = tab + 1;
  }
}

class RowReader {
 public:
  RowReader(const std::string& path, int line, const std::vector<std::string>& header,
            const std::vector<std::string>& cells)
      : path_(path), line_(line), header_(header), cells_(cells) {}

  const std::string& cell(const char* name) const {
    static const std::string empty;
    for (size_t i = 0; i < header_.size(); ++i) {
      if (header_[i] == name) return i < cells_.size() ? cells_[i] : empty;
    }
    return empty;
  }
  // An empty cell is `missing`; anything else must be a finite number (>= 0 for these columns).
  double number(const char* name, double missing) const {
    const std::string& s = cell(name);
    if (s.empty()) return missing;
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || *end != '\0' || errno == ERANGE || !std::isfinite(v) || v < 0) {
      throw InvalidInput(path_ + ":" + std::to_string(line_) + ": column '" + name +
                         "': expected a number >= 0, got '" + s + "'");
    }
    return v;
  }
  bool flag(const char* name) const {
    const std::string& s = cell(name);
    if (s.empty() || s == "0") return false;
    if (s == "1") return true;
    throw InvalidInput(path_ + ":" + std::to_string(line_) + ": column '" + name +
                       "': expected 0 or 1, got '" + s + "'");
  }

 private:
  const std::string& path_;
  int line_;
  const std::vector<std::string>& header_;
  const std::vector<std::string>& cells_;
};

Measurement parse_row(const std::string& path, int line, const std::vector<std::string>& header,
                      const std::vector<std::string>& cells) {
  const RowReader r(path, line, header, cells);
  const auto where = [&] { return path + ":" + std::to_string(line) + ": "; };
  Measurement mt;
  mt.line = line;
  mt.family = r.cell("family");
  mt.solver = r.cell("solver");
  mt.device = r.cell("device");
  mt.mode = r.cell("mode");
  mt.precision = r.cell("precision");
  if (mt.solver.empty()) throw InvalidInput(where() + "empty solver name");
  if (mt.device != "cpu" && mt.device != "gpu") {
    throw InvalidInput(where() + "device '" + mt.device + "' (expected cpu or gpu)");
  }
  if (mt.precision != "f32" && mt.precision != "f64") {
    throw InvalidInput(where() + "precision '" + mt.precision + "' (expected f32 or f64)");
  }
  mt.m = r.number("m", 0);
  mt.n = r.number("n", 0);
  if (mt.m < 1 || mt.n < 1) throw InvalidInput(where() + "m and n must be positive");
  mt.batch = r.number("batch", 0);
  mt.iterations = r.number("iterations", 0);
  mt.kappa = r.number("kappa", 0);
  mt.target = r.number("target", 0);
  mt.flop_model = r.cell("flop_model");
  mt.flops = r.number("flops", 0);
  mt.bytes = r.number("bytes", 0);
  mt.failed = r.flag("failed");
  mt.time_s = r.number("time_s", kNaN);
  if (!mt.failed && !(mt.time_s > 0)) {
    throw InvalidInput(where() + "an entry that did not fail needs a time_s > 0");
  }
  if (mt.failed) mt.time_s = kNaN;
  mt.rse = r.number("rse", kNaN);
  mt.spread = r.number("spread", kNaN);
  mt.reps = r.number("reps", 0);
  mt.rel_err = r.number("rel_err", kNaN);
  mt.digits = r.number("digits", kNaN);
  const std::string& conv = r.cell("converged");
  mt.converged = conv.empty() ? -1 : (r.flag("converged") ? 1 : 0);
  mt.busy = r.flag("busy");
  mt.file = r.cell("file");
  mt.error = r.cell("error");
  return mt;
}

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \r");
  const size_t b = s.find_last_not_of(" \r");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

}  // namespace

double Measurement::kappa_a() const { return kappa > 0 ? std::sqrt(kappa) : 0.0; }

std::string Table::label(const std::string& dev) const {
  const auto it = device_label.find(dev);
  return dev + ": " + (it == device_label.end() ? std::string("unnamed") : it->second) + " [" +
         source + "]";
}

Table read_table(const std::string& where) {
  std::error_code ec;
  const bool dir = fs::is_directory(where, ec);
  const std::string path = dir ? (fs::path(where) / kTableFile).string() : where;
  std::ifstream in(path);
  if (!in) {
    if (dir || fs::exists(where, ec)) {
      throw InvalidInput(
          path + ": cannot read it" +
          std::string(dir ? "; write it with " + std::string(kWriter) + " " + where : ""));
    }
    throw InvalidInput(where + ": no such results directory or table");
  }
  Table t;
  t.path = path;
  // The run's name: its '#@ source' line, else the directory holding the table.
  t.source = fs::absolute(path, ec).lexically_normal().parent_path().filename().string();
  std::vector<std::string> header;
  std::string line;
  int lineno = 0;
  bool format_seen = false;
  while (std::getline(in, line)) {
    ++lineno;
    line = trim(line);
    if (line.empty()) continue;
    if (line.rfind("#@", 0) == 0) {
      const std::vector<std::string> f = split_tabs(line);
      const std::string key = f.size() > 1 ? f[1] : "";
      const auto bad = [&] {
        return InvalidInput(path + ":" + std::to_string(lineno) + ": malformed '" + key +
                            "' metadata line");
      };
      if (key == "format") {
        if (f.size() < 3 || f[2] != "1") {
          throw InvalidInput(path + ":" + std::to_string(lineno) + ": table format '" +
                             (f.size() > 2 ? f[2] : "") + "' (this lsgd reads format 1; " +
                             "rewrite it with " + kWriter + ")");
        }
        format_seen = true;
      } else if (key == "source") {
        if (f.size() < 3) throw bad();
        t.source = f[2];
      } else if (key == "git") {
        t.git = f.size() > 2 ? f[2] : "";
      } else if (key == "date") {
        t.date = f.size() > 2 ? f[2] : "";
      } else if (key == "device") {
        if (f.size() < 4) throw bad();
        t.device_label[f[2]] = f[3];
      } else if (key == "cache") {
        if (f.size() < 5) throw bad();
        char* end = nullptr;
        const double v = std::strtod(f[4].c_str(), &end);
        if (end == f[4].c_str() || *end != '\0' || !(v > 0)) throw bad();
        t.cache[f[2]][f[3]] = v;
      }  // other keys: added by a newer writer, not needed here
      continue;
    }
    if (line[0] == '#') continue;
    if (header.empty()) {
      header = split_tabs(line);
      for (const char* need :
           {"family", "solver", "device", "precision", "m", "n", "time_s", "failed"}) {
        if (std::find(header.begin(), header.end(), need) == header.end()) {
          throw InvalidInput(path + ":" + std::to_string(lineno) + ": no column '" + need +
                             "' in the header row");
        }
      }
      continue;
    }
    t.rows.push_back(parse_row(path, lineno, header, split_tabs(line)));
  }
  if (!format_seen) {
    throw InvalidInput(path + ": not an advise table (no '#@ format' line; write it with " +
                       std::string(kWriter) + ")");
  }
  if (t.rows.empty()) throw InvalidInput(path + ": the table has no measurements");
  return t;
}

std::vector<std::string> default_results_dirs() {
  std::vector<fs::path> roots;
#ifdef LSGD_SOURCE_DIR
  roots.emplace_back(fs::path(LSGD_SOURCE_DIR) / "results");
#endif
  // An installed or moved binary: a results/ folder up to four levels above the executable
  // (build/<preset>/tools/lsgd -> the tree's results/).
  char exe[4096];
  const ssize_t len = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len > 0) {
    fs::path p = fs::path(std::string(exe, static_cast<size_t>(len))).parent_path();
    for (int up = 0; up < 4 && !p.empty(); ++up, p = p.parent_path()) {
      roots.push_back(p / "results");
      if (p == p.root_path()) break;
    }
  }
  std::error_code ec;
  for (const fs::path& root : roots) {
    if (!fs::is_directory(root, ec)) continue;
    std::vector<std::string> out;
    for (const auto& d : fs::directory_iterator(root, ec)) {
      if (!d.is_directory(ec)) continue;
      if (fs::exists(d.path() / kTableFile, ec) && !fs::exists(d.path() / "SUPERSEDED", ec)) {
        out.push_back(d.path().lexically_normal().string());
      }
    }
    if (!out.empty()) {
      std::sort(out.begin(), out.end());
      return out;
    }
  }
  return {};
}

}  // namespace lsgd::advise
