// The MPI runtime: initialization once per process (finalized at exit), ranks, the agreement on
// failure (mpi_common.hpp) and MPI_Abort for what cannot be agreed on.
#include <climits>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "mpi/mpi_common.hpp"

namespace lsgd::mpi {
namespace {

int thread_level = -1;

void finalize_at_exit() {
  int init = 0, fin = 0;
  MPI_Initialized(&init);
  MPI_Finalized(&fin);
  if (init && !fin) MPI_Finalize();
}

void require_initialized() {
  if (!initialized()) {
    throw DeviceError("MPI is not initialized in this process (lsgd::mpi::init(); the CLI, "
                      "test_mpi and bench_mpi do it for mpi.* solvers)");
  }
}

enum ErrorKind : int { kNone = 0, kInvalid = 1, kNumerical = 2, kDevice = 3, kOther = 4 };

}  // namespace

bool enabled() { return true; }

bool initialized() {
  int init = 0, fin = 0;
  MPI_Initialized(&init);
  MPI_Finalized(&fin);
  return init && !fin;
}

void init() {
  int init = 0;
  MPI_Initialized(&init);
  if (init) return;
  // FUNNELED: only the thread that called init makes MPI calls (the solvers' OpenMP regions call
  // MPI from their thread 0, which is that thread).
  check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &thread_level), "MPI_Init_thread");
  if (thread_level < MPI_THREAD_FUNNELED) {
    MPI_Finalize();
    throw DeviceError("MPI provides no MPI_THREAD_FUNNELED support (needed with OpenMP)");
  }
  std::atexit(finalize_at_exit);
}

int rank() {
  require_initialized();
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int size() {
  require_initialized();
  int p = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &p);
  return p;
}

void abort_all(int code) {
  if (initialized()) MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);
}

std::string describe() {
  char version[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int len = 0;
  MPI_Get_library_version(version, &len);
  std::string v(version, static_cast<size_t>(len));
  if (const auto cut = v.find_first_of(",\n"); cut != std::string::npos) v.resize(cut);
  std::ostringstream os;
  os << v;
  if (initialized()) {
    os << ", " << size() << " rank" << (size() == 1 ? "" : "s");
#if defined(MPIX_CUDA_AWARE_SUPPORT) && MPIX_CUDA_AWARE_SUPPORT
    os << ", CUDA-aware build";
#else
    os << ", host staging (no CUDA-aware MPI detected)";
#endif
  }
  return os.str();
}

void check(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int len = 0;
  MPI_Error_string(code, text, &len);
  throw DeviceError(std::string(call) + " failed: " + std::string(text, static_cast<size_t>(len)));
}

void agree(const std::string& who, const std::function<void()>& local) {
  int kind = kNone;
  std::string message;
  try {
    local();
  } catch (const InvalidInput& e) {
    kind = kInvalid;
    message = e.what();
  } catch (const NumericalError& e) {
    kind = kNumerical;
    message = e.what();
  } catch (const DeviceError& e) {
    kind = kDevice;
    message = e.what();
  } catch (const std::exception& e) {
    kind = kOther;
    message = e.what();
  } catch (...) {
    kind = kOther;
    message = "unknown exception";
  }
  const int me = rank(), P = size();
  int first = kind != kNone ? me : INT_MAX;
  LSGD_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD));
  if (first == INT_MAX) return;
  int header[2] = {kind, static_cast<int>(message.size())};
  LSGD_MPI_CHECK(MPI_Bcast(header, 2, MPI_INT, first, MPI_COMM_WORLD));
  std::string text(static_cast<size_t>(header[1]), '\0');
  if (me == first) text = message;
  LSGD_MPI_CHECK(MPI_Bcast(text.data(), header[1], MPI_CHAR, first, MPI_COMM_WORLD));
  if (P > 1) {
    std::ostringstream os;
    os << who << " failed on rank " << first << " of " << P << ": " << text;
    text = os.str();
  }
  switch (header[0]) {
    case kInvalid: throw InvalidInput(text);
    case kNumerical: throw NumericalError(text);
    case kDevice: throw DeviceError(text);
    default: throw Error(text);
  }
}

double max_over_ranks(double v) {
  LSGD_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD));
  return v;
}

index_t sum_over_ranks(index_t v) {
  long long s = static_cast<long long>(v);
  LSGD_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &s, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD));
  return static_cast<index_t>(s);
}

index_t offset_of_rank(index_t v) {
  long long mine = static_cast<long long>(v), before = 0;
  LSGD_MPI_CHECK(MPI_Exscan(&mine, &before, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD));
  return rank() > 0 ? static_cast<index_t>(before) : 0;  // rank 0's result is undefined
}

template <typename T>
Residuals distributed_residuals(const Problem<T>& p, const std::vector<double>& x) {
  const index_t n = p.n;
  std::vector<double> sums(static_cast<size_t>(n + 3), 0.0);  // [rr, ||A||_F^2, ||b||^2, A^T r]
  for (index_t i = 0; i < p.m; ++i) {
    const double bi = static_cast<double>(p.b[static_cast<size_t>(i)]);
    double ri = bi;
    for (index_t j = 0; j < n; ++j) ri -= static_cast<double>(p.a(i, j)) * x[static_cast<size_t>(j)];
    sums[0] += ri * ri;
    sums[2] += bi * bi;
    for (index_t j = 0; j < n; ++j) {
      const double a = static_cast<double>(p.a(i, j));
      sums[1] += a * a;
      sums[static_cast<size_t>(3 + j)] += a * ri;
    }
  }
  CommClock clock;
  allreduce_sum(sums.data(), n + 3, clock);
  double atr = 0.0, xx = 0.0;
  for (index_t j = 0; j < n; ++j) {
    atr += sums[static_cast<size_t>(3 + j)] * sums[static_cast<size_t>(3 + j)];
    xx += x[static_cast<size_t>(j)] * x[static_cast<size_t>(j)];
  }
  const double a_f = std::sqrt(sums[1]);
  Residuals r;
  r.residual_norm = std::sqrt(sums[0]);
  r.normal_eq_residual = std::sqrt(atr) / (a_f * (a_f * std::sqrt(xx) + std::sqrt(sums[2])));
  return r;
}

template Residuals distributed_residuals<float>(const Problem<float>&, const std::vector<double>&);
template Residuals distributed_residuals<double>(const Problem<double>&, const std::vector<double>&);

}  // namespace lsgd::mpi
