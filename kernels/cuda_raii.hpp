#pragma once
// Move-only RAII owners of device resources: buffers, streams, events, cuBLAS and cuSOLVER handles.
// Nothing else in the project calls cudaMalloc / cudaFree. The CPU emulation of the kernels
// (LSGD_DEVICE_EMULATION) has the buffers, streams and events.
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cuda_check.hpp"
#include "kernels/unique_handle.hpp"
#include "lsgd/device.hpp"

namespace lsgd::cuda {

// Throws DeviceError("out of device memory: requested N bytes, F bytes free of T").
[[noreturn]] void throw_out_of_memory(size_t requested_bytes, cudaError_t err);
// Throws DeviceError("pinned host allocation failed: requested N bytes (<error>)").
[[noreturn]] void throw_pinned_alloc_failure(size_t requested_bytes, cudaError_t err);

// The two kinds of memory a buffer holds; cudaMalloc / cudaFree and cudaMallocHost / cudaFreeHost
// are called only here. A failed allocation raises DeviceError stating the requested bytes (and,
// on the device, the free bytes); the process goes on.
struct DeviceMemory {
  static void* allocate(size_t bytes) {
    void* p = nullptr;
    const cudaError_t err = cudaMalloc(&p, bytes);
    if (err != cudaSuccess) {
      (void)cudaGetLastError();
      throw_out_of_memory(bytes, err);
    }
    return p;
  }
  static void release(void* p) noexcept { LSGD_CUDA_CHECK_NOEXCEPT(cudaFree(p)); }
};
struct PinnedMemory {
  static void* allocate(size_t bytes) {
    void* p = nullptr;
    const cudaError_t err = cudaMallocHost(&p, bytes);
    if (err != cudaSuccess) {
      (void)cudaGetLastError();
      throw_pinned_alloc_failure(bytes, err);
    }
    return p;
  }
  static void release(void* p) noexcept { LSGD_CUDA_CHECK_NOEXCEPT(cudaFreeHost(p)); }
};

// The one move-only owner of an array of `count` elements of T in Memory (uninitialized). A
// moved-from buffer is empty; move assignment releases the target's memory first. resize() sets
// the size and reallocates only beyond the capacity (the largest size allocated), so shrinking and
// growing back reuse the allocation; contents are not preserved across a reallocation, and a failed
// reallocation leaves the buffer empty.
template <typename T, typename Memory>
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(size_t count) { allocate(count); }
  ~Buffer() { release(); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& o) noexcept
      : ptr_(std::exchange(o.ptr_, nullptr)),
        count_(std::exchange(o.count_, 0)),
        capacity_(std::exchange(o.capacity_, 0)) {}
  Buffer& operator=(Buffer&& o) noexcept {
    if (this != &o) {
      release();
      ptr_ = std::exchange(o.ptr_, nullptr);
      count_ = std::exchange(o.count_, 0);
      capacity_ = std::exchange(o.capacity_, 0);
    }
    return *this;
  }

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

 private:
  void allocate(size_t count) {
    if (count == 0) return;
    ptr_ = static_cast<T*>(Memory::allocate(count * sizeof(T)));
    count_ = count;
    capacity_ = count;
  }
  void release() noexcept {
    if (ptr_ != nullptr) Memory::release(ptr_);
    ptr_ = nullptr;
    count_ = 0;
    capacity_ = 0;
  }
  T* ptr_ = nullptr;
  size_t count_ = 0;
  size_t capacity_ = 0;
};

// Device memory. Every transfer names its stream (no default): the solvers' streams are
// non-blocking, so a transfer on the legacy default stream would not be ordered with their work.
template <typename T>
class DeviceBuffer : public Buffer<T, DeviceMemory> {
 public:
  using Buffer<T, DeviceMemory>::Buffer;

  void upload(const T* host, size_t count, cudaStream_t stream) {
    check_count(count);
    if (count > 0) {
      LSGD_CUDA_CHECK(
          cudaMemcpyAsync(this->data(), host, count * sizeof(T), cudaMemcpyHostToDevice, stream));
    }
  }
  // Resizes to host.size() and uploads; synchronizes `stream` before returning, since `host` may
  // be pageable memory its caller frees next.
  void upload_sync(const std::vector<T>& host, cudaStream_t stream) {
    this->resize(host.size());
    upload(host.data(), host.size(), stream);
    LSGD_CUDA_CHECK(cudaStreamSynchronize(stream));
  }
  void download(T* host, size_t count, cudaStream_t stream) const {
    check_count(count);
    if (count > 0) {
      LSGD_CUDA_CHECK(
          cudaMemcpyAsync(host, this->data(), count * sizeof(T), cudaMemcpyDeviceToHost, stream));
    }
  }
  // Synchronous download of the first `count` elements (all if 0), ordered after the work already
  // enqueued on `stream`.
  std::vector<T> to_host(size_t count, cudaStream_t stream) const {
    std::vector<T> out(count == 0 ? this->size() : count);
    download(out.data(), out.size(), stream);
    LSGD_CUDA_CHECK(cudaStreamSynchronize(stream));
    return out;
  }
  void zero(cudaStream_t stream) {
    if (!this->empty()) LSGD_CUDA_CHECK(cudaMemsetAsync(this->data(), 0, this->bytes(), stream));
  }

 private:
  void check_count(size_t count) const {
    if (count > this->size()) {
      throw DeviceError("device buffer transfer of " + std::to_string(count) +
                        " elements exceeds its size " + std::to_string(this->size()));
    }
  }
};

// Page-locked (pinned) host memory, for asynchronous transfers at full PCIe speed.
template <typename T>
class PinnedBuffer : public Buffer<T, PinnedMemory> {
 public:
  using Buffer<T, PinnedMemory>::Buffer;
  T& operator[](size_t i) { return this->data()[i]; }
  const T& operator[](size_t i) const { return this->data()[i]; }
};

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
#if !defined(LSGD_DEVICE_EMULATION)
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
#endif

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

#if !defined(LSGD_DEVICE_EMULATION)
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
#endif

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

// raise_dynamic_smem_limit(): kernels/device_compat.hpp.

// The backend's query of device 0 (cached); lsgd::device_info() reaches it through the loader.
DeviceInfo device_query();

// Throws DeviceError("no CUDA device: <reason>") unless a device is usable. Every GPU solver's
// constructor calls it, so a GPU solver made on a machine without a GPU fails clearly.
void require_gpu();

}  // namespace lsgd::cuda
