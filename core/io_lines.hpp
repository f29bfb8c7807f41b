#pragma once
// The text layer under the CSV and Matrix Market readers: lines from a file read in large blocks
// (or from memory), and number parsing with std::from_chars. Nothing here allocates per line or
// per field; the readers fall back to slower, string-based code only to word an error message.
#include <charconv>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lsgd/problem.hpp"

namespace lsgd::detail {

[[noreturn]] void fail_at(const std::string& path, index_t line, const std::string& msg);
[[noreturn]] void fail_file(const std::string& path, const std::string& msg);

// Shortens and quotes a field for a message (a binary file may hold a very long "field").
std::string show(std::string_view s);

std::string_view trim(std::string_view s);

class GzipStream;

// Physical lines, counted from 1, without "\n" or "\r\n", and without a UTF-8 byte-order mark on the
// first. UTF-16 text (a byte-order mark, or NULs between ASCII characters) is refused by name. gzip
// data (magic 1f 8b) is decompressed on the fly (core/io_gz), whatever the file's name.
class LineReader {
 public:
  explicit LineReader(const std::string& path);                    // a file (or a pipe)
  LineReader(std::string_view text, std::string name);             // text in memory
  // Bytes [begin, end) of a regular, uncompressed file whose first line there is line
  // `lines_before` + 1, through a descriptor of its own: one thread's share of a parallel read.
  LineReader(const std::string& path, std::uint64_t begin, std::uint64_t end, index_t lines_before);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line; the view stays valid until the following call.
  bool next(std::string_view& line);
  index_t line() const { return line_; }
  const std::string& path() const { return path_; }
  // Bytes not yet returned as lines (exact for files and memory; for gzip data, exact once
  // count_newlines() has run): bounds what the rest can hold.
  std::uint64_t bytes_left() const { return size_ - consumed_; }
  // Offset of the first byte not yet returned as a line (in the file, for a plain file).
  std::uint64_t offset() const { return start_ + consumed_; }
  // Line feeds in the whole input (an upper bound on its lines, less one), counted in a separate
  // pass over the file so that a reader can allocate its result once.
  std::uint64_t count_newlines();
  // A regular file read through its descriptor, uncompressed: one that parallel readers can share
  // out by byte ranges.
  bool splittable() const { return fd_ >= 0 && gz_ == nullptr; }
  bool compressed() const { return compressed_; }
  // The size of the file in bytes (of the text, once counted, for gzip data).
  std::uint64_t size() const { return size_; }

 private:
  void check_encoding();
  void open_file();
  bool fill();  // reads more into the buffer; false at end of input
  size_t read_raw(char* out, size_t cap);  // from the descriptor, within the range

  std::string path_;
  int fd_ = -1;
  bool from_memory_ = false;
  bool compressed_ = false;
  std::unique_ptr<GzipStream> gz_;
  std::string buf_;         // block buffer (files)
  const char* data_ = nullptr;
  size_t begin_ = 0, end_ = 0;  // unread bytes are data_[begin_, end_)
  bool eof_ = false;
  std::uint64_t start_ = 0;     // file offset of the range read (0: the whole file)
  std::uint64_t pos_ = 0;       // next offset to read from the descriptor
  std::uint64_t limit_ = 0;     // bytes of the range not yet read from the descriptor
  std::uint64_t size_ = 0, consumed_ = 0;
  index_t line_ = 0;
};

// std::from_chars for a double (correctly rounded, no locale, no allocation): the one place the
// readers parse a number, so that a faster parser can replace it under test_io_numbers.
std::from_chars_result parse_double(const char* first, const char* last, double& out);

enum class Num { ok, empty, not_number, non_finite };

// The whole (trimmed) field must be a finite number. Overflow (1e999) is non-finite; underflow to a
// subnormal or zero is accepted, as every CSV reader does. Fast path: std::from_chars; strtod only
// for what it rejects (a leading '+', hex, out of range) so that the accepted set is strtod's.
Num parse_number(std::string_view field, double& out);

// A decimal integer (optional sign), the whole trimmed field.
bool parse_index(std::string_view field, index_t& out);

// True/False as pandas writes booleans (also true/false, TRUE/FALSE): 1 or 0.
bool parse_bool(std::string_view field, double& out);

// A field's value: a number (',' as the decimal mark when decimal == ','), or a boolean as 1/0.
Num parse_value(std::string_view field, char decimal, double& out);

// Splits a line into trimmed fields. A field may be enclosed in double quotes (then it may hold
// the delimiter, and "" stands for one quote). A space delimiter splits on runs of blanks (spaces
// and tabs), ignoring those at either end of the line.
std::vector<std::string> split_fields(std::string_view line, char delim, const std::string& path,
                                      index_t lineno);

bool is_comment_or_blank(std::string_view line, char comment = '#');

}  // namespace lsgd::detail
