#include <cmath>
#include <sstream>

#include "lsgd/error.hpp"
#include "lsgd/problem.hpp"

namespace lsgd {
namespace {

template <typename T>
void check_finite(const std::vector<T>& v, index_t rows, const char* what, const std::string& prefix) {
  for (size_t k = 0; k < v.size(); ++k) {
    if (!std::isfinite(v[k])) {
      std::ostringstream os;
      os << prefix << what << " has a non-finite entry (" << v[k] << ") at ";
      if (rows > 0 && std::string(what) == "A") {
        os << "row " << static_cast<index_t>(k) % rows << ", column " << static_cast<index_t>(k) / rows;
      } else {
        os << "index " << k;
      }
      throw InvalidInput(os.str());
    }
  }
}

template <typename T>
void check_shape(index_t m, index_t n, const std::vector<T>& A, const std::vector<T>& b,
                 const std::vector<T>& x_true, const std::string& prefix) {
  if (m <= 0 || n <= 0) {
    std::ostringstream os;
    os << prefix << "empty problem (m = " << m << ", n = " << n << ")";
    throw InvalidInput(os.str());
  }
  if (A.size() != static_cast<size_t>(m * n)) {
    std::ostringstream os;
    os << prefix << "A has " << A.size() << " entries, expected m*n = " << m << "*" << n;
    throw InvalidInput(os.str());
  }
  if (b.size() != static_cast<size_t>(m)) {
    std::ostringstream os;
    os << prefix << "b has " << b.size() << " entries, expected m = " << m;
    throw InvalidInput(os.str());
  }
  if (!x_true.empty() && x_true.size() != static_cast<size_t>(n)) {
    std::ostringstream os;
    os << prefix << "x_true has " << x_true.size() << " entries, expected n = " << n;
    throw InvalidInput(os.str());
  }
}

}  // namespace

template <typename T>
void Problem<T>::validate() const {
  check_shape(m, n, A, b, x_true, "");
  check_finite(A, m, "A", "");
  check_finite(b, m, "b", "");
}

template <typename T>
template <typename U>
Problem<U> Problem<T>::cast() const {
  Problem<U> p;
  p.m = m;
  p.n = n;
  p.A.assign(A.begin(), A.end());
  p.b.assign(b.begin(), b.end());
  p.x_true.assign(x_true.begin(), x_true.end());
  p.column_names = column_names;
  return p;
}

template <typename T>
Problem<T> BatchedProblem<T>::extract(index_t p) const {
  if (p < 0 || p >= batch) throw InvalidInput("problem index " + std::to_string(p) + " out of range");
  Problem<T> out;
  out.m = m;
  out.n = n;
  out.A.assign(a_of(p), a_of(p) + m * n);
  out.b.assign(b_of(p), b_of(p) + m);
  if (!x_true.empty()) out.x_true.assign(x_true.begin() + p * n, x_true.begin() + (p + 1) * n);
  return out;
}

template <typename T>
void BatchedProblem<T>::validate() const {
  if (batch <= 0) throw InvalidInput("empty batch (batch = " + std::to_string(batch) + ")");
  if (m <= 0 || n <= 0) {
    throw InvalidInput("empty problem (m = " + std::to_string(m) + ", n = " + std::to_string(n) + ")");
  }
  if (A.size() != static_cast<size_t>(batch * m * n) || b.size() != static_cast<size_t>(batch * m) ||
      (!x_true.empty() && x_true.size() != static_cast<size_t>(batch * n))) {
    std::ostringstream os;
    os << "batched problem storage does not match batch*m*n = " << batch << "*" << m << "*" << n
       << " (A has " << A.size() << ", b has " << b.size() << " entries)";
    throw InvalidInput(os.str());
  }
  for (index_t p = 0; p < batch; ++p) {
    for (index_t k = 0; k < m * n; ++k) {
      if (!std::isfinite(a_of(p)[k])) {
        std::ostringstream os;
        os << "problem " << p << ": A has a non-finite entry (" << a_of(p)[k] << ") at row " << k % m
           << ", column " << k / m;
        throw InvalidInput(os.str());
      }
    }
    for (index_t i = 0; i < m; ++i) {
      if (!std::isfinite(b_of(p)[i])) {
        std::ostringstream os;
        os << "problem " << p << ": b has a non-finite entry (" << b_of(p)[i] << ") at index " << i;
        throw InvalidInput(os.str());
      }
    }
  }
}

template <typename T>
template <typename U>
BatchedProblem<U> BatchedProblem<T>::cast() const {
  BatchedProblem<U> p;
  p.batch = batch;
  p.m = m;
  p.n = n;
  p.A.assign(A.begin(), A.end());
  p.b.assign(b.begin(), b.end());
  p.x_true.assign(x_true.begin(), x_true.end());
  return p;
}

template struct Problem<float>;
template struct Problem<double>;
template struct BatchedProblem<float>;
template struct BatchedProblem<double>;
template Problem<float> Problem<double>::cast<float>() const;
template Problem<double> Problem<double>::cast<double>() const;
template Problem<double> Problem<float>::cast<double>() const;
template Problem<float> Problem<float>::cast<float>() const;
template BatchedProblem<float> BatchedProblem<double>::cast<float>() const;
template BatchedProblem<double> BatchedProblem<double>::cast<double>() const;
template BatchedProblem<double> BatchedProblem<float>::cast<double>() const;
template BatchedProblem<float> BatchedProblem<float>::cast<float>() const;

}  // namespace lsgd
