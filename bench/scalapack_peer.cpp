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
void Cblacs_gridinfo(int ctxt, int* nprow, int* npcol, int* myrow, int* mycol);
int numroc_(const int* n, const int* nb, const int* iproc, const int* isrcproc, const int* nprocs);
void Cpdgemr2d(int m, int n, double* a, int ia, int ja, int* desca, double* b, int ib, int jb,
               int* descb, int ictxt);
void Cpsgemr2d(int m, int n, float* a, int ia, int ja, int* desca, float* b, int ib, int jb,
               int* descb, int ictxt);
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

void gemr2d(int m, int n, double* a, int* desca, double* b, int* descb, int ctxt) {
  Cpdgemr2d(m, n, a, 1, 1, desca, b, 1, 1, descb, ctxt);
}
void gemr2d(int m, int n, float* a, int* desca, float* b, int* descb, int ctxt) {
  Cpsgemr2d(m, n, a, 1, 1, desca, b, 1, 1, descb, ctxt);
}

}  // namespace

bool scalapack_available() { return true; }

template <typename T>
double scalapack_gels(const Problem<T>& local, index_t m_global, int nb_in, int prow, int pcol,
                      std::vector<T>& x) {
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
  if (prow < 1 || pcol < 1 || prow * pcol != P) {
    throw InvalidInput("scalapack peer: grid " + std::to_string(prow) + " x " +
                       std::to_string(pcol) + " does not use the " + std::to_string(P) + " ranks");
  }
  // The rows as they are: a P x 1 grid, one row block of mb rows per rank.
  int rows_ctxt = 0;
  Cblacs_get(-1, 0, &rows_ctxt);
  Cblacs_gridinit(&rows_ctxt, "Row", P, 1);
  const int zero = 0, nb = std::max(1, std::min(nb_in, n)), one = 1;
  const int lld = std::max(1, static_cast<int>(local.m));
  int desc_rows_a[9], desc_rows_b[9], info = 0;
  descinit_(desc_rows_a, &m, &n, &mb, &nb, &zero, &zero, &rows_ctxt, &lld, &info);
  descinit_(desc_rows_b, &m, &one, &mb, &one, &zero, &zero, &rows_ctxt, &lld, &info);
  std::vector<T> A = local.A, b = local.b;
  if (A.empty()) A.assign(1, T(0));
  if (b.empty()) b.assign(1, T(0));
  // Another grid: nb x nb blocks on prow x pcol, filled by PxGEMR2D (untimed).
  const bool moved = !(prow == P && pcol == 1);
  int ctxt = rows_ctxt, desca[9], descb[9];
  std::vector<T> A2, b2;
  std::copy(desc_rows_a, desc_rows_a + 9, desca);
  std::copy(desc_rows_b, desc_rows_b + 9, descb);
  if (moved) {
    Cblacs_get(-1, 0, &ctxt);
    Cblacs_gridinit(&ctxt, "Row", prow, pcol);
    int nprow = 0, npcol = 0, myrow = 0, mycol = 0;
    Cblacs_gridinfo(ctxt, &nprow, &npcol, &myrow, &mycol);
    const int lrows = std::max(1, numroc_(&m, &nb, &myrow, &zero, &nprow));
    const int lcols = std::max(1, numroc_(&n, &nb, &mycol, &zero, &npcol));
    descinit_(desca, &m, &n, &nb, &nb, &zero, &zero, &ctxt, &lrows, &info);
    descinit_(descb, &m, &one, &nb, &nb, &zero, &zero, &ctxt, &lrows, &info);
    A2.assign(static_cast<size_t>(lrows) * lcols, T(0));
    b2.assign(static_cast<size_t>(lrows), T(0));
    gemr2d(m, n, A.data(), desc_rows_a, A2.data(), desca, rows_ctxt);
    gemr2d(m, 1, b.data(), desc_rows_b, b2.data(), descb, rows_ctxt);
  }
  T* a_ptr = moved ? A2.data() : A.data();
  T* b_ptr = moved ? b2.data() : b.data();
  T query = 0;
  int lwork = -1;
  gels(&m, &n, a_ptr, desca, b_ptr, descb, &query, &lwork, &info);
  lwork = static_cast<int>(query) + 1;
  std::vector<T> work(static_cast<size_t>(lwork));
  MPI_Barrier(MPI_COMM_WORLD);
  const auto t0 = std::chrono::steady_clock::now();
  gels(&m, &n, a_ptr, desca, b_ptr, descb, work.data(), &lwork, &info);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  MPI_Allreduce(MPI_IN_PLACE, &s, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  int worst = info;
  MPI_Allreduce(&info, &worst, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (moved) {
    gemr2d(m, 1, b2.data(), descb, b.data(), desc_rows_b, rows_ctxt);  // x back to the rows
    Cblacs_gridexit(ctxt);
  }
  Cblacs_gridexit(rows_ctxt);
  if (worst != 0) throw NumericalError("PxGELS info = " + std::to_string(worst));
  // x = the first n entries of b, which live on rank 0 when n <= mb (the tall case benchmarked).
  x.assign(static_cast<size_t>(n), T(0));
  if (me == 0) std::copy(b.begin(), b.begin() + std::min<index_t>(n, local.m), x.begin());
  MPI_Bcast(x.data(), n, sizeof(T) == 4 ? MPI_FLOAT : MPI_DOUBLE, 0, MPI_COMM_WORLD);
  return s;
}

template double scalapack_gels<float>(const Problem<float>&, index_t, int, int, int,
                                      std::vector<float>&);
template double scalapack_gels<double>(const Problem<double>&, index_t, int, int, int,
                                       std::vector<double>&);

}  // namespace lsgd::bench
