#pragma once
// The text layer under the CSV and Matrix Market readers: lines from a file read in large blocks
// (or from memory), and number parsing with std::from_chars. Nothing here allocates per line or
// per field; the readers fall back to slower, string-based code only to word an error message.
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "lsgd/problem.hpp"

namespace lsgd::detail {

[[noreturn]] void fail_at(const std::string& path, index_t line, const std::string& msg);
[[noreturn]] void fail_file(const std::string& path, const std::string& msg);

// Shortens and quotes a field for a message (a binary file may hold a very long "field").
std::string show(std::string_view s);

std::string_view trim(std::string_view s);

// Physical lines, counted from 1, without "\n" or "\r\n", and without a UTF-8 byte-order mark on the
// first. UTF-16 text (a byte-order mark, or NULs between ASCII characters) is refused by name.
class LineReader {
 public:
  explicit LineReader(const std::string& path);                    // a file (or a pipe)
  LineReader(std::string_view text, std::string name);             // text in memory
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line; the view stays valid until the following call.
  bool next(std::string_view& line);
  index_t line() const { return line_; }
  const std::string& path() const { return path_; }
  // Bytes not yet returned as lines (exact for files and memory): bounds what the rest can hold.
  std::uint64_t bytes_left() const { return size_ - consumed_; }
  // Line feeds in the whole input (an upper bound on its lines, less one), counted in a separate
  // pass over the file so that a reader can allocate its result once.
  std::uint64_t count_newlines();

 private:
  void check_encoding();
  bool fill();  // reads more into the buffer; false at end of input

  std::string path_;
  int fd_ = -1;
  bool from_memory_ = false;
  std::string buf_;         // block buffer (files)
  const char* data_ = nullptr;
  size_t begin_ = 0, end_ = 0;  // unread bytes are data_[begin_, end_)
  bool eof_ = false;
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

}  // namespace lsgd::detail
