#pragma once
// BDCSVD<MatrixXd> compiled in three translation units instead of one (it was the slowest TU of the
// core): every heavy member is declared an explicit instantiation here, so no TU that includes this
// header instantiates it implicitly; each is instantiated in exactly one TU:
//   singular_values_bdc.cpp          the driver: constructor, compute(), allocate(), copyUV()
//   singular_values_bdc_divide.cpp   LSGD_BDCSVD_DIVIDE_MEMBERS (divide and conquer, deflation)
//   singular_values_bdc_secular.cpp  LSGD_BDCSVD_SECULAR_MEMBERS (secular equation, singular vectors
//                                    of the merged problem) and UpperBidiagonalization<MatrixXd>
//   singular_values_jacobi.cpp       JacobiSVD<MatrixXd> (BDCSVD's base case, and condition_number's
//                                    small-n path)
// Written against Eigen 3.4's BDCSVD (the member signatures below): a mismatch fails to compile.
#include <Eigen/SVD>

// Explicit instantiations must be written at namespace scope enclosing Eigen: the global one.
#define LSGD_BDC Eigen::BDCSVD<Eigen::MatrixXd>

// X(return type, member, parameter types)
#define LSGD_BDCSVD_DIVIDE_MEMBERS(X)                                                              \
  X(void, divide, (Eigen::Index, Eigen::Index, Eigen::Index, Eigen::Index, Eigen::Index))          \
  X(void, structured_update,                                                                       \
    (Eigen::Block<LSGD_BDC::MatrixXr, Eigen::Dynamic, Eigen::Dynamic>, const LSGD_BDC::MatrixXr&,            \
     Eigen::Index))                                                                                \
  X(void, deflation43, (Eigen::Index, Eigen::Index, Eigen::Index, Eigen::Index))                   \
  X(void, deflation44,                                                                             \
    (Eigen::Index, Eigen::Index, Eigen::Index, Eigen::Index, Eigen::Index, Eigen::Index,           \
     Eigen::Index))                                                                                \
  X(void, deflation,                                                                               \
    (Eigen::Index, Eigen::Index, Eigen::Index, Eigen::Index, Eigen::Index, Eigen::Index))

#define LSGD_BDCSVD_SECULAR_MEMBERS(X)                                                             \
  X(void, computeSVDofM,                                                                           \
    (Eigen::Index, Eigen::Index, LSGD_BDC::MatrixXr&, LSGD_BDC::VectorType&, LSGD_BDC::MatrixXr&))                \
  X(void, computeSingVals,                                                                         \
    (const LSGD_BDC::ArrayRef&, const LSGD_BDC::ArrayRef&, const LSGD_BDC::IndicesRef&, LSGD_BDC::VectorType&,         \
     LSGD_BDC::ArrayRef, LSGD_BDC::ArrayRef))                                                                \
  X(void, perturbCol0,                                                                             \
    (const LSGD_BDC::ArrayRef&, const LSGD_BDC::ArrayRef&, const LSGD_BDC::IndicesRef&, const LSGD_BDC::VectorType&,   \
     const LSGD_BDC::ArrayRef&, const LSGD_BDC::ArrayRef&, LSGD_BDC::ArrayRef))                                   \
  X(void, computeSingVecs,                                                                         \
    (const LSGD_BDC::ArrayRef&, const LSGD_BDC::ArrayRef&, const LSGD_BDC::IndicesRef&, const LSGD_BDC::VectorType&,   \
     const LSGD_BDC::ArrayRef&, const LSGD_BDC::ArrayRef&, LSGD_BDC::MatrixXr&, LSGD_BDC::MatrixXr&))                  \
  X(LSGD_BDC::RealScalar, secularEq,                                                                    \
    (LSGD_BDC::RealScalar, const LSGD_BDC::ArrayRef&, const LSGD_BDC::ArrayRef&, const LSGD_BDC::IndicesRef&,          \
     const LSGD_BDC::ArrayRef&, LSGD_BDC::RealScalar))

#define LSGD_BDCSVD_DECLARE(RET, NAME, PARAMS) extern template RET LSGD_BDC::NAME PARAMS;
#define LSGD_BDCSVD_DEFINE(RET, NAME, PARAMS) template RET LSGD_BDC::NAME PARAMS;

extern template class Eigen::JacobiSVD<Eigen::MatrixXd>;
extern template class Eigen::internal::UpperBidiagonalization<Eigen::MatrixXd>;
LSGD_BDCSVD_DIVIDE_MEMBERS(LSGD_BDCSVD_DECLARE)
LSGD_BDCSVD_SECULAR_MEMBERS(LSGD_BDCSVD_DECLARE)
