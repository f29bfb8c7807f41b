#include "core/io_gz.hpp"

#include <cstring>

#include "core/io_lines.hpp"
#include "lsgd/error.hpp"

#ifdef LSGD_WITH_ZLIB
#include <zlib.h>
#endif

namespace lsgd::detail {

bool is_gzip(std::string_view head) {
  return head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x1f &&
         static_cast<unsigned char>(head[1]) == 0x8b;
}

#ifdef LSGD_WITH_ZLIB

bool gzip_supported() { return true; }

struct GzipStream::State {
  std::function<size_t(char*, size_t)> source;
  std::string path;
  z_stream z{};
  std::string in;  // compressed block
  bool source_done = false;
  bool member_done = false;  // the last inflate() ended a gzip member
  bool done = false;
};

GzipStream::GzipStream(std::function<size_t(char*, size_t)> source, std::string path)
    : s_(std::make_unique<State>()) {
  s_->source = std::move(source);
  s_->path = std::move(path);
  s_->in.resize(size_t{1} << 18);
  // 15 + 16: gzip wrapper only (the caller checked the magic bytes).
  if (inflateInit2(&s_->z, 15 + 16) != Z_OK) fail_file(s_->path, "cannot start zlib's inflate");
}

GzipStream::~GzipStream() { inflateEnd(&s_->z); }

size_t GzipStream::read(char* out, size_t cap) {
  State& s = *s_;
  if (s.done || cap == 0) return 0;
  s.z.next_out = reinterpret_cast<Bytef*>(out);
  s.z.avail_out = static_cast<uInt>(std::min<size_t>(cap, size_t{1} << 30));
  while (s.z.avail_out > 0) {
    if (s.z.avail_in == 0 && !s.source_done) {
      const size_t n = s.source(s.in.data(), s.in.size());
      if (n == 0) {
        s.source_done = true;
      } else {
        s.z.next_in = reinterpret_cast<Bytef*>(s.in.data());
        s.z.avail_in = static_cast<uInt>(n);
      }
    }
    if (s.z.avail_in == 0 && s.source_done) {
      if (!s.member_done)
        fail_file(s.path, "truncated gzip data (the file ends inside the stream)");
      s.done = true;
      break;
    }
    if (s.member_done) {
      // Another member follows the one that ended (concatenated gzip files).
      if (inflateReset(&s.z) != Z_OK) fail_file(s.path, "cannot restart zlib's inflate");
      s.member_done = false;
    }
    const int rc = inflate(&s.z, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      s.member_done = true;
    } else if (rc == Z_BUF_ERROR) {
      // No progress possible: more input needed (loop), or none left (truncated, caught above).
      if (s.z.avail_in != 0) fail_file(s.path, "corrupt gzip data (zlib: no progress)");
    } else if (rc != Z_OK) {
      fail_file(s.path, std::string("corrupt gzip data (zlib: ") +
                            (s.z.msg != nullptr ? s.z.msg : "error " + std::to_string(rc)) + ")");
    }
  }
  return cap - s.z.avail_out;
}

#else  // LSGD_WITH_ZLIB

bool gzip_supported() { return false; }

struct GzipStream::State {};

GzipStream::GzipStream(std::function<size_t(char*, size_t)>, std::string path) {
  fail_file(path,
            "the file is gzip-compressed, but this lsgd was built without zlib (install zlib1g-dev "
            "and rebuild), or decompress it first: gunzip -k " +
                path);
}

GzipStream::~GzipStream() = default;

size_t GzipStream::read(char*, size_t) { return 0; }

#endif  // LSGD_WITH_ZLIB

std::string gunzip_all(std::string_view compressed, const std::string& path) {
  size_t pos = 0;
  GzipStream gz(
      [&](char* buf, size_t cap) {
        const size_t n = std::min(cap, compressed.size() - pos);
        std::memcpy(buf, compressed.data() + pos, n);
        pos += n;
        return n;
      },
      path);
  std::string out;
  constexpr size_t kStep = size_t{1} << 20;
  for (;;) {
    const size_t old = out.size();
    out.resize(old + kStep);
    const size_t n = gz.read(out.data() + old, kStep);
    out.resize(old + n);
    if (n == 0) break;
  }
  return out;
}

}  // namespace lsgd::detail
