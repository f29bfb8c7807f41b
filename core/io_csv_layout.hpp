#pragma once
// What the CSV reader infers from a file's first lines before it parses the rest: the delimiter,
// the decimal mark, whether line 1 is a header, a leading row-index column (pandas' to_csv
// default), and which field goes where (the target, the columns of A, the fields left out). Each
// inference that could have gone the other way is reported as a one-line note
// (docs/cli-and-files.md, "What lsgd infers from a CSV file").
#include <string>
#include <vector>

#include "lsgd/io.hpp"

namespace lsgd::detail {

class LineReader;

// The first data lines of a file (comments and blank lines skipped), copied.
struct CsvSample {
  std::vector<std::string> lines;
  std::vector<index_t> line_numbers;
};
CsvSample read_sample(LineReader& reader);

constexpr index_t kSkipField = -1;
constexpr index_t kTargetField = -2;

struct CsvLayout {
  char delim = ',';
  char decimal = '.';
  index_t cols = 0;  // fields per line
  bool header = false;
  index_t header_line = 0;  // 0: none
  index_t width_line = 0;   // the line that set the field count
  std::vector<std::string>
      names;  // per field: header name (or column<k>), or x<k> without a header
  std::vector<index_t>
      role;             // per field: column of A (the intercept is column 0), or kTarget/kSkip
  index_t target = -1;  // the target's field
  index_t width = 0;    // columns of A, the intercept included
  bool intercept = false;
  // Column of A holding field 0 when it is checked, after the read, for 0, 1, ..., m-1 (-1: no
  // check): a headerless pandas index, left out if it is one (index_drop), or a named regressor
  // that a note then points out (kept).
  index_t index_column = -1;
  bool index_drop = false;
  std::vector<std::string> column_names;  // of A
  index_t parsed_fields = 0;              // fields that are parsed (not skipped)
};

CsvLayout infer_layout(const std::string& path, const CsvSample& sample, const CsvOptions& opt,
                       std::vector<std::string>* notes);

// A column given by the user: a header name first, else a 0-based position among the fields
// (negative: from the end). `what` names the option in messages ("target column", "--drop").
index_t resolve_column(const std::string& path, index_t line, const std::vector<std::string>& names,
                       bool header, const std::string& spec, const std::string& what,
                       std::vector<std::string>* notes);

[[noreturn]] void no_features(const std::string& path, index_t line);

}  // namespace lsgd::detail
