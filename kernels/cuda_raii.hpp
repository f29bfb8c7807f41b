#pragma once
// Move-only RAII owners of device resources: buffers, streams, events, cuBLAS and cuSOLVER handles.
// Nothing else in the project calls cudaMalloc / cudaFree.
#include <cstddef>
#include <utility>
#include <vector>

#include "kernels/cuda_check.hpp"
#include "lsgd/device.hpp"

namespace lsgd::cuda {

// Device memory of `count` elements of T. Out of memory raises DeviceError stating the requested
// and the free bytes; the process goes on.
template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t count) { allocate(count); }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), count_(std::exchange(o.count_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      release();
      ptr_ = std::exchange(o.ptr_, nullptr);
      count_ = std::exchange(o.count_, 0);
    }
    return *this;
  }

  // Reallocates only when growing beyond the current size (contents are not preserved).
  void resize(size_t count) {
    if (count > count_) {
      release();
      allocate(count);
    } else {
      count_ = count;
    }
  }
  T* data() { return ptr_; }
  const T* data() const { return ptr_; }
  size_t size() const { return count_; }
  size_t bytes() const { return count_ * sizeof(T); }
  bool empty() const { return count_ == 0; }

  void upload(const T* host, size_t count, cudaStream_t stream = nullptr) {
    check_count(count);
    LSGD_CUDA_CHECK(cudaMemcpyAsync(ptr_, host, count * sizeof(T), cudaMemcpyHostToDevice, stream));
  }
  void upload(const std::vector<T>& host, cudaStream_t stream = nullptr) {
    resize(host.size());
    upload(host.data(), host.size(), stream);
  }
  void download(T* host, size_t count, cudaStream_t stream = nullptr) const {
    check_count(count);
    LSGD_CUDA_CHECK(cudaMemcpyAsync(host, ptr_, count * sizeof(T), cudaMemcpyDeviceToHost, stream));
  }
  // Synchronous download of the first `count` elements (all if 0).
  std::vector<T> to_host(size_t count = 0, cudaStream_t stream = nullptr) const {
    std::vector<T> out(count == 0 ? count_ : count);
    download(out.data(), out.size(), stream);
    LSGD_CUDA_CHECK(cudaStreamSynchronize(stream));
    return out;
  }
  void zero(cudaStream_t stream = nullptr) {
    if (count_ > 0) LSGD_CUDA_CHECK(cudaMemsetAsync(ptr_, 0, bytes(), stream));
  }

 private:
  void allocate(size_t count);
  void release() noexcept {
    if (ptr_ != nullptr) LSGD_CUDA_CHECK_NOEXCEPT(cudaFree(ptr_));
    ptr_ = nullptr;
    count_ = 0;
  }
  void check_count(size_t count) const {
    if (count > count_) {
      throw DeviceError("device buffer transfer of " + std::to_string(count) +
                        " elements exceeds its size " + std::to_string(count_));
    }
  }
  T* ptr_ = nullptr;
  size_t count_ = 0;
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
}

class Stream {
 public:
  Stream() { LSGD_CUDA_CHECK(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking)); }
  ~Stream() { release(); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  Stream(Stream&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  // The moved-from object is left empty; the target's old resource is released first.
  Stream& operator=(Stream&& o) noexcept {
    if (this != &o) {
      release();
      s_ = std::exchange(o.s_, nullptr);
    }
    return *this;
  }
  cudaStream_t get() const { return s_; }
  void synchronize() const { LSGD_CUDA_CHECK(cudaStreamSynchronize(s_)); }

 private:
  void release() noexcept {
    if (s_ != nullptr) LSGD_CUDA_CHECK_NOEXCEPT(cudaStreamDestroy(s_));
    s_ = nullptr;
  }
  cudaStream_t s_ = nullptr;
};

class Event {
 public:
  Event() { LSGD_CUDA_CHECK(cudaEventCreate(&e_)); }
  ~Event() { release(); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  Event(Event&& o) noexcept : e_(std::exchange(o.e_, nullptr)) {}
  // The moved-from object is left empty; the target's old resource is released first.
  Event& operator=(Event&& o) noexcept {
    if (this != &o) {
      release();
      e_ = std::exchange(o.e_, nullptr);
    }
    return *this;
  }
  cudaEvent_t get() const { return e_; }
  void record(cudaStream_t s) { LSGD_CUDA_CHECK(cudaEventRecord(e_, s)); }

 private:
  void release() noexcept {
    if (e_ != nullptr) LSGD_CUDA_CHECK_NOEXCEPT(cudaEventDestroy(e_));
    e_ = nullptr;
  }
  cudaEvent_t e_ = nullptr;
};

// Times a region on a stream with CUDA events: start(); ...enqueue work...; double s = stop_seconds();
class GpuTimer {
 public:
  explicit GpuTimer(cudaStream_t s) : s_(s) {}
  void start() { start_.record(s_); }
  double stop_seconds() {
    stop_.record(s_);
    LSGD_CUDA_CHECK(cudaEventSynchronize(stop_.get()));
    float ms = 0.0f;
    LSGD_CUDA_CHECK(cudaEventElapsedTime(&ms, start_.get(), stop_.get()));
    return static_cast<double>(ms) * 1e-3;
  }

 private:
  cudaStream_t s_;
  Event start_, stop_;
};

class CublasHandle {
 public:
  explicit CublasHandle(cudaStream_t s = nullptr) {
    LSGD_CUBLAS_CHECK(cublasCreate(&h_));
    LSGD_CUBLAS_CHECK(cublasSetStream(h_, s));
  }
  ~CublasHandle() { release(); }
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  CublasHandle(CublasHandle&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  // The moved-from object is left empty; the target's old resource is released first.
  CublasHandle& operator=(CublasHandle&& o) noexcept {
    if (this != &o) {
      release();
      h_ = std::exchange(o.h_, nullptr);
    }
    return *this;
  }
  cublasHandle_t get() const { return h_; }

 private:
  void release() noexcept {
    if (h_ != nullptr) LSGD_CUBLAS_CHECK_NOEXCEPT(cublasDestroy(h_));
    h_ = nullptr;
  }
  cublasHandle_t h_ = nullptr;
};

class CusolverHandle {
 public:
  explicit CusolverHandle(cudaStream_t s = nullptr) {
    LSGD_CUSOLVER_CHECK(cusolverDnCreate(&h_));
    LSGD_CUSOLVER_CHECK(cusolverDnSetStream(h_, s));
  }
  ~CusolverHandle() { release(); }
  CusolverHandle(const CusolverHandle&) = delete;
  CusolverHandle& operator=(const CusolverHandle&) = delete;
  CusolverHandle(CusolverHandle&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  // The moved-from object is left empty; the target's old resource is released first.
  CusolverHandle& operator=(CusolverHandle&& o) noexcept {
    if (this != &o) {
      release();
      h_ = std::exchange(o.h_, nullptr);
    }
    return *this;
  }
  cusolverDnHandle_t get() const { return h_; }

 private:
  void release() noexcept {
    if (h_ != nullptr) LSGD_CUSOLVER_CHECK_NOEXCEPT(cusolverDnDestroy(h_));
    h_ = nullptr;
  }
  cusolverDnHandle_t h_ = nullptr;
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
      : ptr_(std::exchange(o.ptr_, nullptr)), count_(std::exchange(o.count_, 0)) {}
  PinnedBuffer& operator=(PinnedBuffer&& o) noexcept {
    if (this != &o) {
      release();
      ptr_ = std::exchange(o.ptr_, nullptr);
      count_ = std::exchange(o.count_, 0);
    }
    return *this;
  }

  // Reallocates only when growing beyond the current size (contents are not preserved).
  void resize(size_t count) {
    if (count > count_) {
      release();
      allocate(count);
    } else {
      count_ = count;
    }
  }
  T* data() { return ptr_; }
  const T* data() const { return ptr_; }
  size_t size() const { return count_; }
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
  }
  T* ptr_ = nullptr;
  size_t count_ = 0;
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
}

// Parameters object of cuSOLVER's 64-bit generic API (cusolverDnX*: geqrf, potrf, gesvd, ...).
class CusolverParams {
 public:
  CusolverParams() { LSGD_CUSOLVER_CHECK(cusolverDnCreateParams(&p_)); }
  ~CusolverParams() { release(); }
  CusolverParams(const CusolverParams&) = delete;
  CusolverParams& operator=(const CusolverParams&) = delete;
  CusolverParams(CusolverParams&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  // The moved-from object is left empty; the target's old resource is released first.
  CusolverParams& operator=(CusolverParams&& o) noexcept {
    if (this != &o) {
      release();
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  cusolverDnParams_t get() const { return p_; }

 private:
  void release() noexcept {
    if (p_ != nullptr) LSGD_CUSOLVER_CHECK_NOEXCEPT(cusolverDnDestroyParams(p_));
    p_ = nullptr;
  }
  cusolverDnParams_t p_ = nullptr;
};

// Configuration of cuSOLVER's iterative-refinement solvers (cusolverDnIRSXgels / IRSXgesv).
class IrsParams {
 public:
  IrsParams() { LSGD_CUSOLVER_CHECK(cusolverDnIRSParamsCreate(&p_)); }
  ~IrsParams() { release(); }
  IrsParams(const IrsParams&) = delete;
  IrsParams& operator=(const IrsParams&) = delete;
  IrsParams(IrsParams&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  // The moved-from object is left empty; the target's old resource is released first.
  IrsParams& operator=(IrsParams&& o) noexcept {
    if (this != &o) {
      release();
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  cusolverDnIRSParams_t get() const { return p_; }

 private:
  void release() noexcept {
    if (p_ != nullptr) LSGD_CUSOLVER_CHECK_NOEXCEPT(cusolverDnIRSParamsDestroy(p_));
    p_ = nullptr;
  }
  cusolverDnIRSParams_t p_ = nullptr;
};

// Per-solve information of the iterative-refinement solvers (iterations, residual history).
class IrsInfos {
 public:
  IrsInfos() { LSGD_CUSOLVER_CHECK(cusolverDnIRSInfosCreate(&p_)); }
  ~IrsInfos() { release(); }
  IrsInfos(const IrsInfos&) = delete;
  IrsInfos& operator=(const IrsInfos&) = delete;
  IrsInfos(IrsInfos&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  // The moved-from object is left empty; the target's old resource is released first.
  IrsInfos& operator=(IrsInfos&& o) noexcept {
    if (this != &o) {
      release();
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  cusolverDnIRSInfos_t get() const { return p_; }

 private:
  void release() noexcept {
    if (p_ != nullptr) LSGD_CUSOLVER_CHECK_NOEXCEPT(cusolverDnIRSInfosDestroy(p_));
    p_ = nullptr;
  }
  cusolverDnIRSInfos_t p_ = nullptr;
};

// The backend's query of device 0 (cached); lsgd::device_info() reaches it through the loader.
DeviceInfo device_query();

// Throws DeviceError("no CUDA device: <reason>") unless a device is usable. Every GPU solver's
// constructor calls it, so a GPU solver made on a machine without a GPU fails clearly.
void require_gpu();

}  // namespace lsgd::cuda
