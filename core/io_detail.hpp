#pragma once
// Internals shared by the io_*.cpp files (not part of the public interface).
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "lsgd/io.hpp"

namespace lsgd::detail {

class LineReader;

// The readers behind read_csv and read_matrix_market, on an open reader (a file or text in memory,
// as the fuzzers use). `spare_cols`: extra capacity, in columns, reserved after the matrix;
// `max_values`: the largest rows x cols densified (the fuzzers lower it to stay in memory).
// Rows [row_begin, row_end) only (row_end -1: to the end; one MPI rank's share): general array
// files only; the result then has row_end - row_begin rows.
// A file is parsed by several threads (CsvOptions::threads) when each gets at least this many bytes
// (8 MiB; the tests lower it to exercise the ranges on small files).
extern std::uint64_t csv_min_bytes_per_thread;

Problem<double> read_csv(LineReader& reader, const CsvOptions& opt,
                         std::vector<std::string>* notes = nullptr);
MatrixMarket read_matrix_market(LineReader& reader, index_t spare_cols,
                                index_t max_values = index_t{1} << 40, index_t row_begin = 0,
                                index_t row_end = -1);

// Writes through fn to a temporary next to `path` and renames it into place (or stages it in `set`,
// which renames when committed). Throws InvalidInput naming `path` on any failure; no partial file.
void write_atomically(const std::string& path, const std::function<void(std::FILE*)>& fn,
                      OutputSet* set = nullptr);

}  // namespace lsgd::detail
