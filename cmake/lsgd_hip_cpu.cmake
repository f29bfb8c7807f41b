# Our kernels on the CPU (issue 22): HIP-CPU runs them from the same source nvcc compiles
# (kernels/device_compat.hpp), in every build that has TBB, with or without CUDA.
#   LSGD_KERNELS_ON_CPU   on by default where TBB is found (Debian: libtbb-dev)
#   LSGD_HIP_CPU_DIR      a HIP-CPU source tree (its include/hip/hip_runtime.h); default: the pinned
#                         copy in ../shared/third_party/hip-cpu next to the checkout when it exists,
#                         else FetchContent of the same commit from GitHub
# Defines lsgd_hip_cpu (INTERFACE: HIP-CPU's headers as SYSTEM, TBB, threads).
set(LSGD_HIP_CPU_COMMIT e112c935057434897bb12d9ab3910380a8bd5f58)
set(LSGD_HIP_CPU_URL https://github.com/ROCm/HIP-CPU.git)

find_package(TBB QUIET)
if(TBB_FOUND)
  set(_lsgd_emu_default ON)
else()
  set(_lsgd_emu_default OFF)
endif()
option(LSGD_KERNELS_ON_CPU
       "Build our CUDA kernels for the CPU too (HIP-CPU + TBB) and their emulated tests (label emu)"
       ${_lsgd_emu_default})

set(_lsgd_hip_cpu_shared "${PROJECT_SOURCE_DIR}/../shared/third_party/hip-cpu")
if(EXISTS "${_lsgd_hip_cpu_shared}/include/hip/hip_runtime.h")
  get_filename_component(_lsgd_hip_cpu_shared "${_lsgd_hip_cpu_shared}" REALPATH)
  set(_lsgd_hip_cpu_default "${_lsgd_hip_cpu_shared}")
else()
  set(_lsgd_hip_cpu_default "")
endif()
set(LSGD_HIP_CPU_DIR "${_lsgd_hip_cpu_default}" CACHE PATH
    "HIP-CPU source tree (empty: fetch commit ${LSGD_HIP_CPU_COMMIT})")

if(NOT LSGD_KERNELS_ON_CPU)
  if(NOT TBB_FOUND)
    message(STATUS "lsgd: kernels on the CPU OFF (TBB not found: apt-get install libtbb-dev)")
  else()
    message(STATUS "lsgd: kernels on the CPU OFF")
  endif()
  return()
endif()

find_package(TBB REQUIRED)
if(LSGD_HIP_CPU_DIR)
  if(NOT EXISTS "${LSGD_HIP_CPU_DIR}/include/hip/hip_runtime.h")
    message(FATAL_ERROR "LSGD_HIP_CPU_DIR=${LSGD_HIP_CPU_DIR} has no include/hip/hip_runtime.h")
  endif()
  set(_lsgd_hip_cpu_src "${LSGD_HIP_CPU_DIR}")
else()
  include(FetchContent)
  # Headers only: SOURCE_SUBDIR names a folder without a CMakeLists.txt, so HIP-CPU's own CMake
  # (install rules, tests) is not added to this build.
  FetchContent_Declare(lsgd_hip_cpu_src GIT_REPOSITORY ${LSGD_HIP_CPU_URL}
                       GIT_TAG ${LSGD_HIP_CPU_COMMIT} SOURCE_SUBDIR include)
  FetchContent_MakeAvailable(lsgd_hip_cpu_src)
  set(_lsgd_hip_cpu_src "${lsgd_hip_cpu_src_SOURCE_DIR}")
endif()

add_library(lsgd_hip_cpu INTERFACE)
target_include_directories(lsgd_hip_cpu SYSTEM INTERFACE "${_lsgd_hip_cpu_src}/include")
# As HIP-CPU's own CMake: its loops are `omp simd` (no OpenMP runtime); std::execution::par_unseq
# runs blocks on TBB.
target_compile_options(lsgd_hip_cpu INTERFACE -fopenmp-simd)
target_link_libraries(lsgd_hip_cpu INTERFACE TBB::tbb Threads::Threads ${CMAKE_DL_LIBS})
target_compile_definitions(lsgd_hip_cpu INTERFACE LSGD_DEVICE_EMULATION=1)
message(STATUS "lsgd: kernels on the CPU ON (HIP-CPU ${_lsgd_hip_cpu_src}, TBB ${TBB_VERSION})")
