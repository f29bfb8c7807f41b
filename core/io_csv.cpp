// The CSV reader. The first lines decide the layout (io_csv_layout.cpp); then the rows are parsed
// with std::from_chars where they stand, straight into the column-major problem, which is allocated
// once from a count of the file's lines. A large regular file is parsed by several threads, each
// over a range of whole lines written at its own rows; the careful, string-based field splitter
// runs only for quoted fields and to word an error (file:line: column N ('name'): ...).
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <exception>
#include <system_error>
#include <thread>
#include <vector>

#include "core/io_csv_layout.hpp"
#include "core/io_detail.hpp"
#include "core/io_lines.hpp"
#include "lsgd/error.hpp"
#include "lsgd/io.hpp"

namespace lsgd {
namespace {

using detail::CsvLayout;
using detail::fail_at;
using detail::LineReader;
using detail::Num;
using detail::show;

bool blank(char c) { return c == ' ' || c == '\t'; }

// "True"/"False" (and lower/upper case) at p: the end of the word, or nullptr.
const char* match_bool(const char* p, const char* end, double& v) {
  const auto n = static_cast<size_t>(end - p);
  for (const char* w : {"True", "true", "TRUE"}) {
    if (n >= 4 && std::memcmp(p, w, 4) == 0) {
      v = 1.0;
      return p + 4;
    }
  }
  for (const char* w : {"False", "false", "FALSE"}) {
    if (n >= 5 && std::memcmp(p, w, 5) == 0) {
      v = 0.0;
      return p + 5;
    }
  }
  return nullptr;
}

// One field's number at p (from_chars; a decimal comma through a small copy; a boolean): the end of
// the number, or nullptr (the careful path then decides).
const char* parse_field(const char* p, const char* end, char delim, char decimal, double& v) {
  if (decimal == ',') {
    const char* stop = p;
    while (stop < end && *stop != delim && !blank(*stop)) ++stop;
    char buf[64];
    const auto n = static_cast<size_t>(stop - p);
    if (n == 0 || n >= sizeof buf || std::memchr(p, '.', n) != nullptr) return nullptr;
    for (size_t i = 0; i < n; ++i) buf[i] = p[i] == ',' ? '.' : p[i];
    const auto [ptr, ec] = detail::parse_double(buf, buf + n, v);
    if (ec != std::errc() || ptr != buf + n) return match_bool(p, end, v);
    return stop;
  }
  const auto [ptr, ec] = detail::parse_double(p, end, v);
  if (ec != std::errc() || ptr == p) return match_bool(p, end, v);
  return ptr;
}

// Where each row goes: per field, the first element of its column (or nullptr: not stored).
struct Sink {
  std::vector<double*> dest;
};

// A numeric row: each field parsed where it stands, blanks around it skipped, then the delimiter
// (or the end) expected; fields that are not stored are skipped unparsed. No copies. False for
// anything else (a quote, a '+', hex, out of range, NaN/Inf, a bad field): the careful path
// decides.
bool parse_row_fast(std::string_view line, const CsvLayout& L, const Sink& s, index_t row) {
  const char* p = line.data();
  const char* const end = p + line.size();
  const char delim = L.delim;
  const bool blanks = delim == ' ';
  const bool tab_blank = delim != '\t';
  auto skip_blanks = [&] {
    while (p < end && (*p == ' ' || (tab_blank && *p == '\t'))) ++p;
  };
  const auto ncols = static_cast<size_t>(L.cols);
  for (size_t j = 0; j < ncols; ++j) {
    skip_blanks();
    double* const d = s.dest[j];
    if (d == nullptr) {
      if (p < end && *p == '"') return false;
      if (blanks) {
        while (p < end && !blank(*p)) ++p;
      } else {
        const void* q = std::memchr(p, delim, static_cast<size_t>(end - p));
        p = q != nullptr ? static_cast<const char*>(q) : end;
      }
    } else {
      double v;
      const char* q = parse_field(p, end, delim, L.decimal, v);
      if (q == nullptr || !std::isfinite(v)) return false;
      p = q;
      d[row] = v;
    }
    const char* const after = p;
    skip_blanks();
    if (j + 1 < ncols) {
      if (blanks) {
        if (p == after || p == end) return false;
      } else {
        if (p == end || *p != delim) return false;
        ++p;
      }
    }
  }
  return p == end;
}

// A data line for the fast path: starts with a character that is neither blank nor a comment.
bool plainly_data(std::string_view line) {
  if (line.empty()) return false;
  const char c = line.front();
  return c != '#' && c != ' ' && c != '\t' && c != '\f' && c != '\v' && c != '\r';
}

// The careful path: splits (quotes honoured), and either stores the row or throws naming the line
// and column of the first bad field.
void parse_row_slow(const std::string& path, index_t ln, std::string_view line, const CsvLayout& L,
                    const Sink& s, index_t row) {
  const std::vector<std::string> fields = detail::split_fields(line, L.delim, path, ln);
  const auto ncols = static_cast<size_t>(L.cols);
  if (fields.size() != ncols) {
    fail_at(path, ln,
            "ragged row: " + std::to_string(fields.size()) + " fields, expected " +
                std::to_string(ncols) + " (as on line " + std::to_string(L.width_line) + ")");
  }
  for (size_t j = 0; j < ncols; ++j) {
    if (s.dest[j] == nullptr) continue;
    double v = 0.0;
    const Num r = detail::parse_value(fields[j], L.decimal, v);
    if (r == Num::ok) {
      s.dest[j][row] = v;
      continue;
    }
    std::string col = "column " + std::to_string(j + 1);
    if (L.header) col += " (" + show(L.names[j]) + ")";
    if (r == Num::empty) fail_at(path, ln, col + ": empty field");
    if (r == Num::non_finite) {
      fail_at(path, ln, col + ": NaN/Inf value " + show(fields[j]) + " (only finite numbers)");
    }
    const std::string which = L.header ? L.names[j] : std::to_string(j);
    fail_at(path, ln,
            col + ": non-numeric field " + show(fields[j]) +
                (L.decimal == ',' ? " (numbers are read with a decimal comma)" : "") +
                " (to leave the column out: --drop " + show(which) + ")");
  }
}

// Rows kept of the data rows seen (all of them, or one MPI rank's share).
struct RowFilter {
  index_t begin = 0, end = -1;
  index_t seen = 0;
  bool wanted() {
    const index_t k = seen++;
    return k >= begin && (end < 0 || k < end);
  }
};

// Parses one data line into row `row`. Fast path first.
void parse_line(const std::string& path, index_t ln, std::string_view line, const CsvLayout& L,
                const Sink& s, index_t row, bool fast_ok) {
  if (!(fast_ok && plainly_data(line) && parse_row_fast(line, L, s, row))) {
    parse_row_slow(path, ln, line, L, s, row);
  }
}

// Parses the reader's remaining lines into rows [row0, row0 + cap); returns the rows stored.
index_t parse_lines(LineReader& reader, const CsvLayout& L, const Sink& s, index_t row0,
                    index_t cap, RowFilter* filter) {
  const std::string& path = reader.path();
  const bool fast_ok = L.delim != '"';
  std::string_view line;
  index_t rows = 0;
  while (reader.next(line)) {
    const bool plain = plainly_data(line);
    if (!plain && detail::is_comment_or_blank(line)) continue;
    if (filter != nullptr && !filter->wanted()) continue;
    const index_t ln = reader.line();
    if (rows == cap)
      fail_at(path, ln, "more rows than the file had lines (did it change while read?)");
    if (!(fast_ok && plain && parse_row_fast(line, L, s, row0 + rows))) {
      parse_row_slow(path, ln, line, L, s, row0 + rows);
    }
    ++rows;
  }
  return rows;
}

int usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  return sched_getaffinity(0, sizeof set, &set) == 0 ? std::max(1, CPU_COUNT(&set)) : 1;
}

// A byte range of whole lines and what its count pass found.
struct Chunk {
  std::uint64_t begin = 0, end = 0;
  std::uint64_t newlines = 0;
  bool ends_in_newline = true;
  index_t lines_before = 0;  // physical lines of the file before `begin`
  index_t row0 = 0, cap = 0, rows = 0;
  std::exception_ptr error;
};

// The offset just past the first '\n' at or after `from` (or `limit`).
std::uint64_t next_line_start(int fd, const std::string& path, std::uint64_t from,
                              std::uint64_t limit) {
  char buf[1 << 16];
  while (from < limit) {
    const ssize_t n =
        ::pread(fd, buf, static_cast<size_t>(std::min<std::uint64_t>(sizeof buf, limit - from)),
                static_cast<off_t>(from));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) detail::fail_file(path, std::string("read error: ") + std::strerror(errno));
    if (n == 0) return limit;
    if (const void* q = std::memchr(buf, '\n', static_cast<size_t>(n))) {
      return from + static_cast<std::uint64_t>(static_cast<const char*>(q) - buf) + 1;
    }
    from += static_cast<std::uint64_t>(n);
  }
  return limit;
}

void count_chunk(int fd, const std::string& path, Chunk& c) {
  std::vector<char> buf(std::size_t{1} << 20);
  std::uint64_t at = c.begin;
  char last = '\n';
  while (at < c.end) {
    const ssize_t n = ::pread(fd, buf.data(),
                              static_cast<size_t>(std::min<std::uint64_t>(buf.size(), c.end - at)),
                              static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) detail::fail_file(path, std::string("read error: ") + std::strerror(errno));
    if (n == 0) break;
    const char* p = buf.data();
    const char* const e = p + n;
    while ((p = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(e - p)))) !=
           nullptr) {
      ++c.newlines;
      ++p;
    }
    last = buf[static_cast<size_t>(n) - 1];
    at += static_cast<std::uint64_t>(n);
  }
  c.ends_in_newline = last == '\n';
}

// Runs fn(k) for k = 0..n-1 on up to n threads (the calling thread included); falls back to the
// calling thread when a thread cannot be started. Exceptions are the callee's to keep.
template <typename F>
void run_parallel(size_t n, F&& fn) {
  std::vector<std::thread> pool;
  size_t started = 1;
  for (; started < n; ++started) {
    try {
      pool.emplace_back(fn, started);
    } catch (const std::system_error&) {
      break;
    }
  }
  fn(0);
  for (size_t k = started; k < n; ++k) fn(k);
  for (auto& t : pool) t.join();
}

}  // namespace

namespace detail {

std::uint64_t csv_min_bytes_per_thread = std::uint64_t{8} << 20;

Problem<double> read_csv(LineReader& reader, const CsvOptions& opt,
                         std::vector<std::string>* notes) {
  const std::string path = reader.path();
  const CsvSample sample = read_sample(reader);
  if (sample.lines.empty())
    fail_at(path, std::max<index_t>(reader.line(), 1), "no data rows (end of file)");
  const CsvLayout L = infer_layout(path, sample, opt, notes);
  const auto ncols = static_cast<size_t>(L.cols);
  const index_t width = L.width;
  const size_t first_data = L.header ? 1 : 0;
  const bool ranged = opt.row_begin != 0 || opt.row_end >= 0;
  RowFilter filter{std::max<index_t>(0, opt.row_begin), opt.row_end, 0};

  // The rows' bound: per line, and per byte (a row has cols - 1 delimiters, a line feed and one
  // character at least in each parsed field), so that a file of blank lines allocates nothing.
  const std::uint64_t min_row_bytes = ncols + static_cast<std::uint64_t>(L.parsed_fields);
  auto bound = [&](std::uint64_t lines, std::uint64_t bytes) {
    return static_cast<index_t>(std::min(lines, (bytes + 1) / min_row_bytes));
  };
  const index_t sample_rows = static_cast<index_t>(sample.lines.size() - first_data);
  std::vector<Chunk> chunks;
  const int want_threads = opt.threads > 0 ? opt.threads : usable_cores();
  const std::uint64_t rest_begin = reader.offset();
  const std::uint64_t rest = reader.size() > rest_begin ? reader.size() - rest_begin : 0;
  const auto nthreads = static_cast<size_t>(
      std::clamp<std::uint64_t>(rest / std::max<std::uint64_t>(1, csv_min_bytes_per_thread), 1,
                                static_cast<std::uint64_t>(std::clamp(want_threads, 1, 64))));
  const bool parallel = !ranged && reader.splittable() && nthreads > 1;
  index_t cap = 0;
  if (parallel) {
    // Ranges of whole lines, counted in parallel: chunk k's rows go to [row0, row0 + cap).
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail_file(path, std::string("cannot open file: ") + std::strerror(errno));
    std::vector<std::uint64_t> cut{rest_begin};
    try {
      for (size_t k = 1; k < nthreads; ++k) {
        const std::uint64_t at = next_line_start(
            fd, path, std::max(cut.back(), rest_begin + rest * k / nthreads), reader.size());
        if (at > cut.back() && at < reader.size()) cut.push_back(at);
      }
    } catch (...) {
      ::close(fd);
      throw;
    }
    cut.push_back(reader.size());
    chunks.resize(cut.size() - 1);
    for (size_t k = 0; k < chunks.size(); ++k) {
      chunks[k].begin = cut[k];
      chunks[k].end = cut[k + 1];
    }
    run_parallel(chunks.size(), [&](size_t k) {
      try {
        count_chunk(fd, path, chunks[k]);
      } catch (...) {
        chunks[k].error = std::current_exception();
      }
    });
    ::close(fd);
    for (auto& c : chunks) {
      if (c.error) std::rethrow_exception(c.error);
    }
    index_t lines = reader.line();
    cap = sample_rows;
    for (size_t k = 0; k < chunks.size(); ++k) {
      Chunk& c = chunks[k];
      c.lines_before = lines;
      lines += static_cast<index_t>(c.newlines);
      const std::uint64_t physical = c.newlines + (c.ends_in_newline ? 0 : 1);
      c.row0 = cap;
      c.cap = bound(physical, c.end - c.begin);
      cap += c.cap;
    }
  } else {
    const std::uint64_t by_lines = reader.count_newlines() + 1;
    cap = sample_rows + bound(by_lines, reader.bytes_left());
    if (opt.row_end >= 0) cap = std::min(cap, std::max<index_t>(0, opt.row_end - filter.begin));
  }

  Problem<double> p;
  p.A.assign(static_cast<size_t>(cap * width), 0.0);
  p.b.assign(static_cast<size_t>(cap), 0.0);
  Sink sink;
  sink.dest.assign(ncols, nullptr);
  for (size_t j = 0; j < ncols; ++j) {
    const index_t r = L.role[j];
    if (r == kTargetField) sink.dest[j] = p.b.data();
    if (r >= 0) sink.dest[j] = p.A.data() + r * cap;
  }

  // The sampled data rows, then the rest (in ranges of lines, or in one go).
  index_t rows = 0;
  for (size_t k = first_data; k < sample.lines.size(); ++k) {
    if (ranged && !filter.wanted()) continue;
    if (rows == cap) fail_at(path, sample.line_numbers[k], "more rows than the file had lines");
    parse_line(path, sample.line_numbers[k], sample.lines[k], L, sink, rows, L.delim != '"');
    ++rows;
  }
  struct Segment {
    index_t from, rows;
  };
  std::vector<Segment> segments{{0, rows}};
  if (parallel) {
    run_parallel(chunks.size(), [&](size_t k) {
      Chunk& c = chunks[k];
      try {
        LineReader part(path, c.begin, c.end, c.lines_before);
        c.rows = parse_lines(part, L, sink, c.row0, c.cap, nullptr);
      } catch (...) {
        c.error = std::current_exception();
      }
    });
    for (auto& c : chunks) {
      if (c.error) std::rethrow_exception(c.error);  // the first in file order
    }
    for (auto& c : chunks) {
      segments.push_back({c.row0, c.rows});
      rows += c.rows;
    }
  } else {
    const index_t more = parse_lines(reader, L, sink, rows, cap - rows, ranged ? &filter : nullptr);
    segments.back().rows += more;
    rows += more;
  }
  if (rows == 0 && !ranged) {
    fail_at(path, std::max<index_t>(reader.line(), 1),
            std::string("no data rows (end of file") + (L.header ? ", after the header)" : ")"));
  }

  // A leading column checked for 0, 1, ..., m-1 (as pandas writes its index).
  std::vector<index_t> keep;  // columns of A kept, in order
  for (index_t f = 0; f < width; ++f) keep.push_back(f);
  std::vector<std::string> names = L.column_names;
  if (L.index_column >= 0 && (rows >= 2 || ranged)) {
    // One MPI rank's share cannot see every row: there the sampled first rows decide, as on every
    // other rank, so that all ranks keep the same columns.
    bool counts = ranged ? L.index_drop : true;
    index_t i = 0;
    const double* col = p.A.data() + L.index_column * cap;
    for (const Segment& sg : segments) {
      if (ranged) break;
      for (index_t k = 0; k < sg.rows && counts; ++k, ++i)
        counts = col[sg.from + k] == static_cast<double>(i);
    }
    if (counts && notes != nullptr && !L.index_drop) {
      const std::string& name = names[static_cast<size_t>(L.index_column)];
      notes->push_back(path + ": column 1 (" + show(name) + ") holds 0, 1, ..., " +
                       std::to_string(rows - 1) +
                       " like a row index; it is used as a column of A "
                       "(--drop " +
                       show(name) + " leaves it out)");
    }
    if (counts && L.index_drop) {
      keep.erase(keep.begin() + L.index_column);
      names.erase(names.begin() + L.index_column);
      if (notes != nullptr) {
        notes->push_back(
            path + ": column 1 holds 0, 1, ..., " +
            (ranged ? std::string("(in the first rows)") : std::to_string(rows - 1)) +
            " and is taken as the row index (pandas' to_csv with header=False) and left "
            "out (--index-column none keeps it)");
      }
    }
  }
  const auto out_width = static_cast<index_t>(keep.size());
  if (out_width <= 0) no_features(path, L.width_line);

  // Close the gaps (rows not used by a range of lines, comments, a dropped index column) in place:
  // every move goes to a lower address, in increasing order.
  const bool dense = rows == cap && out_width == width;
  if (!dense) {
    for (index_t nf = 0; nf < out_width; ++nf) {
      double* const dst = p.A.data() + nf * rows;
      const double* const src = p.A.data() + keep[static_cast<size_t>(nf)] * cap;
      index_t off = 0;
      for (const Segment& sg : segments) {
        if (sg.rows > 0)
          std::memmove(dst + off, src + sg.from, static_cast<size_t>(sg.rows) * sizeof(double));
        off += sg.rows;
      }
    }
    index_t off = 0;
    for (const Segment& sg : segments) {
      if (sg.rows > 0)
        std::memmove(p.b.data() + off, p.b.data() + sg.from,
                     static_cast<size_t>(sg.rows) * sizeof(double));
      off += sg.rows;
    }
    p.A.resize(static_cast<size_t>(rows * out_width));
    p.b.resize(static_cast<size_t>(rows));
  }
  if (L.intercept) std::fill(p.A.begin(), p.A.begin() + rows, 1.0);
  p.column_names = std::move(names);
  p.m = rows;
  p.n = out_width;
  if (rows > 0) p.validate();  // a share of no rows (ranged) is empty by design
  return p;
}

}  // namespace detail

index_t count_csv_rows(const std::string& path, const CsvOptions& opt) {
  LineReader reader(path);
  const detail::CsvSample sample = detail::read_sample(reader);
  if (sample.lines.empty()) return 0;
  const CsvLayout L = detail::infer_layout(path, sample, opt, nullptr);
  auto rows = static_cast<index_t>(sample.lines.size()) - (L.header ? 1 : 0);
  std::string_view line;
  while (reader.next(line)) {
    if (!detail::is_comment_or_blank(line)) ++rows;
  }
  return rows;
}

Problem<double> read_csv(const std::string& path, const CsvOptions& opt,
                         std::vector<std::string>* notes) {
  LineReader reader(path);
  return detail::read_csv(reader, opt, notes);
}

}  // namespace lsgd
