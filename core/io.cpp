// Problems and vectors: the reader picked by extension (CSV in io_csv.cpp, Matrix Market in
// io_mm.cpp, made a Problem here), vectors, and the CSV writer, at full precision (%.17g
// round-trips every double) through io_write's atomic writes.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string_view>

#include "core/io_csv_layout.hpp"
#include "core/io_detail.hpp"
#include "core/io_lines.hpp"
#include "lsgd/error.hpp"
#include "lsgd/io.hpp"

namespace lsgd {
namespace {

using detail::fail_at;
using detail::LineReader;
using detail::Num;
using detail::is_comment_or_blank;
using detail::parse_number;
using detail::split_fields;
using detail::show;
using detail::trim;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string extension_of(const std::string& path) {
  return lower(std::filesystem::path(path).extension().string());
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

}  // namespace

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
  if (!opt.drop.empty() || !opt.columns.empty()) {
    throw InvalidInput(a_path + ": choosing columns (--drop, --columns) is for CSV files; a Matrix "
                                "Market file has no column names");
  }
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
  std::vector<std::string> names;
  for (index_t j = 0; j < mm.cols; ++j) names.push_back("x" + std::to_string(j + 1));
  index_t target = separate_b ? -1 : mm.cols - 1;
  if (!separate_b && !opt.target.empty()) {
    target = detail::resolve_column(a_path, 1, names, false, opt.target, "target column", nullptr);
  }
  const index_t rows = mm.rows;
  const index_t features = mm.cols - (separate_b ? 0 : 1);
  if (features + icpt <= 0) detail::no_features(a_path, 1);
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
  for (index_t j = 0; j < mm.cols; ++j) {
    if (j != target) p.column_names.push_back(names[static_cast<size_t>(j)]);
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
                             const std::string& b_path, std::vector<std::string>* notes) {
  std::string ext = extension_of(path);
  if (ext == ".gz") ext = extension_of(path.substr(0, path.size() - 3));
  if (ext == ".mtx") {
    if (extension_of(path) == ".gz") {
      throw InvalidInput(path +
                         ": compressed Matrix Market files are not read (their declared size is "
                         "checked against the file's); decompress it first: gunzip -k " + path);
    }
    return read_mm_problem(path, b_path, opt);
  }
  if (ext == ".csv" || ext == ".txt" || ext == ".tsv") {
    if (!b_path.empty()) {
      throw InvalidInput(b_path + ": a separate b file goes with a Matrix Market A (.mtx) only");
    }
    CsvOptions o = opt;
    if (ext == ".tsv" && o.delimiter == '\0') o.delimiter = '\t';
    return read_csv(path, o, notes);
  }
  throw InvalidInput(path + ": unknown file type " + show(ext.empty() ? "(none)" : ext) +
                     " (expected .csv, .txt, .tsv or .mtx, the first three also gzip-compressed "
                     "as .csv.gz and so on)");
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
