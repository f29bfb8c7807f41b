#include "bench/presets.hpp"

#include <algorithm>
#include <tuple>

namespace lsgd::bench {
namespace {

// Appends without duplicates, keeping the first occurrence's position.
template <typename S, typename Eq>
void add_unique(std::vector<S>& v, const S& s, Eq eq) {
  if (std::none_of(v.begin(), v.end(), [&](const S& o) { return eq(o, s); })) v.push_back(s);
}

const std::vector<index_t> kBatchesFull = {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536};

}  // namespace

std::vector<LsShape> ls_shapes(Preset p) {
  std::vector<LsShape> v;
  const auto eq = [](const LsShape& a, const LsShape& b) { return a.m == b.m && a.n == b.n; };
  if (p == Preset::quick) {
    for (index_t n : {64, 128, 256}) add_unique(v, {n, n}, eq);
    for (index_t n : {32, 64}) add_unique(v, {16 * n, n}, eq);
    for (index_t n : {8, 32}) add_unique(v, {index_t{1} << 14, n}, eq);
    return v;
  }
  for (index_t n = 64; n <= 8192; n *= 2) add_unique(v, {n, n}, eq);              // square
  for (index_t n = 64; n <= 1024; n *= 2) add_unique(v, {16 * n, n}, eq);         // tall
  for (index_t m : {index_t{1} << 14, index_t{1} << 16, index_t{1} << 18, index_t{1} << 20}) {
    for (index_t n : {8, 32, 64, 256}) add_unique(v, {m, n}, eq);                  // tall-skinny
  }
  return v;
}

std::vector<BatchShape> bls_shapes(Preset p) {
  std::vector<BatchShape> v;
  if (p == Preset::quick) {
    for (index_t b : {1, 16, 256}) v.push_back({b, 64, 8});
    for (index_t b : {1, 64}) v.push_back({b, 256, 32});
    return v;
  }
  for (const auto& [m, n] : {std::pair<index_t, index_t>{64, 8}, {256, 32}, {1024, 64}}) {
    for (index_t b : kBatchesFull) v.push_back({b, m, n});
  }
  return v;
}

std::vector<GdShape> gd_shapes(Preset p) {
  std::vector<GdShape> v;
  if (p == Preset::quick) {
    for (int k : {10, 100}) {
      v.push_back({0, 1024, 32, k});
      v.push_back({0, 16384, 64, k});
    }
    return v;
  }
  const std::pair<index_t, index_t> shapes[] = {{4096, 64},     {16384, 1024},  {65536, 256},
                                                {262144, 64},   {1048576, 32},  {8192, 8192}};
  for (const auto& [m, n] : shapes) {
    for (int k : {10, 100, 1000}) v.push_back({0, m, n, k});
  }
  return v;
}

std::vector<GdShape> bgd_shapes(Preset p) {
  std::vector<GdShape> v;
  const auto eq = [](const GdShape& a, const GdShape& b) {
    return std::tie(a.batch, a.m, a.n, a.iters) == std::tie(b.batch, b.m, b.n, b.iters);
  };
  if (p == Preset::quick) {
    for (index_t b : {16, 1024}) add_unique(v, {b, 64, 8, 100}, eq);
    add_unique(v, {64, 256, 32, 100}, eq);
    add_unique(v, {64, 256, 32, 10}, eq);
    return v;
  }
  // The targets first (iterations as an axis), then batch sweeps at 100 iterations.
  const GdShape targets[] = {{65536, 64, 8, 0}, {16384, 256, 32, 0}, {1024, 4096, 64, 0},
                             {64, 65536, 256, 0}};
  for (GdShape t : targets) {
    for (int k : {10, 100, 1000}) {
      t.iters = k;
      add_unique(v, t, eq);
    }
  }
  for (const auto& [m, n] : {std::pair<index_t, index_t>{64, 8}, {256, 32}}) {
    for (index_t b : kBatchesFull) add_unique(v, {b, m, n, 100}, eq);
  }
  // Issue 29's smallest CPU shape: 4 columns, the per-iteration bookkeeping's worst case.
  add_unique(v, {65536, 16, 4, 100}, eq);
  return v;
}

std::vector<TtaShape> tta_shapes(Preset p) {
  if (p == Preset::quick) return {{256, 16, false}};
  return {{1024, 32, false}, {65536, 256, true}};
}

std::vector<double> tta_kappas(Preset p) {
  if (p == Preset::quick) return {10.0, 100.0};
  return {10.0, 100.0, 1000.0};
}

std::vector<double> tta_targets() { return {1e-3, 1e-6}; }

int tta_max_iters(Preset p) { return p == Preset::quick ? 5000 : 50000; }

// Small enough for the quad-precision reference (about 2 m n^2 software operations: ~1 s at
// 4096 x 64) and for a few thousand GD iterations per solve.
std::vector<AccShape> acc_shapes(Preset p) {
  if (p == Preset::quick) return {{512, 32}};
  return {{4096, 64}};
}

std::vector<double> acc_kappas(Preset p) {
  if (p == Preset::quick) return {1e2, 1e6, 1e10};
  return {1e2, 1e4, 1e6, 1e8, 1e10, 1e12, 1e14};
}

// ||noise|| ~ 1e-6 ||A x_true||: QR's kappa^2 eps ||r|| / (||A|| ||x||) term overtakes its kappa eps
// term from kappa(A) ~ 1e6 on.
double acc_noise() { return 1e-6; }

int acc_max_iters(Preset p) { return p == Preset::quick ? 1000 : 5000; }

double acc_tol(Precision p) { return p == Precision::f32 ? 1e-5 : 1e-10; }

}  // namespace lsgd::bench
