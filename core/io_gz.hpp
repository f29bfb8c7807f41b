#pragma once
// gzip-compressed input for the text readers (zlib's inflate; optional at build time). A stream of
// compressed bytes comes from a callback, so that one class serves a file read in blocks, a file
// read again from its start (the readers' counting pass) and bytes in memory. Concatenated gzip
// members (what `cat a.gz b.gz` or pigz write) are read one after the other, as gunzip does.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace lsgd::detail {

// Whether these bytes start a gzip stream (magic 1f 8b).
bool is_gzip(std::string_view head);

// Whether this build can read gzip (zlib found at configure time).
bool gzip_supported();

class GzipStream {
 public:
  // `source(buf, cap)` fills at most cap compressed bytes into buf and returns how many (0: the
  // end). `path` names the file in messages. Throws InvalidInput when zlib is not built in.
  GzipStream(std::function<size_t(char*, size_t)> source, std::string path);
  ~GzipStream();
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;

  // Up to cap decompressed bytes into out; 0 only at the end of the data. Throws InvalidInput
  // naming the file for corrupt or truncated data.
  size_t read(char* out, size_t cap);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// The whole of an in-memory gzip stream, decompressed (pipes and the fuzzers read whole).
std::string gunzip_all(std::string_view compressed, const std::string& path);

}  // namespace lsgd::detail
