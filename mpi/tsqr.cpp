// mpi.tsqr: every rank factors its rows of [A b] with cpu.tsqr's factorization (cpu/tsqr_factor.hpp:
// row blocks, LAPACK GEQRF, its own threads), then the ranks' (n+1) x (n+1) triangles are reduced in
// a binary tree (log2 P steps of one message of (n+1)^2 values) onto rank 0, which solves
// R x = Q^T b and broadcasts x. QR's accuracy (forward error ~ kappa eps); communication
// O(n^2 log P) words. A rank may hold any number of rows, fewer than n and none included.
#include <memory>

#include "cpu/tsqr_factor.hpp"
#include "mpi/mpi_families.hpp"
#include "mpi/row_solver.hpp"

namespace lsgd::mpi {
namespace {

constexpr const char* kName = "mpi.tsqr";

template <typename T>
class TsqrSolver final : public RowSolver<T> {
 public:
  explicit TsqrSolver(const SolverOptions& opt) : RowSolver<T>(kName, opt) {
    if (opt.ridge_lambda != 0.0) {
      throw InvalidInput(std::string(kName) + ": ridge lambda is supported by mpi.cholesky and "
                                              "the mpi.gd solvers only");
    }
  }

 private:
  void allocate() override {
    factor_.allocate(this->m_, this->n_, this->info_.threads);
    this->info_.threads = factor_.threads();
    const index_t n1 = this->n_ + 1;
    packed_.assign(static_cast<size_t>(n1 * n1), T(0));
  }

  void solve() override {
    const index_t n = this->n_, n1 = n + 1;
    factor_.factor(this->A_.data(), this->m_, this->b_.data());
    const int me = rank(), P = size();
    // Binary tree: at distance d, rank r (r mod 2d == d) sends its triangle to r - d and leaves.
    for (int d = 1; d < P; d *= 2) {
      if (me % (2 * d) == d) {
        pack(factor_.triangle(), factor_.ld());
        this->comm_.time([&] {
          LSGD_MPI_CHECK(MPI_Send(packed_.data(), static_cast<int>(n1 * n1), datatype<T>(), me - d,
                                  d, MPI_COMM_WORLD));
        });
        break;
      }
      if (me % (2 * d) == 0 && me + d < P) {
        this->comm_.time([&] {
          LSGD_MPI_CHECK(MPI_Recv(packed_.data(), static_cast<int>(n1 * n1), datatype<T>(), me + d,
                                  d, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        });
        factor_.absorb(packed_.data(), n1);
      }
    }
    T* x = this->x_.data();
    agree(this->name_, [&] {
      if (me != 0) return;
      const T* R = factor_.triangle();
      const index_t ld = factor_.ld();
      cpu::check_full_rank(this->name_, this->m_global_, n, R, ld);
      std::copy(R + n * ld, R + n * ld + n, x);
      cpu::lapack::trtrs_upper(static_cast<int>(n), 1, R, static_cast<int>(ld), x,
                               static_cast<int>(n));
    });
    this->comm_.time([&] {
      LSGD_MPI_CHECK(MPI_Bcast(x, static_cast<int>(n), datatype<T>(), 0, MPI_COMM_WORLD));
    });
  }

  // The triangle (leading dimension ld) into packed_ as a dense (n+1) x (n+1) block.
  void pack(const T* R, index_t ld) {
    const index_t n1 = this->n_ + 1;
    for (index_t j = 0; j < n1; ++j) std::copy(R + j * ld, R + j * ld + n1, packed_.data() + j * n1);
  }

  cpu::tsqr::TsqrFactor<T> factor_;
  std::vector<T> packed_;
};

}  // namespace

void register_mpi_tsqr(Registry& r) {
  r.add(row_entry(
      kName, "tsqr", Kind::direct,
      "rows sharded across MPI ranks: cpu.tsqr's factorization per rank, binary-tree reduction of "
      "the (n+1)^2 triangles of [A b], solve on rank 0, broadcast",
      false, [](const SolverOptions& o) { return std::make_unique<TsqrSolver<float>>(o); },
      [](const SolverOptions& o) { return std::make_unique<TsqrSolver<double>>(o); }));
}

}  // namespace lsgd::mpi
