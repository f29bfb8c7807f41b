// libFuzzer harness: the CSV reader on arbitrary bytes. The first two bytes pick the options
// (delimiter or its inference, decimal mark, header mode, intercept, target, row-index mode, a
// dropped or chosen column); the rest is the file (gzip data is decompressed, as from a file). Any
// lsgd::Error is a correct answer; any other exception, a crash, a sanitizer report or a result
// that breaks the Problem invariants is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/io_detail.hpp"
#include "core/io_lines.hpp"
#include "lsgd/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const unsigned sel = data[0];
  const unsigned more = data[1];
  lsgd::CsvOptions opt;
  static const char kDelims[] = {',', ';', '\t', ' ', '\0', '\0', '|', '\0'};
  opt.delimiter = kDelims[(sel & 3) | ((more & 1) << 2)];
  opt.header = static_cast<lsgd::CsvOptions::Header>((sel >> 2) % 3);
  opt.intercept = (sel >> 4) & 1;
  static const char* kTargets[] = {"", "0", "-1", "y"};
  opt.target = kTargets[(sel >> 5) & 3];
  static const char kDecimals[] = {'\0', '.', ',', '\0'};
  opt.decimal = kDecimals[(more >> 1) & 3];
  opt.index = static_cast<lsgd::CsvOptions::Index>((more >> 3) % 3);
  static const char* kColumns[] = {"", "1", "x", "-2"};
  const char* col = kColumns[(more >> 5) & 3];
  if (*col != '\0') ((more >> 7) & 1 ? opt.columns : opt.drop).push_back(col);
  std::vector<std::string> notes;
  const std::string_view text(reinterpret_cast<const char*>(data + 2), size - 2);
  try {
    lsgd::detail::LineReader reader(text, "fuzz.csv");
    const lsgd::Problem<double> p = lsgd::detail::read_csv(reader, opt, &notes);
    const bool ok = p.m > 0 && p.n > 0 && p.A.size() == static_cast<std::size_t>(p.m * p.n) &&
                    p.b.size() == static_cast<std::size_t>(p.m) &&
                    p.column_names.size() == static_cast<std::size_t>(p.n);
    if (!ok) {
      std::fprintf(stderr, "fuzz_csv: inconsistent problem %lld x %lld\n", static_cast<long long>(p.m),
                   static_cast<long long>(p.n));
      std::abort();
    }
  } catch (const lsgd::Error&) {
  }
  return 0;
}
