// File input / output: CSV and Matrix Market readers that name the file, line and column of every
// malformed entry, and writers at full precision (%.17g round-trips every double) that write to a
// temporary file and rename it, so a failed write never leaves a partial file behind.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <sstream>
#include <string_view>

#include "lsgd/error.hpp"
#include "lsgd/io.hpp"

namespace lsgd {
namespace {

[[noreturn]] void fail_at(const std::string& path, index_t line, const std::string& msg) {
  throw InvalidInput(path + ":" + std::to_string(line) + ": " + msg);
}

[[noreturn]] void fail_file(const std::string& path, const std::string& msg) {
  throw InvalidInput(path + ": " + msg);
}

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n\f\v";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  const size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string extension_of(const std::string& path) {
  return lower(std::filesystem::path(path).extension().string());
}

// Shortens a field for an error message (a binary file may hold a very long "field").
std::string show(std::string_view s) {
  constexpr size_t kMax = 40;
  std::string out = "'";
  out += s.size() > kMax ? std::string(s.substr(0, kMax)) + "..." : std::string(s);
  out += "'";
  return out;
}

enum class Num { ok, empty, not_number, non_finite };

// The whole field must be a number. Overflow (1e999) counts as non-finite; underflow to a
// subnormal or zero is accepted, as every CSV reader does.
Num parse_number(std::string_view field, double& out) {
  const std::string s(trim(field));
  if (s.empty()) return Num::empty;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0') return Num::not_number;
  if (!std::isfinite(v) || (errno == ERANGE && std::abs(v) > 1.0)) return Num::non_finite;
  out = v;
  return Num::ok;
}

bool parse_index(std::string_view field, index_t& out) {
  const std::string s(trim(field));
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (end == s.c_str() || *end != '\0' || errno == ERANGE) return false;
  out = static_cast<index_t>(v);
  return true;
}

// Reads physical lines, counting them (1-based), without the trailing '\r' of CRLF files and
// without a UTF-8 byte-order mark on the first line.
class LineReader {
 public:
  explicit LineReader(const std::string& path) : path_(path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) fail_file(path, "cannot read: is a directory");
    in_.open(path, std::ios::binary);
    if (!in_) fail_file(path, std::string("cannot open file: ") + std::strerror(errno));
  }
  bool next(std::string& line) {
    if (!std::getline(in_, line)) {
      if (in_.bad()) fail_at(path_, line_ + 1, "read error");
      return false;
    }
    ++line_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_ == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
    return true;
  }
  index_t line() const { return line_; }

 private:
  std::string path_;
  std::ifstream in_;
  index_t line_ = 0;
};

// Splits a line into trimmed fields. A field may be enclosed in double quotes (then it may hold
// the delimiter, and "" stands for one quote). A space delimiter splits on runs of blanks.
std::vector<std::string> split_fields(const std::string& line, char delim, const std::string& path,
                                      index_t lineno) {
  std::vector<std::string> out;
  if (delim == ' ') {
    std::istringstream is(line);
    std::string tok;
    while (is >> tok) out.push_back(tok);
    return out;
  }
  std::string cur;
  bool in_quotes = false, was_quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          cur += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        cur += c;
      }
    } else if (c == '"' && trim(cur).empty()) {
      in_quotes = true;
      was_quoted = true;
      cur.clear();
    } else if (c == delim) {
      out.push_back(was_quoted ? cur : std::string(trim(cur)));
      cur.clear();
      was_quoted = false;
    } else if (!(was_quoted && (c == ' ' || c == '\t'))) {
      cur += c;
    }
  }
  if (in_quotes) fail_at(path, lineno, "unterminated quoted field");
  out.push_back(was_quoted ? cur : std::string(trim(cur)));
  return out;
}

bool is_comment_or_blank(const std::string& line, char comment) {
  const std::string_view t = trim(line);
  return t.empty() || t.front() == comment;
}

// Writes through fn to a temporary file next to `path`, then renames it over `path`.
void write_atomically(const std::string& path, const std::function<void(std::FILE*)>& fn) {
  if (path.empty()) throw InvalidInput("output path is empty");
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail_file(path, "cannot write: is a directory");
  std::random_device rd;
  const std::string tmp = path + ".tmp" + std::to_string(rd() % 1000000u);
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) fail_file(path, std::string("cannot write: ") + std::strerror(errno));
  bool ok = true;
  try {
    fn(f);
  } catch (...) {
    std::fclose(f);
    std::remove(tmp.c_str());
    throw;
  }
  ok = std::ferror(f) == 0;
  const int saved = errno;
  if (std::fclose(f) != 0) ok = false;
  if (!ok) {
    std::remove(tmp.c_str());
    fail_file(path, std::string("write failed: ") + std::strerror(saved != 0 ? saved : errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    std::remove(tmp.c_str());
    fail_file(path, std::string("cannot rename the temporary file into place: ") + std::strerror(e));
  }
}

// A CSV field: quoted when it holds the delimiter, a quote or outer blanks.
std::string csv_field(const std::string& s) {
  const bool need = s.find_first_of(",\"\n") != std::string::npos ||
                    (!s.empty() && (s.front() == ' ' || s.back() == ' ' || s.front() == '#'));
  if (!need) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// A dense column-major table with its column names, from either file format.
struct Table {
  index_t rows = 0;
  index_t cols = 0;
  std::vector<double> values;  // column-major
  std::vector<std::string> names;
  index_t header_line = 0;     // for messages about columns (0: no header)
  index_t first_data_line = 0;
};

// Picks the target column: a header name first, then a 0-based index (negative counts from the end).
index_t resolve_target(const std::string& path, const Table& t, const std::string& target) {
  if (target.empty()) return t.cols - 1;
  const index_t where = t.header_line > 0 ? t.header_line : t.first_data_line;
  if (t.header_line > 0) {
    index_t found = -1;
    for (index_t j = 0; j < t.cols; ++j) {
      if (t.names[static_cast<size_t>(j)] != target) continue;
      if (found >= 0) {
        fail_at(path, where, "target column " + show(target) + " is ambiguous (columns " +
                                 std::to_string(found + 1) + " and " + std::to_string(j + 1) + ")");
      }
      found = j;
    }
    if (found >= 0) return found;
  }
  index_t idx = 0;
  if (parse_index(target, idx)) {
    if (idx < 0) idx += t.cols;
    if (idx < 0 || idx >= t.cols) {
      fail_at(path, where, "target column index " + target + " out of range (the file has " +
                               std::to_string(t.cols) + " columns, indices 0.." +
                               std::to_string(t.cols - 1) + ")");
    }
    return idx;
  }
  std::string known;
  for (const auto& n : t.names) known += (known.empty() ? "" : ", ") + n;
  fail_at(path, where,
          "unknown target column " + show(target) +
              (t.header_line > 0 ? "; columns: " + known
                                 : " (the file has no header: give a 0-based column index)"));
}

// A Problem from a table: the target column becomes b, the rest A (with a column of ones first when
// `intercept`), in file order.
Problem<double> to_problem(const std::string& path, const Table& t, index_t target, bool intercept,
                           bool has_b_column) {
  const index_t features = t.cols - (has_b_column ? 1 : 0);
  if (features + (intercept ? 1 : 0) <= 0) {
    fail_at(path, t.first_data_line,
            "no feature columns: the only column is the target (add more columns, or an intercept)");
  }
  Problem<double> p;
  p.m = t.rows;
  p.n = features + (intercept ? 1 : 0);
  p.A.reserve(static_cast<size_t>(p.m * p.n));
  if (intercept) {
    p.A.assign(static_cast<size_t>(p.m), 1.0);
    p.column_names.push_back("(intercept)");
  }
  for (index_t j = 0; j < t.cols; ++j) {
    const auto* col = t.values.data() + j * t.rows;
    if (has_b_column && j == target) {
      p.b.assign(col, col + t.rows);
    } else {
      p.A.insert(p.A.end(), col, col + t.rows);
      p.column_names.push_back(t.names[static_cast<size_t>(j)]);
    }
  }
  return p;
}

Table read_csv_table(const std::string& path, const CsvOptions& opt) {
  LineReader reader(path);
  Table t;
  std::vector<double> row_major;
  std::string line;
  bool first = true;
  size_t ncols = 0;
  index_t width_line = 0;  // the line that fixed the field count
  while (reader.next(line)) {
    if (is_comment_or_blank(line, '#')) continue;
    const index_t ln = reader.line();
    std::vector<std::string> fields = split_fields(line, opt.delimiter, path, ln);
    if (first) {
      first = false;
      ncols = fields.size();
      width_line = ln;
      bool header = opt.header == CsvOptions::Header::present;
      if (opt.header == CsvOptions::Header::detect) {
        for (const auto& f : fields) {
          double v;
          if (parse_number(f, v) == Num::not_number) header = true;
        }
      }
      if (header) {
        t.header_line = ln;
        t.names = fields;
        for (size_t j = 0; j < t.names.size(); ++j) {
          if (t.names[j].empty()) t.names[j] = "column" + std::to_string(j + 1);
        }
        continue;
      }
    }
    if (fields.size() != ncols) {
      fail_at(path, ln,
              "ragged row: " + std::to_string(fields.size()) + " fields, expected " +
                  std::to_string(ncols) + " (as on line " + std::to_string(width_line) + ")");
    }
    if (t.first_data_line == 0) t.first_data_line = ln;
    for (size_t j = 0; j < ncols; ++j) {
      double v = 0.0;
      const Num r = parse_number(fields[j], v);
      if (r == Num::ok) {
        row_major.push_back(v);
        continue;
      }
      std::string col = "column " + std::to_string(j + 1);
      if (t.header_line > 0) col += " (" + show(t.names[j]) + ")";
      if (r == Num::empty) fail_at(path, ln, col + ": empty field");
      if (r == Num::non_finite) {
        fail_at(path, ln, col + ": NaN/Inf value " + show(fields[j]) + " (only finite numbers)");
      }
      fail_at(path, ln, col + ": non-numeric field " + show(fields[j]));
    }
    ++t.rows;
  }
  if (t.rows == 0) {
    fail_at(path, std::max<index_t>(reader.line(), 1),
            std::string("no data rows (end of file") + (t.header_line > 0 ? ", after the header)" : ")"));
  }
  t.cols = static_cast<index_t>(ncols);
  if (t.header_line == 0) {
    for (index_t j = 0; j < t.cols; ++j) t.names.push_back("x" + std::to_string(j + 1));
  }
  t.values.resize(row_major.size());
  for (index_t i = 0; i < t.rows; ++i) {
    for (index_t j = 0; j < t.cols; ++j) {
      t.values[static_cast<size_t>(j * t.rows + i)] = row_major[static_cast<size_t>(i * t.cols + j)];
    }
  }
  return t;
}

struct MmHeader {
  bool coordinate = false;
  enum class Sym { general, symmetric, skew } sym = Sym::general;
};

MmHeader parse_mm_header(const std::string& path, const std::string& line) {
  const char* usage =
      "expected '%%MatrixMarket matrix array|coordinate real|integer general|symmetric'";
  std::istringstream is(line);
  std::vector<std::string> tok;
  std::string s;
  while (is >> s) tok.push_back(lower(s));
  if (tok.empty() || tok[0] != "%%matrixmarket") {
    fail_at(path, 1, std::string("missing Matrix Market header line; ") + usage);
  }
  if (tok.size() != 5) fail_at(path, 1, std::string("invalid Matrix Market header line; ") + usage);
  if (tok[1] != "matrix") fail_at(path, 1, "object " + show(tok[1]) + " not supported; " + usage);
  MmHeader h;
  if (tok[2] == "coordinate") {
    h.coordinate = true;
  } else if (tok[2] != "array") {
    fail_at(path, 1, "format " + show(tok[2]) + " not supported; " + usage);
  }
  if (tok[3] == "pattern") {
    fail_at(path, 1, "pattern matrices (structure only, no values) are not supported: a least-squares "
                     "problem needs the values");
  }
  if (tok[3] == "complex") fail_at(path, 1, "complex matrices are not supported (real data only)");
  if (tok[3] != "real" && tok[3] != "integer" && tok[3] != "double") {
    fail_at(path, 1, "field " + show(tok[3]) + " not supported; " + usage);
  }
  if (tok[4] == "symmetric") {
    h.sym = MmHeader::Sym::symmetric;
  } else if (tok[4] == "skew-symmetric") {
    h.sym = MmHeader::Sym::skew;
  } else if (tok[4] != "general") {
    fail_at(path, 1, "symmetry " + show(tok[4]) + " not supported; " + usage);
  }
  return h;
}

std::vector<std::string> split_blanks(const std::string& line) {
  std::istringstream is(line);
  std::vector<std::string> out;
  std::string s;
  while (is >> s) out.push_back(s);
  return out;
}

double mm_value(const std::string& path, index_t ln, const std::string& field) {
  double v = 0.0;
  const Num r = parse_number(field, v);
  if (r == Num::non_finite) fail_at(path, ln, "NaN/Inf value " + show(field) + " (only finite numbers)");
  if (r != Num::ok) fail_at(path, ln, "non-numeric value " + show(field));
  return v;
}

}  // namespace

Problem<double> read_csv(const std::string& path, const CsvOptions& opt) {
  const Table t = read_csv_table(path, opt);
  Problem<double> p = to_problem(path, t, resolve_target(path, t, opt.target), opt.intercept, true);
  p.validate();
  return p;
}

void write_csv(const std::string& path, const Problem<double>& p) {
  p.validate();
  write_atomically(path, [&](std::FILE* f) {
    for (index_t j = 0; j < p.n; ++j) {
      const std::string name = p.column_names.size() == static_cast<size_t>(p.n)
                                   ? p.column_names[static_cast<size_t>(j)]
                                   : "x" + std::to_string(j + 1);
      std::fprintf(f, "%s,", csv_field(name).c_str());
    }
    std::fputs("y\n", f);
    for (index_t i = 0; i < p.m; ++i) {
      for (index_t j = 0; j < p.n; ++j) std::fprintf(f, "%.17g,", p.a(i, j));
      std::fprintf(f, "%.17g\n", p.b[static_cast<size_t>(i)]);
    }
  });
}

MatrixMarket read_matrix_market(const std::string& path) {
  LineReader reader(path);
  std::string line;
  if (!reader.next(line)) {
    fail_at(path, 1, "empty file; expected a '%%MatrixMarket' header line");
  }
  const MmHeader h = parse_mm_header(path, line);
  MatrixMarket mm;
  // Size line: the first line after the comments.
  index_t nnz = 0;
  for (;;) {
    if (!reader.next(line)) fail_at(path, reader.line(), "missing size line (end of file)");
    if (is_comment_or_blank(line, '%')) continue;
    const auto tok = split_blanks(line);
    const size_t want = h.coordinate ? 3 : 2;
    const char* form = h.coordinate ? "'rows cols entries'" : "'rows cols'";
    if (tok.size() != want) fail_at(path, reader.line(), std::string("invalid size line; expected ") + form);
    if (!parse_index(tok[0], mm.rows) || !parse_index(tok[1], mm.cols) ||
        (h.coordinate && !parse_index(tok[2], nnz))) {
      fail_at(path, reader.line(), std::string("invalid size line; expected integers ") + form);
    }
    if (mm.rows <= 0 || mm.cols <= 0 || nnz < 0) {
      fail_at(path, reader.line(), "invalid size " + std::to_string(mm.rows) + " x " +
                                       std::to_string(mm.cols) + " (empty matrix)");
    }
    if (mm.rows > std::numeric_limits<index_t>::max() / mm.cols ||
        mm.rows * mm.cols > (index_t{1} << 40)) {
      fail_at(path, reader.line(), "matrix too large to densify (" + std::to_string(mm.rows) +
                                       " x " + std::to_string(mm.cols) + ")");
    }
    if (h.sym != MmHeader::Sym::general && mm.rows != mm.cols) {
      fail_at(path, reader.line(), "a symmetric matrix must be square, got " +
                                       std::to_string(mm.rows) + " x " + std::to_string(mm.cols));
    }
    if (h.coordinate && nnz > mm.rows * mm.cols) {
      fail_at(path, reader.line(), std::to_string(nnz) + " entries declared for a " +
                                       std::to_string(mm.rows) + " x " + std::to_string(mm.cols) +
                                       " matrix");
    }
    break;
  }
  const index_t rows = mm.rows, cols = mm.cols;
  mm.values.assign(static_cast<size_t>(rows * cols), 0.0);
  const bool sym = h.sym != MmHeader::Sym::general;
  const double mirror = h.sym == MmHeader::Sym::skew ? -1.0 : 1.0;
  index_t expected = nnz;
  if (!h.coordinate) {
    expected = h.sym == MmHeader::Sym::general ? rows * cols
               : h.sym == MmHeader::Sym::symmetric ? rows * (rows + 1) / 2
                                                    : rows * (rows - 1) / 2;
  }
  std::vector<char> seen;
  if (h.coordinate) seen.assign(static_cast<size_t>(rows * cols), 0);
  index_t count = 0;
  // Array format walks the stored (lower) triangle column by column.
  index_t ai = 0, aj = 0;
  if (h.sym == MmHeader::Sym::skew) ai = 1;
  while (reader.next(line)) {
    if (is_comment_or_blank(line, '%')) continue;
    const index_t ln = reader.line();
    if (count == expected) {
      fail_at(path, ln, "more entries than the " + std::to_string(expected) + " declared");
    }
    const auto tok = split_blanks(line);
    if (h.coordinate) {
      if (tok.size() != 3) {
        fail_at(path, ln, "expected 'row column value', found " + std::to_string(tok.size()) +
                              " fields");
      }
      index_t i = 0, j = 0;
      if (!parse_index(tok[0], i)) fail_at(path, ln, "invalid row index " + show(tok[0]));
      if (!parse_index(tok[1], j)) fail_at(path, ln, "invalid column index " + show(tok[1]));
      if (i < 1 || i > rows) {
        fail_at(path, ln, "row index " + tok[0] + " out of range 1.." + std::to_string(rows));
      }
      if (j < 1 || j > cols) {
        fail_at(path, ln, "column index " + tok[1] + " out of range 1.." + std::to_string(cols));
      }
      --i;
      --j;
      const double v = mm_value(path, ln, tok[2]);
      if (h.sym == MmHeader::Sym::skew && i == j) {
        fail_at(path, ln, "skew-symmetric matrix with a diagonal entry (" + tok[0] + ", " + tok[1] + ")");
      }
      const size_t k = static_cast<size_t>(j * rows + i), kt = static_cast<size_t>(i * rows + j);
      if (seen[k]) {
        fail_at(path, ln, "duplicate entry (" + tok[0] + ", " + tok[1] + ")" +
                              (sym ? " (a symmetric file stores each pair once)" : ""));
      }
      seen[k] = 1;
      mm.values[k] = v;
      if (sym && i != j) {
        // An entry above the diagonal is accepted as its mirror image.
        seen[kt] = 1;
        mm.values[kt] = mirror * v;
      }
    } else {
      if (tok.size() != 1) {
        fail_at(path, ln, "expected one value per line in array format, found " +
                              std::to_string(tok.size()) + " fields");
      }
      const double v = mm_value(path, ln, tok[0]);
      mm.values[static_cast<size_t>(aj * rows + ai)] = v;
      if (sym && ai != aj) mm.values[static_cast<size_t>(ai * rows + aj)] = mirror * v;
      if (++ai == rows) {
        ++aj;
        ai = sym ? aj + (h.sym == MmHeader::Sym::skew ? 1 : 0) : 0;
      }
    }
    ++count;
  }
  if (count < expected) {
    fail_at(path, reader.line(), "too few entries: " + std::to_string(count) + " of the " +
                                     std::to_string(expected) + " declared (end of file)");
  }
  return mm;
}

void write_matrix_market(const std::string& path, const MatrixMarket& mm) {
  if (mm.rows <= 0 || mm.cols <= 0 || mm.values.size() != static_cast<size_t>(mm.rows * mm.cols)) {
    throw InvalidInput(path + ": cannot write a " + std::to_string(mm.rows) + " x " +
                       std::to_string(mm.cols) + " matrix from " + std::to_string(mm.values.size()) +
                       " values");
  }
  for (size_t k = 0; k < mm.values.size(); ++k) {
    if (!std::isfinite(mm.values[k])) {
      throw InvalidInput(path + ": cannot write a non-finite value at row " +
                         std::to_string(static_cast<index_t>(k) % mm.rows + 1) + ", column " +
                         std::to_string(static_cast<index_t>(k) / mm.rows + 1));
    }
  }
  write_atomically(path, [&](std::FILE* f) {
    std::fprintf(f, "%%%%MatrixMarket matrix array real general\n%% written by lsgd\n");
    std::fprintf(f, "%lld %lld\n", static_cast<long long>(mm.rows), static_cast<long long>(mm.cols));
    for (double v : mm.values) std::fprintf(f, "%.17g\n", v);
  });
}

namespace {

Problem<double> read_mm_problem(const std::string& a_path, const std::string& b_path,
                                const CsvOptions& opt) {
  const MatrixMarket mm = read_matrix_market(a_path);
  Table t;
  t.rows = mm.rows;
  t.cols = mm.cols;
  t.values = mm.values;
  t.first_data_line = 1;
  for (index_t j = 0; j < t.cols; ++j) t.names.push_back("x" + std::to_string(j + 1));
  Problem<double> p;
  if (b_path.empty()) {
    p = to_problem(a_path, t, resolve_target(a_path, t, opt.target), opt.intercept, true);
  } else {
    if (!opt.target.empty()) {
      throw InvalidInput(a_path + ": a target column cannot be chosen when b comes from " + b_path);
    }
    const MatrixMarket mb = read_matrix_market(b_path);
    if (std::min(mb.rows, mb.cols) != 1 || mb.rows * mb.cols != mm.rows) {
      throw InvalidInput(b_path + ": b is " + std::to_string(mb.rows) + " x " +
                         std::to_string(mb.cols) + ", expected " + std::to_string(mm.rows) +
                         " x 1 to match A in " + a_path);
    }
    p = to_problem(a_path, t, -1, opt.intercept, false);
    p.b = mb.values;
  }
  p.validate();
  return p;
}

}  // namespace

Problem<double> read_matrix_market_problem(const std::string& a_path, const std::string& b_path) {
  return read_mm_problem(a_path, b_path, CsvOptions{});
}

Problem<double> read_problem(const std::string& path, const CsvOptions& opt,
                             const std::string& b_path) {
  const std::string ext = extension_of(path);
  if (ext == ".mtx") return read_mm_problem(path, b_path, opt);
  if (ext == ".csv" || ext == ".txt" || ext == ".tsv") {
    if (!b_path.empty()) {
      throw InvalidInput(b_path + ": a separate b file goes with a Matrix Market A (.mtx) only");
    }
    CsvOptions o = opt;
    if (ext == ".tsv" && o.delimiter == ',') o.delimiter = '\t';
    return read_csv(path, o);
  }
  throw InvalidInput(path + ": unknown file type " + show(ext.empty() ? "(none)" : ext) +
                     " (expected .csv, .txt, .tsv or .mtx)");
}

void write_vector(const std::string& path, const std::vector<double>& x,
                  const std::vector<std::string>& names) {
  if (x.empty()) throw InvalidInput(path + ": cannot write an empty vector");
  if (!names.empty() && names.size() != x.size()) {
    throw InvalidInput(path + ": " + std::to_string(names.size()) + " names for " +
                       std::to_string(x.size()) + " values");
  }
  if (extension_of(path) == ".mtx") {
    MatrixMarket mm;
    mm.rows = static_cast<index_t>(x.size());
    mm.cols = 1;
    mm.values = x;
    write_matrix_market(path, mm);
    return;
  }
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) {
      throw InvalidInput(path + ": cannot write a non-finite value at index " + std::to_string(i));
    }
  }
  write_atomically(path, [&](std::FILE* f) {
    std::fputs(names.empty() ? "x\n" : "name,x\n", f);
    for (size_t i = 0; i < x.size(); ++i) {
      if (!names.empty()) std::fprintf(f, "%s,", csv_field(names[i]).c_str());
      std::fprintf(f, "%.17g\n", x[i]);
    }
  });
}

std::vector<double> read_vector(const std::string& path) {
  if (extension_of(path) == ".mtx") {
    const MatrixMarket mm = read_matrix_market(path);
    if (std::min(mm.rows, mm.cols) != 1) {
      throw InvalidInput(path + ": a vector must be n x 1 or 1 x n, got " + std::to_string(mm.rows) +
                         " x " + std::to_string(mm.cols));
    }
    return mm.values;
  }
  const char delim = extension_of(path) == ".tsv" ? '\t' : ',';
  LineReader reader(path);
  std::vector<double> out;
  std::string line;
  size_t width = 0;
  index_t width_line = 0;
  while (reader.next(line)) {
    if (is_comment_or_blank(line, '#')) continue;
    const index_t ln = reader.line();
    const auto fields = split_fields(line, delim, path, ln);
    if (fields.size() > 2) {
      fail_at(path, ln, "expected 'value' or 'name,value', found " + std::to_string(fields.size()) +
                            " fields");
    }
    if (width == 0) {
      width = fields.size();
      width_line = ln;
    } else if (fields.size() != width) {
      fail_at(path, ln, "ragged row: " + std::to_string(fields.size()) + " fields, expected " +
                            std::to_string(width) + " (as on line " + std::to_string(width_line) + ")");
    }
    double v = 0.0;
    const Num r = parse_number(fields.back(), v);
    if (r == Num::ok) {
      out.push_back(v);
      continue;
    }
    const std::string col = "column " + std::to_string(fields.size());
    if (r == Num::not_number && ln == width_line) continue;  // the header line
    if (r == Num::empty) fail_at(path, ln, col + ": empty field");
    if (r == Num::non_finite) fail_at(path, ln, col + ": NaN/Inf value " + show(fields.back()));
    fail_at(path, ln, col + ": non-numeric field " + show(fields.back()));
  }
  if (out.empty()) fail_at(path, std::max<index_t>(reader.line(), 1), "no values (end of file)");
  return out;
}

}  // namespace lsgd
