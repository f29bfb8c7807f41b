// PDGELS / PSGELS through ScaLAPACK's Fortran interface and the C BLACS interface (both in Debian's
// libscalapack-openmpi). See scalapack_peer.hpp.
#include "bench/scalapack_peer.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>

#include "lsgd/error.hpp"
#include "lsgd/mpi.hpp"

extern "C" {
void Cblacs_get(int ctxt, int what, int* val);
void Cblacs_gridinit(int* ctxt, const char* order, int nprow, int npcol);
void Cblacs_gridexit(int ctxt);
void descinit_(int* desc, const int* m, const int* n, const int* mb, const int* nb,
               const int* irsrc, const int* icsrc, const int* ictxt, const int* lld, int* info);
void pdgels_(const char* trans, const int* m, const int* n, const int* nrhs, double* a,
             const int* ia, const int* ja, const int* desca, double* b, const int* ib,
             const int* jb, const int* descb, double* work, const int* lwork, int* info);
void psgels_(const char* trans, const int* m, const int* n, const int* nrhs, float* a, const int* ia,
             const int* ja, const int* desca, float* b, const int* ib, const int* jb,
             const int* descb, float* work, const int* lwork, int* info);
}

namespace lsgd::bench {
namespace {

void gels(const int* m, const int* n, double* a, const int* desca, double* b, const int* descb,
          double* work, const int* lwork, int* info) {
  const int one = 1;
  pdgels_("N", m, n, &one, a, &one, &one, desca, b, &one, &one, descb, work, lwork, info);
}
void gels(const int* m, const int* n, float* a, const int* desca, float* b, const int* descb,
          float* work, const int* lwork, int* info) {
  const int one = 1;
  psgels_("N", m, n, &one, a, &one, &one, desca, b, &one, &one, descb, work, lwork, info);
}

}  // namespace

bool scalapack_available() { return true; }

template <typename T>
double scalapack_gels(const Problem<T>& local, index_t m_global, int nb_in, std::vector<T>& x) {
  const int P = mpi::size(), me = mpi::rank();
  const int m = static_cast<int>(m_global), n = static_cast<int>(local.n);
  const int mb = static_cast<int>((m_global + P - 1) / P);
  const index_t expect = std::max<index_t>(0, std::min<index_t>(mb, m_global - index_t{mb} * me));
  if (local.m != expect) {
    throw InvalidInput("scalapack peer: rank " + std::to_string(me) + " holds " +
                       std::to_string(local.m) + " rows; the block layout needs " +
                       std::to_string(expect));
  }
  if (n > mb) throw InvalidInput("scalapack peer: n > ceil(m / P) (x would span ranks)");
  int ctxt = 0;
  Cblacs_get(-1, 0, &ctxt);
  Cblacs_gridinit(&ctxt, "Row", P, 1);
  const int zero = 0, nb = std::min(nb_in, n), one = 1;
  const int lld = std::max(1, static_cast<int>(local.m));
  int desca[9], descb[9], info = 0;
  descinit_(desca, &m, &n, &mb, &nb, &zero, &zero, &ctxt, &lld, &info);
  descinit_(descb, &m, &one, &mb, &one, &zero, &zero, &ctxt, &lld, &info);
  std::vector<T> A = local.A, b = local.b;
  if (A.empty()) A.assign(1, T(0));
  if (b.empty()) b.assign(1, T(0));
  T query = 0;
  int lwork = -1;
  gels(&m, &n, A.data(), desca, b.data(), descb, &query, &lwork, &info);
  lwork = static_cast<int>(query) + 1;
  std::vector<T> work(static_cast<size_t>(lwork));
  MPI_Barrier(MPI_COMM_WORLD);
  const auto t0 = std::chrono::steady_clock::now();
  gels(&m, &n, A.data(), desca, b.data(), descb, work.data(), &lwork, &info);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  MPI_Allreduce(MPI_IN_PLACE, &s, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  int worst = info;
  MPI_Allreduce(&info, &worst, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  Cblacs_gridexit(ctxt);
  if (worst != 0) throw NumericalError("PxGELS info = " + std::to_string(worst));
  // x = the first n entries of b, which live on rank 0 when n <= mb (the tall case benchmarked).
  x.assign(static_cast<size_t>(n), T(0));
  if (me == 0) std::copy(b.begin(), b.begin() + std::min<index_t>(n, local.m), x.begin());
  MPI_Bcast(x.data(), n, sizeof(T) == 4 ? MPI_FLOAT : MPI_DOUBLE, 0, MPI_COMM_WORLD);
  return s;
}

template double scalapack_gels<float>(const Problem<float>&, index_t, int, std::vector<float>&);
template double scalapack_gels<double>(const Problem<double>&, index_t, int, std::vector<double>&);

}  // namespace lsgd::bench
