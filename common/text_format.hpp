#pragma once
// Text and JSON formatting shared by the lsgd subcommands, the benchmarks' JSON fields and the Python module.
#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace lsgd::text {

// printf-style formatting of one double.
inline std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// A JSON string literal: quotes, backslashes and control characters escaped.
inline std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

// A JSON number (NaN and Inf, which JSON cannot hold, become null).
inline std::string json_number(double v, const char* f = "%.17g") {
  return std::isfinite(v) ? fmt(f, v) : "null";
}

inline std::string json_numbers(const std::vector<double>& v, const char* f = "%.17g") {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + json_number(v[i], f);
  return out + "]";
}

inline std::string json_strings(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + json_string(v[i]);
  return out + "]";
}

inline const char* json_bool(bool b) { return b ? "true" : "false"; }

// One JSON object, keys in the order added: the one writer of the CLI's JSON (lsgd solve, solve
// --solver all, list), so that escaping and non-finite numbers are handled in one place.
class JsonObject {
 public:
  JsonObject& text(const std::string& key, const std::string& v) { return raw(key, json_string(v)); }
  JsonObject& number(const std::string& key, double v, const char* f = "%.17g") {
    return raw(key, json_number(v, f));
  }
  JsonObject& numbers(const std::string& key, const std::vector<double>& v,
                      const char* f = "%.17g") {
    return raw(key, json_numbers(v, f));
  }
  JsonObject& texts(const std::string& key, const std::vector<std::string>& v) {
    return raw(key, json_strings(v));
  }
  JsonObject& integer(const std::string& key, long long v) { return raw(key, std::to_string(v)); }
  JsonObject& boolean(const std::string& key, bool v) { return raw(key, json_bool(v)); }
  // A value that is JSON already (a nested object or array).
  JsonObject& raw(const std::string& key, const std::string& json) {
    body_ += (body_.empty() ? "" : ",") + json_string(key) + ":" + json;
    return *this;
  }
  std::string dump() const { return "{" + body_ + "}"; }

 private:
  std::string body_;
};

// Left-justified to `width` characters.
inline std::string pad(const std::string& s, size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

// A message for stderr on one line: newlines and tabs become spaces; other control bytes, NULs and
// DEL (from a binary file or a hostile argument) are shown as \xNN so they cannot drive the
// terminal; the library's "options.name" becomes the option the user typed, "--name".
inline std::string message_line(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else if (s.compare(i, 8, "options.") == 0 && i + 8 < s.size() &&
               std::islower(static_cast<unsigned char>(s[i + 8]))) {
      out += "--";
      for (i += 8; i < s.size() && (std::islower(static_cast<unsigned char>(s[i])) || s[i] == '_');
           ++i) {
        out += s[i] == '_' ? '-' : s[i];
      }
      --i;
    } else {
      out += s[i];
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// The same, for a table cell or a note on stdout.
inline std::string one_line(const std::string& s) { return message_line(s); }

// The solvers name columns of A by number ("column 3 lies in the span ..."); where the data has
// column names, each "column N" becomes "column N ('name')" (unless a name already follows). The
// names the reader makes up for a file without a header ("x1", "x2", ...: core/io_csv_layout.cpp)
// add nothing and are left out, so the message is the one the library (and Python) gives.
inline std::string with_column_names(const std::string& msg,
                                     const std::vector<std::string>& names) {
  std::string out;
  const std::string key = "column ";
  size_t at = 0;
  for (;;) {
    const size_t k = msg.find(key, at);
    if (k == std::string::npos) break;
    size_t e = k + key.size();
    while (e < msg.size() && std::isdigit(static_cast<unsigned char>(msg[e]))) ++e;
    out.append(msg, at, e - at);
    at = e;
    if (e == k + key.size() || e - k - key.size() > 9 || msg.compare(e, 3, " ('") == 0) continue;
    const size_t col = std::stoul(msg.substr(k + key.size(), e - k - key.size()));
    if (col >= 1 && col <= names.size() && names[col - 1] != "x" + std::to_string(col)) {
      out += " ('" + names[col - 1] + "')";
    }
  }
  out.append(msg, at, std::string::npos);
  return out;
}

// What the reader inferred from the data file, one stderr line each ("lsgd: note: ...").
inline void print_notes(const std::vector<std::string>& notes) {
  for (const auto& n : notes) std::fprintf(stderr, "lsgd: note: %s\n", message_line(n).c_str());
}

}  // namespace lsgd::text

// The CLI reads these as lsgd::cli:: (they began there).
namespace lsgd::cli {
using namespace lsgd::text;  // NOLINT(google-build-using-namespace)
}  // namespace lsgd::cli
