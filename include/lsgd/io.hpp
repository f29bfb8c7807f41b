#pragma once
// File input / output: CSV and Matrix Market (array and coordinate).
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "lsgd/problem.hpp"

namespace lsgd {

struct CsvOptions {
  // Target column: a header name or a 0-based index as text; empty = last column.
  std::string target;
  bool intercept = false;  // prepend a column of ones named "(intercept)"
  // Header: auto-detected (first row not all numeric) unless forced.
  enum class Header { detect, present, absent } header = Header::detect;
  char delimiter = ',';
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

// Read A and b from a CSV file. Throws InvalidInput naming the file, line and column of a malformed
// entry (non-numeric, NaN/Inf, ragged row), an unknown target, or empty data.
Problem<double> read_csv(const std::string& path, const CsvOptions& opt = {});

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

// By extension: .csv / .txt -> CSV; .mtx -> Matrix Market (last column is b unless b_path is given).
Problem<double> read_problem(const std::string& path, const CsvOptions& opt = {},
                             const std::string& b_path = "");

// Write a vector (a solution) as CSV (one value per line, header "x" or names) or .mtx (n x 1 array).
void write_vector(const std::string& path, const std::vector<double>& x,
                  const std::vector<std::string>& names = {}, OutputSet* set = nullptr);

// Read a vector (a known solution, or what write_vector wrote): .mtx (n x 1 or 1 x n), otherwise
// text with one value per line, or "name,value" per line, with an optional header line.
std::vector<double> read_vector(const std::string& path);

}  // namespace lsgd
