#pragma once
// How `lsgd advise` writes numbers for people: seconds, sizes, condition numbers, digits.
#include <cmath>
#include <cstdio>
#include <string>

namespace lsgd::advise {

// "1.23 ms", "45.6 us", "2.1 s", "12.5 min", "54.4 h".
inline std::string format_seconds(double s) {
  char buf[32];
  if (!std::isfinite(s)) return "-";
  if (s >= 7200.0) {
    std::snprintf(buf, sizeof buf, "%.3g h", s / 3600.0);
  } else if (s >= 120.0) {
    std::snprintf(buf, sizeof buf, "%.3g min", s / 60.0);
  } else if (s >= 1.0) {
    std::snprintf(buf, sizeof buf, "%.3g s", s);
  } else if (s >= 1e-3) {
    std::snprintf(buf, sizeof buf, "%.3g ms", s * 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g us", s * 1e6);
  }
  return buf;
}

// A size or count: "1048576", "1.5e+20" beyond 1e15.
inline std::string format_count(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, v == std::floor(v) && std::abs(v) < 1e15 ? "%.0f" : "%.3g", v);
  return buf;
}

// A condition number or a tolerance: "100", "1e8", "1e-6" (powers of ten beyond 1e+-4),
// "2.28e+07".
inline std::string format_kappa(double v) {
  const double e = std::round(std::log10(v));
  if (v > 0 && std::abs(std::log10(v) - e) < 1e-9 && std::abs(e) >= 4) {
    return "1e" + std::to_string(static_cast<int>(e));
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, std::abs(e) < 4 ? "%.4g" : "%.3g", v);
  return buf;
}

// Digits correct, one decimal: "12.6".
inline std::string format_digits(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", d);
  return buf;
}

}  // namespace lsgd::advise
