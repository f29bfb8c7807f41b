#pragma once
// File input / output: CSV and Matrix Market (array and coordinate).
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "lsgd/problem.hpp"

namespace lsgd {

// How a CSV file is read. What is left at its default is inferred from the file's first lines
// (docs/cli-and-files.md, "What lsgd infers from a CSV file"); each inference that could have gone
// the other way adds a note (read_csv's `notes`).
struct CsvOptions {
  // Target column: a header name or a 0-based position as text (a name is matched first; negative
  // positions count from the end); empty = the last column.
  std::string target;
  bool intercept = false;  // prepend a column of ones named "(intercept)"
  // Header: inferred (line 1 is a header when its fields differ in kind from the rows below) unless
  // forced.
  enum class Header { detect, present, absent } header = Header::detect;
  // Field delimiter; '\0' = inferred: tab, ';', ',' or '|' when every one of the first lines holds
  // it equally often, else runs of blanks when those split every line alike (numpy.savetxt), else
  // ','.
  // A .tsv file is tab-separated unless told otherwise.
  char delimiter = '\0';
  // Decimal mark: '.' or ','; '\0' = '.', or ',' when the delimiter is not ',' and the first lines
  // hold numbers like "2,5" and none like "2.5".
  char decimal = '\0';
  // A leading row-index column (pandas' DataFrame.to_csv writes one by default): detected (an empty
  // or "Unnamed: 0" header name, text in every row, or 0, 1, ..., m-1 without a header) and left
  // out; `first` says there is one, `none` that there is none.
  enum class Index { detect, first, none } index = Index::detect;
  // Columns left out, or (exclusive with `drop`) the only columns of A, in this order: header names
  // or 0-based positions, as for `target`.
  std::vector<std::string> drop;
  std::vector<std::string> columns;
  // Threads that parse a large file (by ranges of lines); 0 = the cores this process may use.
  int threads = 0;
  // Keep only data rows [row_begin, row_end) (0-based, the header not counted; -1: to the end):
  // one MPI rank's share. Rows outside are counted, not parsed or stored. read_problem() applies it
  // to Matrix Market general array files too (A and a separate b alike).
  index_t row_begin = 0;
  index_t row_end = -1;
};

// Outputs that appear together or not at all: each write_* call given the set writes a temporary
// file in full; commit() renames them all into place; a set destroyed uncommitted removes them.
// (A special file such as /dev/stdout or a FIFO cannot be staged and is written through at once.)
class OutputSet {
 public:
  OutputSet();
  ~OutputSet();
  OutputSet(const OutputSet&) = delete;
  OutputSet& operator=(const OutputSet&) = delete;
  void write(const std::string& path, const std::function<void(std::FILE*)>& fn);
  void commit();

 private:
  struct Staged;
  std::vector<Staged> staged_;
};

// Removes the temporary files of writes in progress. Async-signal-safe: for SIGINT/SIGTERM handlers.
void remove_temporary_files() noexcept;

// For a fatal-signal handler, before remove_temporary_files(): true when a temporary is being
// created right now (created but not yet listed). The signal is then remembered and raised again by
// the writer once the temporary is listed, and the handler should just return. Needed because a
// process-directed signal may land on any thread (OpenBLAS keeps a pool), not only on the writer's,
// whose signal mask holds it during that step. Async-signal-safe.
bool defer_signal_during_creation(int sig) noexcept;

// Read A and b from a CSV file (gzip-compressed or not). Throws InvalidInput naming the file, line
// and column of a malformed entry (non-numeric, NaN/Inf, ragged row), an unknown target, or empty
// data. `notes`, when given, receives one line ("<file>: ...") per inference worth knowing (a row
// taken as header or as data, a row-index column left out, an inferred delimiter or decimal comma).
Problem<double> read_csv(const std::string& path, const CsvOptions& opt = {},
                         std::vector<std::string>* notes = nullptr);

// The number of data rows of a CSV file (lines that are neither blank, comments nor the header), in
// one pass that parses nothing but the first line: for splitting the rows between ranks.
index_t count_csv_rows(const std::string& path, const CsvOptions& opt = {});

// Write a problem as CSV with header x1..xn,y (or column_names) and the target last.
void write_csv(const std::string& path, const Problem<double>& p, OutputSet* set = nullptr);

// Matrix Market: a dense or sparse matrix.
struct MatrixMarket {
  index_t rows = 0;
  index_t cols = 0;
  std::vector<double> values;  // column-major rows*cols (coordinate files are densified)
};
MatrixMarket read_matrix_market(const std::string& path);  // real/integer, general/symmetric
void write_matrix_market(const std::string& path, const MatrixMarket& mm,
                         OutputSet* set = nullptr);  // array format

// The number of rows its size line declares (reads the header and that line only): for splitting
// the rows of a Matrix Market file between ranks.
index_t matrix_market_rows(const std::string& path);

// A problem from Matrix Market: A from `a_path`; b from `b_path` (a rows x 1 matrix), or if b_path is
// empty, the last column of A is taken as b.
Problem<double> read_matrix_market_problem(const std::string& a_path, const std::string& b_path = "");

// By extension: .csv / .txt / .tsv (each also as .gz) -> CSV; .mtx -> Matrix Market (last column
// is b unless b_path is given). `notes` as for read_csv.
Problem<double> read_problem(const std::string& path, const CsvOptions& opt = {},
                             const std::string& b_path = "",
                             std::vector<std::string>* notes = nullptr);

// Write a vector (a solution) as CSV (one value per line, header "x" or names) or .mtx (n x 1 array).
void write_vector(const std::string& path, const std::vector<double>& x,
                  const std::vector<std::string>& names = {}, OutputSet* set = nullptr);

// Read a vector (a known solution, or what write_vector wrote): .mtx (n x 1 or 1 x n), otherwise
// text with one value per line, or "name,value" per line, with an optional header line.
std::vector<double> read_vector(const std::string& path);

}  // namespace lsgd
