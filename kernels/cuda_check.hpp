#pragma once
// Error-checking macros for CUDA, cuBLAS and cuSOLVER calls. The throwing forms raise DeviceError
// with the call's text, the status name, file and line; the _NOEXCEPT twins (for destructors) print
// to stderr instead. The CPU emulation of the kernels (LSGD_DEVICE_EMULATION) has the runtime's
// macros only.
#include <cstdio>
#include <sstream>
#include <string>

#include "kernels/device_compat.hpp"
#if !defined(LSGD_DEVICE_EMULATION)
#include <cublas_v2.h>
#include <cusolverDn.h>
#endif

#include "lsgd/error.hpp"

namespace lsgd::cuda {

#if !defined(LSGD_DEVICE_EMULATION)
const char* cublas_status_name(cublasStatus_t s);
const char* cusolver_status_name(cusolverStatus_t s);
#endif

[[noreturn]] inline void throw_device_error(const char* call, const char* status, const char* file,
                                            int line) {
  std::ostringstream os;
  os << call << " failed: " << status << " (" << file << ":" << line << ")";
  throw DeviceError(os.str());
}

}  // namespace lsgd::cuda

#define LSGD_CUDA_CHECK(call)                                                                    \
  do {                                                                                           \
    const cudaError_t lsgd_err_ = (call);                                                        \
    if (lsgd_err_ != cudaSuccess) {                                                              \
      (void)cudaGetLastError(); /* clear a sticky-free error so the process goes on */           \
      ::lsgd::cuda::throw_device_error(#call, cudaGetErrorName(lsgd_err_), __FILE__, __LINE__);  \
    }                                                                                            \
  } while (0)

#if !defined(LSGD_DEVICE_EMULATION)
#define LSGD_CUBLAS_CHECK(call)                                                                      \
  do {                                                                                               \
    const cublasStatus_t lsgd_st_ = (call);                                                          \
    if (lsgd_st_ != CUBLAS_STATUS_SUCCESS)                                                           \
      ::lsgd::cuda::throw_device_error(#call, ::lsgd::cuda::cublas_status_name(lsgd_st_), __FILE__,  \
                                       __LINE__);                                                    \
  } while (0)

#define LSGD_CUSOLVER_CHECK(call)                                                                      \
  do {                                                                                                 \
    const cusolverStatus_t lsgd_st_ = (call);                                                          \
    if (lsgd_st_ != CUSOLVER_STATUS_SUCCESS)                                                           \
      ::lsgd::cuda::throw_device_error(#call, ::lsgd::cuda::cusolver_status_name(lsgd_st_), __FILE__,  \
                                       __LINE__);                                                      \
  } while (0)

#endif

// Launch check: a kernel launch error (bad configuration, too much shared memory).
#define LSGD_CUDA_CHECK_LAUNCH() LSGD_CUDA_CHECK(cudaGetLastError())

#define LSGD_CUDA_CHECK_NOEXCEPT(call)                                                      \
  do {                                                                                      \
    const cudaError_t lsgd_err_ = (call);                                                   \
    if (lsgd_err_ != cudaSuccess)                                                           \
      std::fprintf(stderr, "lsgd: %s failed: %s (%s:%d)\n", #call,                          \
                   cudaGetErrorName(lsgd_err_), __FILE__, __LINE__);                        \
  } while (0)

#if !defined(LSGD_DEVICE_EMULATION)
#define LSGD_CUBLAS_CHECK_NOEXCEPT(call)                                                    \
  do {                                                                                      \
    const cublasStatus_t lsgd_st_ = (call);                                                 \
    if (lsgd_st_ != CUBLAS_STATUS_SUCCESS)                                                  \
      std::fprintf(stderr, "lsgd: %s failed: %s (%s:%d)\n", #call,                          \
                   ::lsgd::cuda::cublas_status_name(lsgd_st_), __FILE__, __LINE__);         \
  } while (0)

#define LSGD_CUSOLVER_CHECK_NOEXCEPT(call)                                                  \
  do {                                                                                      \
    const cusolverStatus_t lsgd_st_ = (call);                                               \
    if (lsgd_st_ != CUSOLVER_STATUS_SUCCESS)                                                \
      std::fprintf(stderr, "lsgd: %s failed: %s (%s:%d)\n", #call,                          \
                   ::lsgd::cuda::cusolver_status_name(lsgd_st_), __FILE__, __LINE__);       \
  } while (0)
#endif
