// CSV files and vectors: a reader that parses numeric rows with std::from_chars straight into the
// column-major problem (allocated once, from a count of the file's lines), and falls back to the
// careful field splitter for quoted fields and to word errors (file:line: column N ('name'): ...);
// writers at full precision (%.17g round-trips every double) through io_write's atomic writes.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string_view>

#include "core/io_detail.hpp"
#include "core/io_lines.hpp"
#include "lsgd/error.hpp"
#include "lsgd/io.hpp"

namespace lsgd {
namespace {

using detail::fail_at;
using detail::LineReader;
using detail::Num;
using detail::parse_index;
using detail::parse_number;
using detail::show;
using detail::trim;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string extension_of(const std::string& path) {
  return lower(std::filesystem::path(path).extension().string());
}

// Splits a line into trimmed fields. A field may be enclosed in double quotes (then it may hold
// the delimiter, and "" stands for one quote). A space delimiter splits on runs of blanks.
std::vector<std::string> split_fields(std::string_view line, char delim, const std::string& path,
                                      index_t lineno) {
  std::vector<std::string> out;
  if (delim == ' ') {
    std::istringstream is{std::string(line)};
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

bool is_comment_or_blank(std::string_view line, char comment) {
  const std::string_view t = trim(line);
  return t.empty() || t.front() == comment;
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

// The columns of a table, for choosing the target and naming columns in messages.
struct Columns {
  index_t cols = 0;
  std::vector<std::string> names;
  index_t header_line = 0;  // 0: no header
  index_t first_data_line = 0;
};

// Picks the target column: a header name first, then a 0-based index (negative counts from the end).
index_t resolve_target(const std::string& path, const Columns& t, const std::string& target) {
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

// A numeric row: each field parsed by from_chars where it stands, blanks around it skipped, then the
// delimiter (or the end) expected. No search for delimiters, no copies. False for anything else
// (a quote, a '+', hex, out of range, a bad field): the careful path then decides.
bool parse_row_fast(std::string_view line, char delim, size_t ncols, double* row) {
  const char* p = line.data();
  const char* const end = p + line.size();
  const bool tab_blank = delim != '\t';
  auto skip_blanks = [&] {
    while (p < end && (*p == ' ' || (tab_blank && *p == '\t'))) ++p;
  };
  for (size_t j = 0; j < ncols; ++j) {
    skip_blanks();
    const auto [ptr, ec] = detail::parse_double(p, end, row[j]);
    if (ec != std::errc() || ptr == p) return false;
    p = ptr;
    skip_blanks();
    if (j + 1 < ncols) {
      if (p == end || *p != delim) return false;
      ++p;
    }
  }
  if (p != end) return false;
  for (size_t j = 0; j < ncols; ++j) {
    if (!std::isfinite(row[j])) return false;
  }
  return true;
}

// Whether the first non-comment line is a header: as forced, or (detect) when a field is not a number.
bool is_header(const std::vector<std::string>& first, const CsvOptions& opt) {
  if (opt.header != CsvOptions::Header::detect) return opt.header == CsvOptions::Header::present;
  for (const auto& f : first) {
    double v;
    if (parse_number(f, v) == Num::not_number) return true;
  }
  return false;
}

// A data line for the fast path: starts with a character that is neither blank nor a comment.
bool plainly_data(std::string_view line, char comment) {
  if (line.empty()) return false;
  const char c = line.front();
  return c != comment && c != ' ' && c != '\t' && c != '\f' && c != '\v' && c != '\r';
}

// The careful path: splits (quotes honoured), and either fills row or throws naming the line and
// column of the first bad field.
void parse_row_slow(const std::string& path, index_t ln, std::string_view line, char delim,
                    const Columns& c, index_t width_line, double* row) {
  const std::vector<std::string> fields = split_fields(line, delim, path, ln);
  const auto ncols = static_cast<size_t>(c.cols);
  if (fields.size() != ncols) {
    fail_at(path, ln,
            "ragged row: " + std::to_string(fields.size()) + " fields, expected " +
                std::to_string(ncols) + " (as on line " + std::to_string(width_line) + ")");
  }
  for (size_t j = 0; j < ncols; ++j) {
    const Num r = parse_number(fields[j], row[j]);
    if (r == Num::ok) continue;
    std::string col = "column " + std::to_string(j + 1);
    if (c.header_line > 0) col += " (" + show(c.names[j]) + ")";
    if (r == Num::empty) fail_at(path, ln, col + ": empty field");
    if (r == Num::non_finite) {
      fail_at(path, ln, col + ": NaN/Inf value " + show(fields[j]) + " (only finite numbers)");
    }
    fail_at(path, ln, col + ": non-numeric field " + show(fields[j]));
  }
}

[[noreturn]] void no_features(const std::string& path, index_t line) {
  fail_at(path, line,
          "no feature columns: the only column is the target (add more columns, or an intercept)");
}

}  // namespace

namespace detail {

Problem<double> read_csv(LineReader& reader, const CsvOptions& opt) {
  const std::string& path = reader.path();
  const char delim = opt.delimiter;
  std::string_view line;
  bool found = false;
  while (reader.next(line)) {
    if (!is_comment_or_blank(line, '#')) {
      found = true;
      break;
    }
  }
  if (!found) fail_at(path, std::max<index_t>(reader.line(), 1), "no data rows (end of file)");
  const index_t width_line = reader.line();
  const std::vector<std::string> first = split_fields(line, delim, path, width_line);
  Columns c;
  c.cols = static_cast<index_t>(first.size());
  const auto ncols = first.size();
  const bool header = is_header(first, opt);
  if (header) {
    c.header_line = width_line;
    c.names = first;
    for (size_t j = 0; j < ncols; ++j) {
      if (c.names[j].empty()) c.names[j] = "column" + std::to_string(j + 1);
    }
  } else {
    c.first_data_line = width_line;
    for (size_t j = 0; j < ncols; ++j) c.names.push_back("x" + std::to_string(j + 1));
  }
  const index_t target = resolve_target(path, c, opt.target);
  const index_t icpt = opt.intercept ? 1 : 0;
  const index_t width = c.cols - 1 + icpt;  // columns of A

  // Rows: at most one per line feed (+1), and at most one per 2*ncols bytes ("1,2,3\n"): A and b
  // are allocated once, written in place, and compacted in place if comments took some lines.
  const std::uint64_t by_lines = reader.count_newlines() + 1;
  const std::uint64_t by_bytes = reader.bytes_left() / (2 * ncols) + 2;
  const index_t r0 = std::max<index_t>(0, opt.row_begin);
  const bool ranged = opt.row_begin != 0 || opt.row_end >= 0;
  auto cap = static_cast<index_t>(std::min(by_lines, by_bytes));
  if (opt.row_end >= 0) cap = std::max<index_t>(0, std::min(cap, opt.row_end - r0));
  Problem<double> p;
  p.A.assign(static_cast<size_t>(cap * width), 0.0);
  p.b.assign(static_cast<size_t>(cap), 0.0);
  std::vector<double*> dest(ncols);
  for (index_t j = 0, f = icpt; j < c.cols; ++j) {
    dest[static_cast<size_t>(j)] = j == target ? p.b.data() : p.A.data() + (f++) * cap;
  }
  std::vector<double> row(ncols);
  index_t rows = 0;
  index_t seen = 0;  // data rows so far, kept or not
  // Rows outside [row_begin, row_end) are skipped unparsed.
  auto wanted = [&] {
    const index_t k = seen++;
    return k >= r0 && (opt.row_end < 0 || k < opt.row_end);
  };
  auto store = [&](index_t ln) {
    if (rows == cap) fail_at(path, ln, "more rows than the file had lines (did it change while read?)");
    for (size_t j = 0; j < ncols; ++j) dest[j][rows] = row[j];
    ++rows;
  };
  if (!header && wanted()) {
    parse_row_slow(path, width_line, line, delim, c, width_line, row.data());
    store(width_line);
  }
  const bool fast_ok = delim != ' ' && delim != '"';
  while (reader.next(line)) {
    const bool plain = plainly_data(line, '#');
    if (!plain && is_comment_or_blank(line, '#')) continue;
    const index_t ln = reader.line();
    if (c.first_data_line == 0) c.first_data_line = ln;
    if (!wanted()) continue;
    if (!(fast_ok && plain && parse_row_fast(line, delim, ncols, row.data()))) {
      parse_row_slow(path, ln, line, delim, c, width_line, row.data());
    }
    store(ln);
  }
  if (rows == 0 && !ranged) {
    fail_at(path, std::max<index_t>(reader.line(), 1),
            std::string("no data rows (end of file") + (header ? ", after the header)" : ")"));
  }
  if (width <= 0) no_features(path, c.first_data_line);
  if (rows < cap) {
    for (index_t f = 1; f < width; ++f) {
      std::memmove(p.A.data() + f * rows, p.A.data() + f * cap, static_cast<size_t>(rows) * sizeof(double));
    }
    p.A.resize(static_cast<size_t>(rows * width));
    p.b.resize(static_cast<size_t>(rows));
  }
  if (icpt) {
    std::fill(p.A.begin(), p.A.begin() + rows, 1.0);
    p.column_names.push_back("(intercept)");
  }
  for (index_t j = 0; j < c.cols; ++j) {
    if (j != target) p.column_names.push_back(c.names[static_cast<size_t>(j)]);
  }
  p.m = rows;
  p.n = width;
  if (rows > 0) p.validate();  // a share of no rows (ranged) is empty by design
  return p;
}

}  // namespace detail

index_t count_csv_rows(const std::string& path, const CsvOptions& opt) {
  LineReader reader(path);
  std::string_view line;
  index_t rows = 0;
  bool first = true;
  while (reader.next(line)) {
    if (is_comment_or_blank(line, '#')) continue;
    if (first) {
      first = false;
      if (is_header(split_fields(line, opt.delimiter, path, reader.line()), opt)) continue;
    }
    ++rows;
  }
  return rows;
}

Problem<double> read_csv(const std::string& path, const CsvOptions& opt) {
  LineReader reader(path);
  return detail::read_csv(reader, opt);
}

void write_csv(const std::string& path, const Problem<double>& p, OutputSet* set) {
  p.validate();
  detail::write_atomically(path, [&](std::FILE* f) {
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
  }, set);
}

namespace {

Problem<double> read_mm_problem(const std::string& a_path, const std::string& b_path,
                                const CsvOptions& opt) {
  const bool separate_b = !b_path.empty();
  if (separate_b && !opt.target.empty()) {
    throw InvalidInput(a_path + ": a target column cannot be chosen when b comes from " + b_path);
  }
  const index_t icpt = opt.intercept ? 1 : 0;
  MatrixMarket mm;
  {
    LineReader reader(a_path);
    // Room for the intercept column, so that adding it moves A within its own allocation.
    mm = detail::read_matrix_market(reader, separate_b ? icpt : 0, index_t{1} << 40, opt.row_begin,
                                    opt.row_end);
  }
  Columns c;
  c.cols = mm.cols;
  c.first_data_line = 1;
  for (index_t j = 0; j < c.cols; ++j) c.names.push_back("x" + std::to_string(j + 1));
  const index_t target = separate_b ? -1 : resolve_target(a_path, c, opt.target);
  const index_t rows = mm.rows;
  const index_t features = mm.cols - (separate_b ? 0 : 1);
  if (features + icpt <= 0) no_features(a_path, 1);
  Problem<double> p;
  p.m = rows;
  p.n = features + icpt;
  p.A = std::move(mm.values);  // moved, never copied: the reader's matrix becomes A in place
  if (target >= 0) {
    const auto first = p.A.begin() + target * rows;
    p.b.assign(first, first + rows);
    p.A.erase(first, first + rows);
  }
  if (icpt) {
    p.A.insert(p.A.begin(), static_cast<size_t>(rows), 1.0);
    p.column_names.push_back("(intercept)");
  }
  for (index_t j = 0; j < c.cols; ++j) {
    if (j != target) p.column_names.push_back(c.names[static_cast<size_t>(j)]);
  }
  if (separate_b) {
    MatrixMarket mb;
    {
      LineReader reader(b_path);
      mb = detail::read_matrix_market(reader, 0, index_t{1} << 40, opt.row_begin, opt.row_end);
    }
    if (std::min(mb.rows, mb.cols) != 1 || mb.rows * mb.cols != rows) {
      throw InvalidInput(b_path + ": b is " + std::to_string(mb.rows) + " x " +
                         std::to_string(mb.cols) + ", expected " + std::to_string(rows) +
                         " x 1 to match A in " + a_path);
    }
    p.b = std::move(mb.values);
  }
  if (rows > 0) p.validate();  // a share of no rows (a row range) is empty by design
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
                  const std::vector<std::string>& names, OutputSet* set) {
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
    write_matrix_market(path, mm, set);
    return;
  }
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) {
      throw InvalidInput(path + ": cannot write a non-finite value at index " + std::to_string(i));
    }
  }
  detail::write_atomically(path, [&](std::FILE* f) {
    std::fputs(names.empty() ? "x\n" : "name,x\n", f);
    for (size_t i = 0; i < x.size(); ++i) {
      if (!names.empty()) std::fprintf(f, "%s,", csv_field(names[i]).c_str());
      std::fprintf(f, "%.17g\n", x[i]);
    }
  }, set);
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
  std::string_view line;
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
