#pragma once
// Shared pieces of the mpi.* solvers: MPI datatypes, timing of communication, and the agreement on
// failure that keeps every rank out of a collective its peers will never enter.
//
// The rule every solver follows: local work that can fail (validation, a local factorization, a
// solve on one rank) runs inside agree(), which catches the rank's error and then ends in ONE
// allreduce that every rank reaches. If any rank failed, every rank throws the same exception (of
// the lowest failing rank's type and text, prefixed with its rank), so no rank is left waiting in
// a later collective and rank 0 can print one clear message.
#include <mpi.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "lsgd/error.hpp"
#include "lsgd/mpi.hpp"
#include "lsgd/problem.hpp"

namespace lsgd::mpi {

// Why an mpi.* registry entry is unavailable in a process that has not started MPI.
constexpr const char* kNeedsMpi =
    "collective: needs MPI started in the process; `lsgd solve --solver mpi.*` starts it "
    "(mpirun -np P lsgd solve ...), as do test_mpi and bench_mpi";

template <typename T>
MPI_Datatype datatype() {
  return sizeof(T) == 4 ? MPI_FLOAT : MPI_DOUBLE;
}

// Every MPI return code: MPI_ERRORS_ARE_FATAL is the default handler, so a failing call ends the
// job before this sees it; with MPI_ERRORS_RETURN the code becomes a DeviceError naming the call.
void check(int code, const char* call);
#define LSGD_MPI_CHECK(call) ::lsgd::mpi::check((call), #call)

// Runs local(); then every rank learns whether any rank failed (one MPI_Allreduce) and, if so,
// throws the first failing rank's error on every rank. `who` names the solver in the message.
void agree(const std::string& who, const std::function<void()>& local);

// Seconds spent in communication, accumulated by scoped timers around MPI calls.
class CommClock {
 public:
  void reset() { seconds_ = 0.0; }
  double seconds() const { return seconds_; }
  template <typename F>
  void time(F&& fn) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

 private:
  double seconds_ = 0.0;
};

// In-place sum over the ranks (MPI_Allreduce, MPI_SUM).
template <typename T>
void allreduce_sum(T* data, index_t count, CommClock& clock) {
  clock.time([&] {
    LSGD_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, data, static_cast<int>(count), datatype<T>(),
                                 MPI_SUM, MPI_COMM_WORLD));
  });
}

// The largest of the ranks' values (MPI_Allreduce, MPI_MAX), e.g. the collective solve time.
double max_over_ranks(double v);
// The sum over the ranks of an integer, e.g. the global number of rows.
index_t sum_over_ranks(index_t v);
// The sum over the ranks before this one (MPI_Exscan): where this rank's rows start globally.
index_t offset_of_rank(index_t v);

// What every mpi.* solver reports beyond SolveInfo: communication time, for bench_mpi (compute
// time = timed_solve() - comm_seconds()). Maximum over the ranks of the last solve.
class Distributed {
 public:
  virtual ~Distributed() = default;
  virtual double comm_seconds() const = 0;
  virtual index_t global_rows() const = 0;
};

}  // namespace lsgd::mpi
