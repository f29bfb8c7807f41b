#pragma once
// The BLAS library's own thread count. OpenBLAS (pthreads build) keeps its own pool, independent of
// OpenMP's: a solver sets both for its solve, and sets the BLAS to one thread inside its own
// parallel regions so that the two pools never oversubscribe the cores.
namespace lsgd::cpu {

int get_blas_threads();
void set_blas_threads(int threads);

// Sets the BLAS thread count for the object's lifetime and restores it afterwards.
class ScopedBlasThreads {
 public:
  explicit ScopedBlasThreads(int threads) : saved_(get_blas_threads()) { set_blas_threads(threads); }
  ~ScopedBlasThreads() { set_blas_threads(saved_); }
  ScopedBlasThreads(const ScopedBlasThreads&) = delete;
  ScopedBlasThreads& operator=(const ScopedBlasThreads&) = delete;

 private:
  int saved_;
};

}  // namespace lsgd::cpu
