#pragma once
// Move-only RAII owners of device resources: buffers, streams, events, cuBLAS and cuSOLVER handles.
// Nothing else in the project calls cudaMalloc / cudaFree.
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cuda_check.hpp"
#include "kernels/unique_handle.hpp"
#include "lsgd/device.hpp"

namespace lsgd::cuda {

// Device memory of `count` elements of T. Out of memory raises DeviceError stating the requested
// and the free bytes; the process goes on. Every transfer names its stream (no default): the
// solvers' streams are non-blocking, so a transfer on the legacy default stream would not be
// ordered with their work.
template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t count) { allocate(count); }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept
      : ptr_(std::exchange(o.ptr_, nullptr)),
        count_(std::exchange(o.count_, 0)),
        capacity_(std::exchange(o.capacity_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      release();
      ptr_ = std::exchange(o.ptr_, nullptr);
      count_ = std::exchange(o.count_, 0);
      capacity_ = std::exchange(o.capacity_, 0);
    }
    return *this;
  }

  // Sets the size to `count`; reallocates only when `count` exceeds the capacity (the largest size
  // allocated), so shrinking and growing back again reuse the allocation. Contents are not
  // preserved across a reallocation. A failed reallocation leaves the buffer empty.
  void resize(size_t count) {
    if (count > capacity_) {
      release();
      allocate(count);
    } else {
      count_ = count;
    }
  }
  T* data() { return ptr_; }
  const T* data() const { return ptr_; }
  size_t size() const { return count_; }
  size_t capacity() const { return capacity_; }
  size_t bytes() const { return count_ * sizeof(T); }
  bool empty() const { return count_ == 0; }

  void upload(const T* host, size_t count, cudaStream_t stream) {
    check_count(count);
    if (count > 0) {
      LSGD_CUDA_CHECK(
          cudaMemcpyAsync(ptr_, host, count * sizeof(T), cudaMemcpyHostToDevice, stream));
    }
  }
  // Resizes to host.size() and uploads; synchronizes `stream` before returning, since `host` may
  // be pageable memory its caller frees next.
  void upload_sync(const std::vector<T>& host, cudaStream_t stream) {
    resize(host.size());
    upload(host.data(), host.size(), stream);
    LSGD_CUDA_CHECK(cudaStreamSynchronize(stream));
  }
  void download(T* host, size_t count, cudaStream_t stream) const {
    check_count(count);
    if (count > 0) {
      LSGD_CUDA_CHECK(
          cudaMemcpyAsync(host, ptr_, count * sizeof(T), cudaMemcpyDeviceToHost, stream));
    }
  }
  // Synchronous download of the first `count` elements (all if 0), ordered after the work already
  // enqueued on `stream`.
  std::vector<T> to_host(size_t count, cudaStream_t stream) const {
    std::vector<T> out(count == 0 ? count_ : count);
    download(out.data(), out.size(), stream);
    LSGD_CUDA_CHECK(cudaStreamSynchronize(stream));
    return out;
  }
  void zero(cudaStream_t stream) {
    if (count_ > 0) LSGD_CUDA_CHECK(cudaMemsetAsync(ptr_, 0, bytes(), stream));
  }

 private:
  void allocate(size_t count);
  void release() noexcept {
    if (ptr_ != nullptr) LSGD_CUDA_CHECK_NOEXCEPT(cudaFree(ptr_));
    ptr_ = nullptr;
    count_ = 0;
    capacity_ = 0;
  }
  void check_count(size_t count) const {
    if (count > count_) {
      throw DeviceError("device buffer transfer of " + std::to_string(count) +
                        " elements exceeds its size " + std::to_string(count_));
    }
  }
  T* ptr_ = nullptr;
  size_t count_ = 0;
  size_t capacity_ = 0;
};

// Throws DeviceError("out of device memory: requested N bytes, F bytes free of T").
[[noreturn]] void throw_out_of_memory(size_t requested_bytes, cudaError_t err);

template <typename T>
void DeviceBuffer<T>::allocate(size_t count) {
  if (count == 0) return;
  void* p = nullptr;
  const cudaError_t err = cudaMalloc(&p, count * sizeof(T));
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    throw_out_of_memory(count * sizeof(T), err);
  }
  ptr_ = static_cast<T*>(p);
  count_ = count;
  capacity_ = count;
}

// The create / destroy pairs of the handles, owned through UniqueHandle (kernels/unique_handle.hpp).
struct StreamTraits {
  using handle_type = cudaStream_t;
  static cudaStream_t create() {
    cudaStream_t s = nullptr;
    LSGD_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    return s;
  }
  static void destroy(cudaStream_t s) noexcept { LSGD_CUDA_CHECK_NOEXCEPT(cudaStreamDestroy(s)); }
};
struct EventTraits {
  using handle_type = cudaEvent_t;
  static cudaEvent_t create(unsigned flags) {
    cudaEvent_t e = nullptr;
    LSGD_CUDA_CHECK(cudaEventCreateWithFlags(&e, flags));
    return e;
  }
  static void destroy(cudaEvent_t e) noexcept { LSGD_CUDA_CHECK_NOEXCEPT(cudaEventDestroy(e)); }
};
struct CublasTraits {
  using handle_type = cublasHandle_t;
  static cublasHandle_t create() {
    cublasHandle_t h = nullptr;
    LSGD_CUBLAS_CHECK(cublasCreate(&h));
    return h;
  }
  static void destroy(cublasHandle_t h) noexcept { LSGD_CUBLAS_CHECK_NOEXCEPT(cublasDestroy(h)); }
};
struct CusolverTraits {
  using handle_type = cusolverDnHandle_t;
  static cusolverDnHandle_t create() {
    cusolverDnHandle_t h = nullptr;
    LSGD_CUSOLVER_CHECK(cusolverDnCreate(&h));
    return h;
  }
  static void destroy(cusolverDnHandle_t h) noexcept {
    LSGD_CUSOLVER_CHECK_NOEXCEPT(cusolverDnDestroy(h));
  }
};
// Parameters object of cuSOLVER's 64-bit generic API (cusolverDnX*: geqrf, potrf, gesvd, ...).
struct CusolverParamsTraits {
  using handle_type = cusolverDnParams_t;
  static cusolverDnParams_t create() {
    cusolverDnParams_t p = nullptr;
    LSGD_CUSOLVER_CHECK(cusolverDnCreateParams(&p));
    return p;
  }
  static void destroy(cusolverDnParams_t p) noexcept {
    LSGD_CUSOLVER_CHECK_NOEXCEPT(cusolverDnDestroyParams(p));
  }
};
// Configuration of cuSOLVER's iterative-refinement solvers (cusolverDnIRSXgels / IRSXgesv).
struct IrsParamsTraits {
  using handle_type = cusolverDnIRSParams_t;
  static cusolverDnIRSParams_t create() {
    cusolverDnIRSParams_t p = nullptr;
    LSGD_CUSOLVER_CHECK(cusolverDnIRSParamsCreate(&p));
    return p;
  }
  static void destroy(cusolverDnIRSParams_t p) noexcept {
    LSGD_CUSOLVER_CHECK_NOEXCEPT(cusolverDnIRSParamsDestroy(p));
  }
};
// Per-solve information of the iterative-refinement solvers (iterations, residual history).
struct IrsInfosTraits {
  using handle_type = cusolverDnIRSInfos_t;
  static cusolverDnIRSInfos_t create() {
    cusolverDnIRSInfos_t p = nullptr;
    LSGD_CUSOLVER_CHECK(cusolverDnIRSInfosCreate(&p));
    return p;
  }
  static void destroy(cusolverDnIRSInfos_t p) noexcept {
    LSGD_CUSOLVER_CHECK_NOEXCEPT(cusolverDnIRSInfosDestroy(p));
  }
};

// The owners. Their default constructors create the resource; a moved-from one is empty.
class Stream : public UniqueHandle<StreamTraits> {
 public:
  Stream() : UniqueHandle(StreamTraits::create()) {}
  void synchronize() const { LSGD_CUDA_CHECK(cudaStreamSynchronize(get())); }
};

class Event : public UniqueHandle<EventTraits> {
 public:
  explicit Event(unsigned flags = cudaEventDefault) : UniqueHandle(EventTraits::create(flags)) {}
  void record(cudaStream_t s) { LSGD_CUDA_CHECK(cudaEventRecord(get(), s)); }
  void synchronize() const { LSGD_CUDA_CHECK(cudaEventSynchronize(get())); }
};

class CublasHandle : public UniqueHandle<CublasTraits> {
 public:
  // Bound to `s`; if binding fails, the base destroys the new handle.
  explicit CublasHandle(cudaStream_t s) : UniqueHandle(CublasTraits::create()) {
    LSGD_CUBLAS_CHECK(cublasSetStream(get(), s));
  }
};

class CusolverHandle : public UniqueHandle<CusolverTraits> {
 public:
  explicit CusolverHandle(cudaStream_t s) : UniqueHandle(CusolverTraits::create()) {
    LSGD_CUSOLVER_CHECK(cusolverDnSetStream(get(), s));
  }
};

class CusolverParams : public UniqueHandle<CusolverParamsTraits> {
 public:
  CusolverParams() : UniqueHandle(CusolverParamsTraits::create()) {}
};
class IrsParams : public UniqueHandle<IrsParamsTraits> {
 public:
  IrsParams() : UniqueHandle(IrsParamsTraits::create()) {}
};
class IrsInfos : public UniqueHandle<IrsInfosTraits> {
 public:
  IrsInfos() : UniqueHandle(IrsInfosTraits::create()) {}
};

// Times a region on a stream with CUDA events: start(); ...enqueue work...; double s = stop_seconds();
class GpuTimer {
 public:
  explicit GpuTimer(cudaStream_t s) : s_(s) {}
  void start() { start_.record(s_); }
  double stop_seconds() {
    stop_.record(s_);
    stop_.synchronize();
    float ms = 0.0f;
    LSGD_CUDA_CHECK(cudaEventElapsedTime(&ms, start_.get(), stop_.get()));
    return static_cast<double>(ms) * 1e-3;
  }

 private:
  cudaStream_t s_;
  Event start_, stop_;
};

// Page-locked (pinned) host memory of `count` elements of T, for asynchronous transfers at full PCIe
// speed. cudaMallocHost / cudaFreeHost are called only here. A failed allocation raises DeviceError
// stating the requested bytes; the process goes on. Contents are uninitialized.
template <typename T>
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  explicit PinnedBuffer(size_t count) { allocate(count); }
  ~PinnedBuffer() { release(); }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  PinnedBuffer(PinnedBuffer&& o) noexcept
      : ptr_(std::exchange(o.ptr_, nullptr)),
        count_(std::exchange(o.count_, 0)),
        capacity_(std::exchange(o.capacity_, 0)) {}
  PinnedBuffer& operator=(PinnedBuffer&& o) noexcept {
    if (this != &o) {
      release();
      ptr_ = std::exchange(o.ptr_, nullptr);
      count_ = std::exchange(o.count_, 0);
      capacity_ = std::exchange(o.capacity_, 0);
    }
    return *this;
  }

  // As DeviceBuffer::resize: reallocates only beyond the capacity (contents not preserved).
  void resize(size_t count) {
    if (count > capacity_) {
      release();
      allocate(count);
    } else {
      count_ = count;
    }
  }
  T* data() { return ptr_; }
  const T* data() const { return ptr_; }
  size_t size() const { return count_; }
  size_t capacity() const { return capacity_; }
  size_t bytes() const { return count_ * sizeof(T); }
  bool empty() const { return count_ == 0; }
  T& operator[](size_t i) { return ptr_[i]; }
  const T& operator[](size_t i) const { return ptr_[i]; }

 private:
  void allocate(size_t count);
  void release() noexcept {
    if (ptr_ != nullptr) LSGD_CUDA_CHECK_NOEXCEPT(cudaFreeHost(ptr_));
    ptr_ = nullptr;
    count_ = 0;
    capacity_ = 0;
  }
  T* ptr_ = nullptr;
  size_t count_ = 0;
  size_t capacity_ = 0;
};

// Throws DeviceError("pinned host allocation failed: requested N bytes (<error>)").
[[noreturn]] void throw_pinned_alloc_failure(size_t requested_bytes, cudaError_t err);

template <typename T>
void PinnedBuffer<T>::allocate(size_t count) {
  if (count == 0) return;
  void* p = nullptr;
  const cudaError_t err = cudaMallocHost(&p, count * sizeof(T));
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    throw_pinned_alloc_failure(count * sizeof(T), err);
  }
  ptr_ = static_cast<T*>(p);
  count_ = count;
  capacity_ = count;
}

// Raises `kernel`'s dynamic shared-memory limit (cudaFuncAttributeMaxDynamicSharedMemorySize) to at
// least `bytes`, never lowering it. The limit is a property of the kernel, shared by every solver of
// the process, so it is only ever raised (under a lock); callers set it in setup(), never inside a
// timed region. Throws DeviceError when the device refuses.
void raise_dynamic_smem_limit(const void* kernel, size_t bytes);

// The backend's query of device 0 (cached); lsgd::device_info() reaches it through the loader.
DeviceInfo device_query();

// Throws DeviceError("no CUDA device: <reason>") unless a device is usable. Every GPU solver's
// constructor calls it, so a GPU solver made on a machine without a GPU fails clearly.
void require_gpu();

}  // namespace lsgd::cuda
