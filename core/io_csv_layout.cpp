#include "core/io_csv_layout.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "core/io_lines.hpp"
#include "lsgd/error.hpp"

namespace lsgd::detail {
namespace {

constexpr size_t kSampleLines = 50;               // data lines the inference looks at
constexpr size_t kSampleBytes = size_t{1} << 20;  // ... or fewer, when lines are long

// What a field looks like, for telling a header from data.
enum class Kind { empty, missing, boolean, integer, decimal, text };

// pandas' default missing-value markers: a missing value is no evidence either way.
bool is_missing_marker(std::string_view t) {
  static constexpr std::array<std::string_view, 19> kMarkers = {
      "#N/A",   "#N/A N/A", "#NA",  "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
      "1.#IND", "1.#QNAN",  "<NA>", "N/A",     "NA",       "NULL", "NaN",
      "None",   "n/a",      "nan",  "null",    "?"};
  return std::find(kMarkers.begin(), kMarkers.end(), t) != kMarkers.end();
}

Kind kind_of(std::string_view field, char decimal) {
  const std::string_view t = trim(field);
  if (t.empty()) return Kind::empty;
  if (is_missing_marker(t)) return Kind::missing;
  double v = 0.0;
  if (parse_bool(t, v)) return Kind::boolean;
  size_t i = (t[0] == '-' || t[0] == '+') ? 1 : 0;
  if (i < t.size() && std::all_of(t.begin() + static_cast<std::ptrdiff_t>(i), t.end(),
                                  [](char c) { return c >= '0' && c <= '9'; })) {
    return Kind::integer;
  }
  return parse_value(t, decimal, v) == Num::not_number ? Kind::text : Kind::decimal;
}

// Occurrences of c outside double quotes.
size_t count_outside_quotes(std::string_view line, char c) {
  size_t n = 0;
  bool quoted = false;
  for (const char ch : line) {
    if (ch == '"') quoted = !quoted;
    if (!quoted && ch == c) ++n;
  }
  return n;
}

std::string delimiter_name(char d) {
  if (d == '\t') return "tabs";
  if (d == ' ') return "blanks";
  return std::string("'") + d + "'";
}

// The delimiter: the first of tab, ';', ',' and '|' that every sampled line holds equally often
// (outside quotes; ';' before ',' because a ';' file usually has decimal commas), else runs of
// blanks when every line splits into the same number (2 or more) of blank-separated fields (what
// numpy.savetxt writes by default), else ','.
char infer_delimiter(const CsvSample& s, char decimal) {
  for (const char c : {'\t', ';', ',', '|'}) {
    if (c == ',' && decimal == ',') continue;
    const size_t first = count_outside_quotes(s.lines[0], c);
    if (first == 0) continue;
    const bool same = std::all_of(s.lines.begin(), s.lines.end(), [&](const std::string& l) {
      return count_outside_quotes(l, c) == first;
    });
    if (same) return c;
  }
  size_t tokens = 0;
  for (size_t k = 0; k < s.lines.size(); ++k) {
    size_t n = 0;
    try {
      n = split_fields(s.lines[k], ' ', "", 0).size();
    } catch (const InvalidInput&) {
      return ',';  // an unterminated quote: let the ',' reader word the error
    }
    if (k == 0) tokens = n;
    if (n != tokens || n < 2) return ',';
  }
  return ' ';
}

// Whether t reads as a number with a decimal comma ("2,5", "-0,125e3") or a decimal point ("2.5").
bool has_decimal_mark(std::string_view t, char mark) {
  t = trim(t);
  const size_t at = t.find(mark);
  if (at == std::string_view::npos || t.find(mark, at + 1) != std::string_view::npos) return false;
  size_t digits = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if (c >= '0' && c <= '9') {
      ++digits;
    } else if (i == at || ((c == '-' || c == '+') && i == 0)) {
    } else if ((c == 'e' || c == 'E') && i > at && digits > 0) {
      size_t j = i + 1;
      if (j < t.size() && (t[j] == '-' || t[j] == '+')) ++j;
      return j < t.size() && std::all_of(t.begin() + static_cast<std::ptrdiff_t>(j), t.end(),
                                         [](char d) { return d >= '0' && d <= '9'; });
    } else {
      return false;
    }
  }
  return digits > 0;
}

// A decimal comma when some sampled field is a number written with one and none with a point.
char infer_decimal(const std::vector<std::vector<std::string>>& rows) {
  bool comma = false;
  for (const auto& r : rows) {
    for (const auto& f : r) {
      if (has_decimal_mark(f, '.')) return '.';
      comma = comma || has_decimal_mark(f, ',');
    }
  }
  return comma ? ',' : '.';
}

std::string quoted(const std::string& s) { return show(s); }

// Line 1 is a header when (1) its first field is empty over a filled column (pandas' unnamed
// index), or (2) its fields differ in kind from the rows below more often than they match: each
// column votes +1 when line 1's field differs in kind from every field below it (text over
// numbers, an integer over decimals such as a year over measurements, a number over booleans), -1
// when it matches one, 0 when line 1's field is empty or a missing-value marker or the column holds
// text below. With no row below, line 1 is a header when a field is text. `why` gets an example.
bool infer_header(const std::vector<std::vector<std::string>>& rows, char decimal,
                  std::string& why) {
  const auto& first = rows[0];
  const size_t cols = first.size();
  if (rows.size() == 1) {
    for (const auto& f : first) {
      if (kind_of(f, decimal) == Kind::text) {
        why = "it holds text (" + quoted(f) + ") and no row follows";
        return true;
      }
    }
    why = "it holds no text";
    return false;
  }
  auto below_kinds = [&](size_t j) {
    std::vector<Kind> ks;
    for (size_t i = 1; i < rows.size(); ++i) {
      if (j < rows[i].size()) {
        const Kind k = kind_of(rows[i][j], decimal);
        if (k != Kind::empty && k != Kind::missing) ks.push_back(k);
      }
    }
    return ks;
  };
  if (cols > 1 && trim(first[0]).empty()) {
    const auto ks = below_kinds(0);
    bool filled = true;
    for (size_t i = 1; i < rows.size(); ++i) filled = filled && !trim(rows[i][0]).empty();
    if (filled && !ks.empty()) {
      why = "its first field is empty over a filled first column, as pandas writes its index";
      return true;
    }
  }
  int votes = 0;
  std::string for_header, for_data;
  for (size_t j = 0; j < cols; ++j) {
    const Kind h = kind_of(first[j], decimal);
    if (h == Kind::empty || h == Kind::missing) continue;
    const auto ks = below_kinds(j);
    if (ks.empty()) continue;
    const bool text_below = std::find(ks.begin(), ks.end(), Kind::text) != ks.end();
    if (text_below) continue;
    const bool match = std::any_of(ks.begin(), ks.end(), [&](Kind k) {
      return k == h || (h == Kind::decimal && k == Kind::integer);
    });
    std::string below;  // the first field under it, for the note
    for (size_t i = 1; i < rows.size() && below.empty(); ++i) {
      if (j < rows[i].size() && !trim(rows[i][j]).empty()) below = quoted(rows[i][j]);
    }
    const std::string example = quoted(first[j]) + " over " + below;
    if (match) {
      --votes;
      if (for_data.empty()) for_data = example;
    } else {
      ++votes;
      if (for_header.empty()) for_header = example;
    }
  }
  if (votes > 0) {
    why = "its fields differ in kind from the rows below, e.g. " + for_header;
    return true;
  }
  why = for_data.empty() ? "its fields do not differ in kind from the rows below"
                         : "its fields are of the same kinds as the rows below, e.g. " + for_data;
  return false;
}

// A plain header: every field text (or empty, as pandas' index label).
bool all_text(const std::vector<std::string>& fields, char decimal) {
  return std::all_of(fields.begin(), fields.end(), [&](const std::string& f) {
    const Kind k = kind_of(f, decimal);
    return k == Kind::text || k == Kind::empty;
  });
}

std::string ordinal_column(index_t field) { return "column " + std::to_string(field + 1); }

}  // namespace

CsvSample read_sample(LineReader& reader) {
  CsvSample s;
  size_t bytes = 0;
  std::string_view line;
  while (s.lines.size() < kSampleLines && bytes < kSampleBytes && reader.next(line)) {
    if (is_comment_or_blank(line)) continue;
    s.lines.emplace_back(line);
    s.line_numbers.push_back(reader.line());
    bytes += line.size();
  }
  return s;
}

void no_features(const std::string& path, index_t line) {
  fail_at(path, line,
          "no feature columns: the only column is the target (add more columns, or an intercept)");
}

index_t resolve_column(const std::string& path, index_t line, const std::vector<std::string>& names,
                       bool header, const std::string& spec, const std::string& what,
                       std::vector<std::string>* notes) {
  const auto cols = static_cast<index_t>(names.size());
  index_t pos = 0;
  const bool is_pos = parse_index(spec, pos);
  if (is_pos && pos < 0) pos += cols;
  if (header) {
    index_t found = -1;
    for (index_t j = 0; j < cols; ++j) {
      if (names[static_cast<size_t>(j)] != spec) continue;
      if (found >= 0) {
        fail_at(path, line,
                what + " " + show(spec) + " is ambiguous (columns " + std::to_string(found + 1) +
                    " and " + std::to_string(j + 1) + " have that name)");
      }
      found = j;
    }
    if (found >= 0) {
      if (is_pos && pos >= 0 && pos < cols && pos != found && notes != nullptr) {
        notes->push_back(path + ": " + what + " " + show(spec) + " is the column named " +
                         show(spec) + " (" + ordinal_column(found) + "), not the one at 0-based " +
                         "position " + spec + ": a header name is matched before a position");
      }
      return found;
    }
  }
  if (is_pos) {
    if (pos < 0 || pos >= cols) {
      fail_at(path, line,
              what + " index " + spec + " out of range (the file has " + std::to_string(cols) +
                  " columns, indices 0.." + std::to_string(cols - 1) + ")");
    }
    return pos;
  }
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  fail_at(path, line,
          "unknown " + what + " " + show(spec) +
              (header ? "; columns: " + known
                      : " (the file has no header: give a 0-based column index)"));
}

CsvLayout infer_layout(const std::string& path, const CsvSample& sample, const CsvOptions& opt,
                       std::vector<std::string>* notes) {
  auto note = [&](const std::string& s) {
    if (notes != nullptr) notes->push_back(path + ": " + s);
  };
  CsvLayout L;
  L.width_line = sample.line_numbers.at(0);
  if (opt.decimal != '\0' && opt.decimal != '.' && opt.decimal != ',') {
    fail_file(path,
              "the decimal mark must be '.' or ',', not " + show(std::string(1, opt.decimal)));
  }
  if (opt.decimal == ',' && opt.delimiter == ',') {
    fail_file(path, "a decimal comma needs a delimiter other than ',' (such as ';')");
  }
  L.delim = opt.delimiter != '\0' ? opt.delimiter : infer_delimiter(sample, opt.decimal);
  if (opt.delimiter == '\0' && L.delim != ',') {
    note("fields are separated by " + delimiter_name(L.delim) +
         " (inferred from the first lines; --delimiter to override)");
  }
  std::vector<std::vector<std::string>> rows;
  for (size_t k = 0; k < sample.lines.size(); ++k) {
    rows.push_back(split_fields(sample.lines[k], L.delim, path, sample.line_numbers[k]));
  }
  if (opt.decimal != '\0') {
    L.decimal = opt.decimal;
  } else if (L.delim != ',') {
    L.decimal = infer_decimal(rows);
    if (L.decimal == ',') {
      note(
          "numbers are written with a decimal comma (inferred from fields like '2,5'; --decimal . "
          "to override)");
    }
  }
  const std::vector<std::string>& first = rows[0];
  L.cols = static_cast<index_t>(first.size());
  const auto ncols = first.size();

  // Header.
  if (opt.header == CsvOptions::Header::detect) {
    std::string why;
    L.header = infer_header(rows, L.decimal, why);
    if (!L.header || !all_text(first, L.decimal)) {
      note("line " + std::to_string(L.width_line) + " is taken as " +
           (L.header ? "the header" : "data, not a header") + " (" + why + "); " +
           (L.header ? "--no-header if it is data" : "--header if it names the columns"));
    }
  } else {
    L.header = opt.header == CsvOptions::Header::present;
  }
  const std::vector<std::string> raw_names = L.header ? first : std::vector<std::string>(ncols);
  if (L.header) {
    L.header_line = L.width_line;
    L.names = first;
    for (size_t j = 0; j < ncols; ++j) {
      if (L.names[j].empty()) L.names[j] = "column" + std::to_string(j + 1);
    }
  } else {
    for (size_t j = 0; j < ncols; ++j) L.names.push_back("x" + std::to_string(j + 1));
  }
  const index_t where = L.width_line;
  const size_t data0 = L.header ? 1 : 0;  // first data row of the sample

  // The target, and the fields the user named.
  L.role.assign(ncols, 0);
  L.target = opt.target.empty() ? L.cols - 1
                                : resolve_column(path, where, L.names, L.header, opt.target,
                                                 "target column", notes);
  if (!opt.columns.empty() && !opt.drop.empty()) {
    fail_file(path, "--columns and --drop exclude each other (--columns lists the columns kept)");
  }
  std::vector<index_t> chosen;  // --columns, in the order given
  std::vector<bool> dropped(ncols, false);
  for (const auto& spec : opt.columns) {
    const index_t f =
        resolve_column(path, where, L.names, L.header, spec, "--columns column", notes);
    if (f == L.target) {
      fail_at(path, where,
              "--columns: " + show(spec) +
                  " is the target column; --columns lists "
                  "the columns of A only");
    }
    if (std::find(chosen.begin(), chosen.end(), f) != chosen.end()) {
      fail_at(path, where,
              "--columns: " + ordinal_column(f) + " (" + show(L.names[static_cast<size_t>(f)]) +
                  ") is listed twice");
    }
    chosen.push_back(f);
  }
  for (const auto& spec : opt.drop) {
    const index_t f = resolve_column(path, where, L.names, L.header, spec, "--drop column", notes);
    if (f == L.target) {
      fail_at(path, where,
              "--drop: " + show(spec) + " is the target column" +
                  (opt.target.empty() ? " (the last column, by default; choose another "
                                        "with --target)"
                                      : ""));
    }
    dropped[static_cast<size_t>(f)] = true;
  }

  // A leading row-index column.
  const bool field0_named_by_user =
      L.target == 0 || std::find(chosen.begin(), chosen.end(), 0) != chosen.end();
  bool index0 = false, check_index0 = false, note_index_like = false;
  if (opt.index == CsvOptions::Index::first) {
    if (field0_named_by_user) {
      fail_at(path, where,
              "column 1 is declared the row index (--index-column first) but is also "
              "chosen as " +
                  std::string(L.target == 0 ? "the target" : "a column of A"));
    }
    if (L.cols < 2) fail_at(path, where, "--index-column first: the file has one column only");
    index0 = true;
  } else if (opt.index == CsvOptions::Index::detect && L.cols >= 2 && !field0_named_by_user &&
             !dropped[0] && opt.columns.empty()) {
    std::vector<Kind> below;
    for (size_t i = data0; i < rows.size(); ++i) below.push_back(kind_of(rows[i][0], L.decimal));
    const bool text_column = !below.empty() && std::all_of(below.begin(), below.end(),
                                                           [](Kind k) { return k == Kind::text; });
    const std::string name0 = L.header ? std::string(trim(raw_names[0])) : std::string();
    if (L.header && (name0.empty() || name0 == "Unnamed: 0")) {
      index0 = true;
      note("column 1 (" + (name0.empty() ? std::string("no name") : show(name0)) +
           ") is taken as pandas' row index and left out (--index-column none keeps it)");
    } else if (text_column) {
      index0 = true;
      note("column 1" + (L.header ? " (" + show(name0) + ")" : std::string()) +
           " holds text such as " + show(rows[data0][0]) +
           " and is taken as the row index, left out (--drop or --columns "
           "to choose columns yourself)");
    } else if (!L.header && rows.size() >= 2) {
      bool counts = true;
      for (size_t i = 0; i < rows.size() && counts; ++i) {
        index_t v = -1;
        counts = kind_of(rows[i][0], L.decimal) == Kind::integer && parse_index(rows[i][0], v) &&
                 v == static_cast<index_t>(i);
      }
      check_index0 = counts;
    } else if (L.header) {
      note_index_like = true;
    }
  }

  // Columns of A, in file order or in --columns order.
  L.intercept = opt.intercept;
  index_t next = opt.intercept ? 1 : 0;
  if (opt.intercept) L.column_names.push_back("(intercept)");
  for (size_t j = 0; j < ncols; ++j) L.role[j] = kSkipField;
  L.role[static_cast<size_t>(L.target)] = kTargetField;
  auto add = [&](index_t f) {
    L.role[static_cast<size_t>(f)] = next++;
    L.column_names.push_back(L.names[static_cast<size_t>(f)]);
  };
  if (!chosen.empty()) {
    for (const index_t f : chosen) add(f);
  } else {
    for (index_t f = 0; f < L.cols; ++f) {
      if (f == L.target || dropped[static_cast<size_t>(f)] || (f == 0 && index0)) continue;
      add(f);
    }
  }
  L.width = next;
  if ((check_index0 || note_index_like) && L.role[0] >= 0) {
    L.index_column = L.role[0];
    L.index_drop = check_index0;
  }
  for (const index_t r : L.role) L.parsed_fields += r != kSkipField ? 1 : 0;
  return L;
}

}  // namespace lsgd::detail
