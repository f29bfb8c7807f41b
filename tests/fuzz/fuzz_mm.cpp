// libFuzzer harness: the Matrix Market reader on arbitrary bytes (matrices up to 2^20 values, so
// that a valid but huge declared size does not read as an out-of-memory finding). lsgd::Error is a
// correct answer; anything else, or a matrix whose size disagrees with its shape, is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/io_detail.hpp"
#include "core/io_lines.hpp"
#include "lsgd/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    lsgd::detail::LineReader reader(text, "fuzz.mtx");
    const lsgd::MatrixMarket mm = lsgd::detail::read_matrix_market(reader, 1, lsgd::index_t{1} << 20);
    if (mm.rows <= 0 || mm.cols <= 0 || mm.values.size() != static_cast<std::size_t>(mm.rows * mm.cols)) {
      std::fprintf(stderr, "fuzz_mm: inconsistent matrix\n");
      std::abort();
    }
  } catch (const lsgd::Error&) {
  }
  return 0;
}
