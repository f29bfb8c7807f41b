// mpi.bgd: batched gradient descent with the batch split across ranks. Every rank calls setup()
// with its own problems (a BatchedProblem of any size, 0 included) and solves them with cpu.bgd,
// taken from the registry; the problems are independent, so the ranks exchange nothing but the
// agreement on failure and the time. solution() and info() are this rank's problems'; the global
// batch is the ranks' batches in rank order (row_range() over the batch gives an even split).
#include <memory>
#include <sstream>

#include "cpu/cpu_common.hpp"
#include "mpi/mpi_common.hpp"
#include "mpi/mpi_families.hpp"

namespace lsgd::mpi {
namespace {

constexpr const char* kName = "mpi.bgd";

template <typename T>
class BgdSolver final : public BatchedSolver<T>, public Distributed {
 public:
  explicit BgdSolver(const SolverOptions& opt) : opt_(opt) {
    local_ = default_registry().get("cpu.bgd").make_batched<T>(opt);
  }

  std::string name() const override { return kName; }
  Backend backend() const override { return Backend::mpi; }
  double comm_seconds() const override { return comm_max_; }
  index_t global_rows() const override { return global_batch_; }

  std::vector<T> solution() override {
    return batch_ > 0 ? local_->solution() : std::vector<T>{};
  }
  const SolveInfo& info() const override { return batch_ > 0 ? local_->info() : this->info_; }

 protected:
  // BatchedSolver<T>::setup() marks the solver ready when this returns (on every rank or none:
  // failures are agreed on).
  void setup_step(const BatchedProblem<T>& p) override {
    const index_t first = offset_of_rank(p.batch);
    agree(kName, [&] {
      if (p.batch == 0) return;  // a rank without problems only takes part in the agreement
      try {
        local_->setup(p);
      } catch (const InvalidInput& e) {
        std::ostringstream os;
        os << e.what() << " (problem numbers local to this rank, whose problems start at global "
           << "problem " << first << ")";
        throw InvalidInput(os.str());
      }
    });
    global_batch_ = sum_over_ranks(p.batch);
    if (global_batch_ == 0) throw InvalidInput(std::string(kName) + ": empty batch on every rank");
    batch_ = p.batch;
    n_ = p.n;
  }

  double timed_solve_step() override {
    LSGD_MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
    double s = 0.0;
    agree(kName, [&] {
      if (batch_ > 0) s = local_->timed_solve();
    });
    comm_max_ = 0.0;  // nothing is exchanged during the solve
    return max_over_ranks(s);
  }

 private:
  SolverOptions opt_;
  std::unique_ptr<BatchedSolver<T>> local_;
  index_t batch_ = 0, n_ = 0, global_batch_ = 0;
  double comm_max_ = 0.0;
};

}  // namespace

void register_mpi_bgd(Registry& r) {
  SolverEntry e = SolverEntry::make(
      kName, Backend::mpi, Kind::batched_iterative,
      "batched GD with the batch split across MPI ranks: cpu.bgd on each rank's problems");
  e.error_growth = ErrorGrowth::kappa_squared;  // as cpu.bgd
  e.flop_model = FlopModel::gd_iter;
  e.algorithm = "gd";  // as cpu.bgd
  e.make_batched_f32 = [](const SolverOptions& o) { return std::make_unique<BgdSolver<float>>(o); };
  e.make_batched_f64 = [](const SolverOptions& o) { return std::make_unique<BgdSolver<double>>(o); };
  e.available = [] { return initialized(); };
  e.unavailable_reason = kNeedsMpi;
  r.add(std::move(e));
}

}  // namespace lsgd::mpi
