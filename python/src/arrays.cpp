#include "python/src/arrays.hpp"

#include <algorithm>
#include <cstring>
#include <sstream>

namespace lsgd::py {
namespace {

constexpr int kCpu = nb::device::cpu::value;
constexpr int kCuda = nb::device::cuda::value;
constexpr int kCudaHost = nb::device::cuda_host::value;
constexpr int kCudaManaged = nb::device::cuda_managed::value;

std::string dtype_name(nb::dlpack::dtype d) {
  using nb::dlpack::dtype_code;
  std::string kind;
  switch (static_cast<dtype_code>(d.code)) {
    case dtype_code::Int: kind = "int"; break;
    case dtype_code::UInt: kind = "uint"; break;
    case dtype_code::Float: kind = "float"; break;
    case dtype_code::Bfloat: kind = "bfloat"; break;
    case dtype_code::Complex: kind = "complex"; break;
    case dtype_code::Bool: return "bool";
    default: kind = "dtype code " + std::to_string(d.code) + " of "; break;
  }
  return kind + std::to_string(d.bits) + (d.lanes > 1 ? "x" + std::to_string(d.lanes) : "");
}

// Element stride of dimension i, also for producers that give no strides (compact, C order).
int64_t stride_of(const Array& a, size_t i) {
  if (a.stride_ptr() != nullptr) return a.stride(i);
  int64_t s = 1;
  for (size_t k = a.ndim(); k > i + 1; --k) s *= static_cast<int64_t>(a.shape(k - 1));
  return s;
}

template <typename T>
const T* base(const Input& x) {
  return static_cast<const T*>(x.a.data());
}

// dst (column-major, leading dimension m) <- src(i, j) = src[i*si + j*sj]. Unit-stride columns are
// copied whole; otherwise 32 x 32 tiles keep both sides in cache (C order reads rows, writes columns).
template <typename T>
void copy_2d(const T* src, int64_t si, int64_t sj, index_t m, index_t n, T* dst) {
  if (si == 1) {
    for (index_t j = 0; j < n; ++j) std::memcpy(dst + j * m, src + j * sj, sizeof(T) * m);
    return;
  }
  constexpr index_t kTile = 32;
  for (index_t i0 = 0; i0 < m; i0 += kTile) {
    const index_t i1 = std::min(m, i0 + kTile);
    for (index_t j0 = 0; j0 < n; j0 += kTile) {
      const index_t j1 = std::min(n, j0 + kTile);
      for (index_t j = j0; j < j1; ++j) {
        T* d = dst + j * m;
        const T* s = src + j * sj;
        for (index_t i = i0; i < i1; ++i) d[i] = s[i * si];
      }
    }
  }
}

}  // namespace

Input as_input(nb::handle obj, const char* name, const char* fn) {
  Input in;
  in.name = name;
  if (!nb::try_cast(obj, in.a, /*convert=*/false)) {
    std::ostringstream os;
    os << fn << ": " << name << " (" << nb::type_name(obj.type()).c_str()
       << ") is not an array lsgd can read: pass a NumPy array (C- or Fortran-ordered, any strides) "
          "or an object with __dlpack__ (PyTorch, JAX, CuPy)";
    throw nb::type_error(os.str().c_str());
  }
  return in;
}

Precision precision_of(const Input& A, const Input& b, const char* fn) {
  auto prec = [&](const Input& x) {
    const nb::dlpack::dtype d = x.a.dtype();
    if (d.code == static_cast<uint8_t>(nb::dlpack::dtype_code::Float) && d.lanes == 1 &&
        (d.bits == 32 || d.bits == 64)) {
      return d.bits == 32 ? Precision::f32 : Precision::f64;
    }
    throw nb::type_error((std::string(fn) + ": " + x.name + " has dtype " + dtype_name(d) +
                          "; lsgd solves in float32 or float64: cast it first (e.g. " + x.name +
                          ".astype(numpy.float64))")
                             .c_str());
  };
  const Precision pa = prec(A), pb = prec(b);
  if (pa != pb) {
    throw nb::type_error((std::string(fn) + ": A is " + (pa == Precision::f32 ? "float32" : "float64") +
                          " but b is " + (pb == Precision::f32 ? "float32" : "float64") +
                          "; lsgd does not promote silently: cast one of them so that both match")
                             .c_str());
  }
  return pa;
}

bool on_cuda(const Input& x) {
  return x.a.device_type() == kCuda || x.a.device_type() == kCudaManaged;
}

bool on_host(const Input& x) {
  return x.a.device_type() == kCpu || x.a.device_type() == kCudaHost;
}

void require_ndim(const Input& x, size_t ndim, const char* fn, const char* shape_doc) {
  if (x.a.ndim() == ndim) return;
  std::ostringstream os;
  os << fn << ": " << x.name << " must be " << ndim << "-D " << shape_doc << ", got " << x.a.ndim()
     << "-D with shape (";
  for (size_t i = 0; i < x.a.ndim(); ++i) os << (i ? ", " : "") << x.a.shape(i);
  os << (x.a.ndim() == 1 ? ",)" : ")");
  throw nb::value_error(os.str().c_str());
}

template <typename T>
void copy_matrix(const Input& src, index_t m, index_t n, T* dst) {
  copy_2d(base<T>(src), stride_of(src.a, 0), stride_of(src.a, 1), m, n, dst);
}

template <typename T>
void copy_column(const Input& src, index_t m, index_t col, T* dst) {
  const int64_t si = stride_of(src.a, 0);
  const T* s = base<T>(src) + (col >= 0 ? col * stride_of(src.a, 1) : 0);
  copy_2d(s, si, 0, m, 1, dst);
}

template <typename T>
void copy_stack(const Input& src, index_t batch, index_t m, index_t n, T* dst) {
  const int64_t sp = stride_of(src.a, 0), si = stride_of(src.a, 1), sj = stride_of(src.a, 2);
  for (index_t p = 0; p < batch; ++p) copy_2d(base<T>(src) + p * sp, si, sj, m, n, dst + p * m * n);
}

template <typename T>
void copy_rows(const Input& src, index_t batch, index_t m, T* dst) {
  // b[p, i] -> dst[p*m + i]: a "matrix" m x batch with columns p.
  copy_2d(base<T>(src), stride_of(src.a, 1), stride_of(src.a, 0), m, batch, dst);
}

template <typename T>
Problem<T> host_problem(const Input& A, const Input& b, index_t m, index_t n, index_t col) {
  Problem<T> p;
  p.m = m;
  p.n = n;
  p.A.resize(static_cast<size_t>(m * n));
  p.b.resize(static_cast<size_t>(m));
  copy_matrix<T>(A, m, n, p.A.data());
  copy_column<T>(b, m, col, p.b.data());
  return p;
}

template <typename T>
nb::object to_numpy(std::vector<T>&& v, std::initializer_list<size_t> shape) {
  auto* heap = new std::vector<T>(std::move(v));
  nb::capsule owner(heap, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  nb::ndarray<nb::numpy, T> arr(heap->data(), shape, owner);
  return nb::cast(arr, nb::rv_policy::reference);
}

#define LSGD_PY_INSTANTIATE(T)                                              \
  template void copy_matrix<T>(const Input&, index_t, index_t, T*);         \
  template void copy_column<T>(const Input&, index_t, index_t, T*);         \
  template void copy_stack<T>(const Input&, index_t, index_t, index_t, T*); \
  template void copy_rows<T>(const Input&, index_t, index_t, T*);           \
  template Problem<T> host_problem<T>(const Input&, const Input&, index_t, index_t, index_t); \
  template nb::object to_numpy<T>(std::vector<T>&&, std::initializer_list<size_t>);
LSGD_PY_INSTANTIATE(float)
LSGD_PY_INSTANTIATE(double)
#undef LSGD_PY_INSTANTIATE
template nb::object to_numpy<std::int32_t>(std::vector<std::int32_t>&&,
                                           std::initializer_list<size_t>);

}  // namespace lsgd::py
