#pragma once
// Move-only RAII owners of device resources: buffers, streams, events, cuBLAS and cuSOLVER handles.
// Nothing else in the project calls cudaMalloc / cudaFree.
#include <cstddef>
#include <utility>
#include <vector>

#include "kernels/cuda_check.hpp"

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
  ~Stream() {
    if (s_ != nullptr) LSGD_CUDA_CHECK_NOEXCEPT(cudaStreamDestroy(s_));
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  Stream(Stream&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Stream& operator=(Stream&& o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  cudaStream_t get() const { return s_; }
  void synchronize() const { LSGD_CUDA_CHECK(cudaStreamSynchronize(s_)); }

 private:
  cudaStream_t s_ = nullptr;
};

class Event {
 public:
  Event() { LSGD_CUDA_CHECK(cudaEventCreate(&e_)); }
  ~Event() {
    if (e_ != nullptr) LSGD_CUDA_CHECK_NOEXCEPT(cudaEventDestroy(e_));
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  Event(Event&& o) noexcept : e_(std::exchange(o.e_, nullptr)) {}
  Event& operator=(Event&& o) noexcept {
    std::swap(e_, o.e_);
    return *this;
  }
  cudaEvent_t get() const { return e_; }
  void record(cudaStream_t s) { LSGD_CUDA_CHECK(cudaEventRecord(e_, s)); }

 private:
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
  ~CublasHandle() {
    if (h_ != nullptr) LSGD_CUBLAS_CHECK_NOEXCEPT(cublasDestroy(h_));
  }
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  CublasHandle(CublasHandle&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  CublasHandle& operator=(CublasHandle&& o) noexcept {
    std::swap(h_, o.h_);
    return *this;
  }
  cublasHandle_t get() const { return h_; }

 private:
  cublasHandle_t h_ = nullptr;
};

class CusolverHandle {
 public:
  explicit CusolverHandle(cudaStream_t s = nullptr) {
    LSGD_CUSOLVER_CHECK(cusolverDnCreate(&h_));
    LSGD_CUSOLVER_CHECK(cusolverDnSetStream(h_, s));
  }
  ~CusolverHandle() {
    if (h_ != nullptr) LSGD_CUSOLVER_CHECK_NOEXCEPT(cusolverDnDestroy(h_));
  }
  CusolverHandle(const CusolverHandle&) = delete;
  CusolverHandle& operator=(const CusolverHandle&) = delete;
  CusolverHandle(CusolverHandle&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  CusolverHandle& operator=(CusolverHandle&& o) noexcept {
    std::swap(h_, o.h_);
    return *this;
  }
  cusolverDnHandle_t get() const { return h_; }

 private:
  cusolverDnHandle_t h_ = nullptr;
};

// Throws DeviceError("no CUDA device: <reason>") unless a device is usable. Every GPU solver's
// constructor calls it, so a GPU solver made on a machine without a GPU fails clearly.
void require_gpu();

}  // namespace lsgd::cuda
