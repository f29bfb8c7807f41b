// The readers' number parser (core/io_lines): it must give, bit for bit, what strtod gives (correct
// rounding, also at halfway cases), and stop where std::from_chars stops, on every common format.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "core/io_lines.hpp"

namespace {

using lsgd::detail::parse_double;

void expect_like_strtod(const std::string& s) {
  double got = -1.0;
  const auto r = parse_double(s.data(), s.data() + s.size(), got);
  ASSERT_EQ(r.ec, std::errc()) << s;
  ASSERT_EQ(r.ptr, s.data() + s.size()) << s;
  const double want = std::strtod(s.c_str(), nullptr);
  std::uint64_t a = 0, b = 0;
  std::memcpy(&a, &got, 8);
  std::memcpy(&b, &want, 8);
  ASSERT_EQ(a, b) << s << ": got " << got << ", strtod " << want;
}

TEST(IoNumbers, EdgeForms) {
  for (const char* s : {"0", "-0", "0.000", "1.", ".5", "-.5", "1e5", "1E+05", "1e-05", "00012.50",
                        "9007199254740993", "9007199254740992.5", "4503599627370497.5",
                        "1.7976931348623157e308", "2.2250738585072014e-308", "4.9e-324", "1e-320",
                        "123456789012345678901234567890", "0.1", "0.2", "0.3", "1e27", "1e-27",
                        "1e28", "9999999999999999999", "18446744073709551615",
                        "0.30000000000000004", "2.5e-5", "-1.2345678901234567e-05"}) {
    expect_like_strtod(s);
  }
}

// Where the number ends is std::from_chars's answer, also for prefixes of bad fields.
TEST(IoNumbers, StopsWhereFromCharsStops) {
  for (const std::string s : {"1.5e", "1.5e+", "2x", "1.2.3", "7,8", "3 ", "1e5e5", "-", ".", "nan",
                              "inf", "+1", "0x10", "1e99999999999"}) {
    double a = 0.0, b = 0.0;
    const auto ra = parse_double(s.data(), s.data() + s.size(), a);
    const auto rb = std::from_chars(s.data(), s.data() + s.size(), b);
    EXPECT_EQ(ra.ptr, rb.ptr) << s;
    EXPECT_EQ(ra.ec, rb.ec) << s;
    if (ra.ec == std::errc() && !std::isnan(b)) {
      EXPECT_EQ(a, b) << s;
    }
  }
}

TEST(IoNumbers, RandomDoublesInEveryCommonFormatMatchStrtod) {
  std::mt19937_64 rng(14);
  char buf[64];
  for (int k = 0; k < 60000; ++k) {
    double v = 0.0;
    const std::uint64_t bits = rng();
    std::memcpy(&v, &bits, 8);
    if (!std::isfinite(v)) continue;
    // Data-like magnitudes as well as the whole range.
    const double w = std::ldexp(static_cast<double>(rng() >> 11) / 9007199254740992.0,
                                static_cast<int>(rng() % 80) - 40) * ((rng() & 1) ? -1 : 1);
    for (const double x : {v, w}) {
      for (const char* f : {"%.17g", "%.18e", "%.15g", "%.6g", "%g", "%.3f", "%.12e"}) {
        if (f[2] == '3' && std::fabs(x) > 1e30) continue;
        std::snprintf(buf, sizeof buf, f, x);
        expect_like_strtod(buf);
      }
    }
  }
}

TEST(IoNumbers, RandomDecimalStringsMatchStrtod) {
  std::mt19937_64 rng(41);
  for (int k = 0; k < 300000; ++k) {
    std::string s = (rng() & 1) ? "-" : "";
    const int digits = 1 + static_cast<int>(rng() % 22);
    const int point = static_cast<int>(rng() % (digits + 1));
    for (int d = 0; d < digits; ++d) {
      if (d == point && d > 0) s += '.';
      s += static_cast<char>('0' + rng() % 10);
    }
    if (rng() % 2) s += "e" + std::to_string(static_cast<int>(rng() % 70) - 35);
    expect_like_strtod(s);
  }
}

}  // namespace
