#pragma once
// Arrays in and out of the Python module: NumPy arrays (buffer protocol) and any DLPack producer
// (PyTorch, JAX, CuPy, NumPy's __dlpack__) are read through nanobind's ndarray without a copy; lsgd's
// Problem<T> then receives exactly one copy of A, converted to its column-major layout on the way
// (a memcpy per column for Fortran-ordered input, a blocked transpose for C-ordered or strided
// input). The element type is never converted: float32 stays float32, float64 stays float64.
#include <cstdint>
#include <string>
#include <vector>

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include "lsgd/problem.hpp"
#include "lsgd/solver.hpp"

namespace lsgd::py {

namespace nb = nanobind;
using Array = nb::ndarray<nb::ro>;

// A Python object taken as an array: the ndarray and the name the messages use ("A", "b").
struct Input {
  Array a;
  std::string name;
};

// Reads `obj` as an array (no copy) or raises TypeError naming `name` and what `fn` accepts.
Input as_input(nb::handle obj, const char* name, const char* fn);

// float32 or float64 (TypeError otherwise, naming the dtype and the cast that fixes it); A and b
// must agree (TypeError: no silent promotion).
Precision precision_of(const Input& A, const Input& b, const char* fn);

bool on_cuda(const Input& x);  // DLPack device kDLCUDA (or managed memory)
bool on_host(const Input& x);  // kDLCPU or CUDA-pinned host memory

// Raises ValueError unless x has `ndim` dimensions; `shape_doc` says which shape is expected.
void require_ndim(const Input& x, size_t ndim, const char* fn, const char* shape_doc);

// Copies the 2-D array src (m x n, any strides, element type T on the host) into column-major dst.
template <typename T>
void copy_matrix(const Input& src, index_t m, index_t n, T* dst);
// Copies column `col` of a 2-D array (or the whole of a 1-D one when col < 0) into dst (m entries).
template <typename T>
void copy_column(const Input& src, index_t m, index_t col, T* dst);
// (batch, m, n) -> batch column-major m x n problems, problem-major.
template <typename T>
void copy_stack(const Input& src, index_t batch, index_t m, index_t n, T* dst);
// (batch, m) -> batch * m, problem-major.
template <typename T>
void copy_rows(const Input& src, index_t batch, index_t m, T* dst);

// The host problem of A (m x n) and column `col` of b (col < 0: b is 1-D): one copy of each.
template <typename T>
Problem<T> host_problem(const Input& A, const Input& b, index_t m, index_t n, index_t col);

// A NumPy array owning `v` (moved to the heap, freed with the array), C-ordered with `shape`.
template <typename T>
nb::object to_numpy(std::vector<T>&& v, std::initializer_list<size_t> shape);

}  // namespace lsgd::py
