// Matrix Market: array and coordinate, real/integer, general/symmetric/skew-symmetric. The declared
// size is checked against the bytes the file has left before anything is allocated; coordinate
// entries are kept as triplets until their count is verified and densified once.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <sstream>
#include <vector>

#include "core/io_detail.hpp"
#include "core/io_lines.hpp"
#include "lsgd/error.hpp"
#include "lsgd/io.hpp"

namespace lsgd {
namespace detail {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> split_blanks(std::string_view line) {
  std::istringstream is{std::string(line)};
  std::vector<std::string> out;
  std::string s;
  while (is >> s) out.push_back(s);
  return out;
}

bool comment_or_blank(std::string_view line) {
  const std::string_view t = trim(line);
  return t.empty() || t.front() == '%';
}

struct MmHeader {
  bool coordinate = false;
  enum class Sym { general, symmetric, skew } sym = Sym::general;
};

MmHeader parse_header(const std::string& path, std::string_view line) {
  const char* usage =
      "expected '%%MatrixMarket matrix array|coordinate real|integer general|symmetric'";
  std::vector<std::string> tok = split_blanks(line);
  for (auto& t : tok) t = lower(t);
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

double mm_value(const std::string& path, index_t ln, std::string_view field) {
  double v = 0.0;
  const Num r = parse_number(field, v);
  if (r == Num::non_finite) fail_at(path, ln, "NaN/Inf value " + show(field) + " (only finite numbers)");
  if (r != Num::ok) fail_at(path, ln, "non-numeric value " + show(field));
  return v;
}

bool blank(char c) { return c == ' ' || c == '\t'; }

// "i j v" with blanks between: the common case, without building strings. False: let the careful
// path word the error (or accept what from_chars does not, such as a leading '+').
bool parse_triplet_fast(std::string_view line, index_t& i, index_t& j, double& v) {
  const char* p = line.data();
  const char* end = p + line.size();
  while (p < end && blank(*p)) ++p;
  long long a = 0, b = 0;
  auto r1 = std::from_chars(p, end, a);
  if (r1.ec != std::errc() || r1.ptr == end || !blank(*r1.ptr)) return false;
  p = r1.ptr;
  while (p < end && blank(*p)) ++p;
  auto r2 = std::from_chars(p, end, b);
  if (r2.ec != std::errc() || r2.ptr == end || !blank(*r2.ptr)) return false;
  p = r2.ptr;
  while (p < end && blank(*p)) ++p;
  while (end > p && blank(end[-1])) --end;
  auto r3 = parse_double(p, end, v);
  if (r3.ec != std::errc() || r3.ptr != end || !std::isfinite(v)) return false;
  i = a;
  j = b;
  return true;
}

bool parse_value_fast(std::string_view line, double& v) {
  const char* p = line.data();
  const char* end = p + line.size();
  while (p < end && blank(*p)) ++p;
  while (end > p && blank(end[-1])) --end;
  auto r = parse_double(p, end, v);
  return r.ec == std::errc() && r.ptr == end && p != end && std::isfinite(v);
}

// The one value of an array-format line: the fast parse, else the general one (its errors name the
// line).
double array_value(const std::string& path, index_t ln, std::string_view line) {
  double v = 0.0;
  if (parse_value_fast(line, v)) return v;
  const auto tok = split_blanks(line);
  if (tok.size() != 1) {
    fail_at(path, ln, "expected one value per line in array format, found " +
                          std::to_string(tok.size()) + " fields");
  }
  return mm_value(path, ln, tok[0]);
}

struct Triplet {
  std::uint64_t k;  // column-major position j * rows + i
  double v;
  index_t line;
};

}  // namespace

MatrixMarket read_matrix_market(LineReader& reader, index_t spare_cols, index_t max_values,
                                index_t row_begin, index_t row_end) {
  const std::string& path = reader.path();
  std::string_view line;
  if (!reader.next(line)) fail_at(path, 1, "empty file; expected a '%%MatrixMarket' header line");
  const MmHeader h = parse_header(path, line);
  MatrixMarket mm;
  index_t nnz = 0;
  index_t size_line = 0;
  for (;;) {
    if (!reader.next(line)) fail_at(path, reader.line(), "missing size line (end of file)");
    if (comment_or_blank(line)) continue;
    size_line = reader.line();
    const auto tok = split_blanks(line);
    const size_t want = h.coordinate ? 3 : 2;
    const char* form = h.coordinate ? "'rows cols entries'" : "'rows cols'";
    if (tok.size() != want) fail_at(path, size_line, std::string("invalid size line; expected ") + form);
    if (!parse_index(tok[0], mm.rows) || !parse_index(tok[1], mm.cols) ||
        (h.coordinate && !parse_index(tok[2], nnz))) {
      fail_at(path, size_line, std::string("invalid size line; expected integers ") + form);
    }
    if (mm.rows <= 0 || mm.cols <= 0) {
      fail_at(path, size_line, "invalid size " + std::to_string(mm.rows) + " x " +
                                   std::to_string(mm.cols) + ": rows and columns must be positive");
    }
    if (nnz < 0) {
      fail_at(path, size_line, "invalid number of entries " + std::to_string(nnz) + " (must be >= 0)");
    }
    if (mm.rows > max_values / mm.cols) {
      fail_at(path, size_line, "matrix too large to densify (" + std::to_string(mm.rows) + " x " +
                                   std::to_string(mm.cols) + ")");
    }
    if (h.sym != MmHeader::Sym::general && mm.rows != mm.cols) {
      fail_at(path, size_line, "a symmetric matrix must be square, got " + std::to_string(mm.rows) +
                                   " x " + std::to_string(mm.cols));
    }
    if (h.coordinate && nnz > mm.rows * mm.cols) {
      fail_at(path, size_line, std::to_string(nnz) + " entries declared for a " +
                                   std::to_string(mm.rows) + " x " + std::to_string(mm.cols) + " matrix");
    }
    break;
  }
  const index_t rows = mm.rows, cols = mm.cols;
  const bool sym = h.sym != MmHeader::Sym::general;
  const bool ranged = row_begin != 0 || row_end >= 0;
  const index_t r0 = std::clamp<index_t>(row_begin, 0, rows);
  const index_t r1 = row_end < 0 ? rows : std::clamp<index_t>(row_end, r0, rows);
  if (ranged && (h.coordinate || sym)) {
    fail_at(path, size_line, "a range of rows can be read from a general array file only (this one "
                             "is " + std::string(h.coordinate ? "coordinate" : "symmetric") + ")");
  }
  const bool skew = h.sym == MmHeader::Sym::skew;
  const double mirror = skew ? -1.0 : 1.0;
  index_t expected = nnz;
  if (!h.coordinate) {
    expected = !sym ? rows * cols : skew ? rows * (rows - 1) / 2 : rows * (rows + 1) / 2;
  }
  // Every entry takes at least "v\n" (array) or "i j v\n" (coordinate) bytes, the last one without
  // its newline: a declared count the rest of the file cannot hold is refused before allocating.
  // (Only for matrices past 64 MB: smaller ones read to the end, for the more precise message.)
  const size_t dense = static_cast<size_t>(rows * cols);
  const std::uint64_t min_bytes = h.coordinate ? 6 : 2;
  const std::uint64_t left = reader.bytes_left();
  if (dense * sizeof(double) > (size_t{64} << 20) &&
      static_cast<std::uint64_t>(expected) > (left + 1) / min_bytes) {
    fail_at(path, size_line, "the size line declares " + std::to_string(expected) + " entries (" +
                                 std::to_string(rows) + " x " + std::to_string(cols) +
                                 "), but the file is only " + std::to_string(left) +
                                 " bytes after it: truncated, or a wrong size line");
  }
  const size_t capacity = dense + static_cast<size_t>(spare_cols * rows);
  index_t count = 0;

  if (!h.coordinate && ranged) {  // keep rows [r0, r1) of every column
    const index_t share = r1 - r0;
    mm.values.reserve(static_cast<size_t>((cols + spare_cols) * share));
    mm.values.assign(static_cast<size_t>(cols * share), 0.0);
    index_t ai = 0, aj = 0;
    while (reader.next(line)) {
      if (comment_or_blank(line)) continue;
      const index_t ln = reader.line();
      if (count == expected) fail_at(path, ln, "more entries than the " + std::to_string(expected) + " declared");
      if (ai >= r0 && ai < r1) {
        mm.values[static_cast<size_t>(aj * share + ai - r0)] = array_value(path, ln, line);
      }
      if (++ai == rows) {
        ++aj;
        ai = 0;
      }
      ++count;
    }
    if (count < expected) {
      fail_at(path, reader.line(), "too few entries: " + std::to_string(count) + " of the " +
                                       std::to_string(expected) + " declared (end of file)");
    }
    mm.rows = share;
    return mm;
  }

  if (!h.coordinate) {
    mm.values.reserve(capacity);
    mm.values.assign(dense, 0.0);
    index_t ai = skew ? 1 : 0, aj = 0;
    while (reader.next(line)) {
      if (comment_or_blank(line)) continue;
      const index_t ln = reader.line();
      if (count == expected) fail_at(path, ln, "more entries than the " + std::to_string(expected) + " declared");
      const double v = array_value(path, ln, line);
      mm.values[static_cast<size_t>(aj * rows + ai)] = v;
      if (sym && ai != aj) mm.values[static_cast<size_t>(ai * rows + aj)] = mirror * v;
      if (++ai == rows) {
        ++aj;
        ai = sym ? aj + (skew ? 1 : 0) : 0;
      }
      ++count;
    }
    if (count < expected) {
      fail_at(path, reader.line(), "too few entries: " + std::to_string(count) + " of the " +
                                       std::to_string(expected) + " declared (end of file)");
    }
    return mm;
  }

  // A bitmap (1/64 of the matrix) finds duplicates, mirrored pairs included.
  std::vector<std::uint64_t> seen;
  auto place = [&](std::uint64_t k, double v, index_t ln) {
    const std::uint64_t i = k % static_cast<std::uint64_t>(rows);
    const std::uint64_t j = k / static_cast<std::uint64_t>(rows);
    const std::uint64_t kt = i * static_cast<std::uint64_t>(rows) + j;
    auto mark = [&seen](std::uint64_t q) {
      const std::uint64_t bit = std::uint64_t{1} << (q % 64);
      const bool was = (seen[q / 64] & bit) != 0;
      seen[q / 64] |= bit;
      return was;
    };
    if (mark(k) || (sym && i != j && mark(kt))) {
      fail_at(path, ln, "duplicate entry (" + std::to_string(i + 1) + ", " + std::to_string(j + 1) +
                            ")" + (sym ? " (a symmetric file stores each pair once)" : ""));
    }
    mm.values[k] = v;
    if (sym && i != j) mm.values[kt] = mirror * v;
  };
  auto densify = [&] {
    mm.values.reserve(capacity);
    mm.values.assign(dense, 0.0);
    seen.assign((dense + 63) / 64, 0);
  };
  // Few entries for the size: keep triplets until their count is verified, then densify once (a
  // 60-byte file may declare 20000 x 20000). Many: the file itself is large enough to justify the
  // dense matrix at once, and triplets would cost more than it (24 bytes per entry against 8).
  const bool direct = static_cast<std::uint64_t>(expected) * sizeof(Triplet) >
                      dense * sizeof(double) / 2 + (std::uint64_t{64} << 20);
  std::vector<Triplet> entries;
  if (direct) {
    densify();
  } else {
    entries.reserve(static_cast<size_t>(std::min<index_t>(expected, index_t{1} << 16)));
  }
  while (reader.next(line)) {
    if (comment_or_blank(line)) continue;
    const index_t ln = reader.line();
    if (count == expected) fail_at(path, ln, "more entries than the " + std::to_string(expected) + " declared");
    index_t i = 0, j = 0;
    double v = 0.0;
    if (!parse_triplet_fast(line, i, j, v) || i < 1 || i > rows || j < 1 || j > cols) {
      const auto tok = split_blanks(line);
      if (tok.size() != 3) {
        fail_at(path, ln, "expected 'row column value', found " + std::to_string(tok.size()) + " fields");
      }
      if (!parse_index(tok[0], i)) fail_at(path, ln, "invalid row index " + show(tok[0]));
      if (!parse_index(tok[1], j)) fail_at(path, ln, "invalid column index " + show(tok[1]));
      if (i < 1 || i > rows) {
        fail_at(path, ln, "row index " + tok[0] + " out of range 1.." + std::to_string(rows));
      }
      if (j < 1 || j > cols) {
        fail_at(path, ln, "column index " + tok[1] + " out of range 1.." + std::to_string(cols));
      }
      v = mm_value(path, ln, tok[2]);
    }
    if (skew && i == j) {
      fail_at(path, ln, "skew-symmetric matrix with a diagonal entry (" + std::to_string(i) + ", " +
                            std::to_string(j) + ")");
    }
    const auto k = static_cast<std::uint64_t>((j - 1) * rows + (i - 1));
    if (direct) {
      place(k, v, ln);
    } else {
      entries.push_back({k, v, ln});
    }
    ++count;
  }
  if (count < expected) {
    fail_at(path, reader.line(), "too few entries: " + std::to_string(count) + " of the " +
                                     std::to_string(expected) + " declared (end of file)");
  }
  if (!direct) {
    densify();
    for (const Triplet& t : entries) place(t.k, t.v, t.line);
  }
  return mm;
}

}  // namespace detail

MatrixMarket read_matrix_market(const std::string& path) {
  detail::LineReader reader(path);
  return detail::read_matrix_market(reader, 0);
}

index_t matrix_market_rows(const std::string& path) {
  using namespace detail;
  LineReader reader(path);
  std::string_view line;
  if (!reader.next(line)) fail_at(path, 1, "empty file; expected a '%%MatrixMarket' header line");
  parse_header(path, line);
  while (reader.next(line)) {
    if (comment_or_blank(line)) continue;
    const auto tok = split_blanks(line);
    index_t rows = 0;
    if (tok.size() < 2 || !parse_index(tok[0], rows) || rows <= 0) {
      fail_at(path, reader.line(), "invalid size line");
    }
    return rows;
  }
  fail_at(path, std::max<index_t>(reader.line(), 1), "missing size line (end of file)");
}

void write_matrix_market(const std::string& path, const MatrixMarket& mm, OutputSet* set) {
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
  detail::write_atomically(
      path,
      [&](std::FILE* f) {
        std::fprintf(f, "%%%%MatrixMarket matrix array real general\n%% written by lsgd\n");
        std::fprintf(f, "%lld %lld\n", static_cast<long long>(mm.rows), static_cast<long long>(mm.cols));
        for (double v : mm.values) std::fprintf(f, "%.17g\n", v);
      },
      set);
}

}  // namespace lsgd
