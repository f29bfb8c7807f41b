// The benchmark problems as files the peers read (bench/peers/common.py): NumPy's .npy format,
// version 1.0, little-endian, Fortran order, so that A's bytes are lsgd's own layout.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bench/entry_fields.hpp"
#include "bench/problems.hpp"
#include "lsgd/error.hpp"

namespace lsgd::bench {
namespace {

std::string shape_text(const std::vector<long long>& shape) {
  std::ostringstream os;
  os << '(';
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  if (shape.size() == 1) os << ',';
  os << ')';
  return os.str();
}

template <typename T>
void write_npy(const std::string& path, const T* data, const std::vector<long long>& shape) {
  static_assert(sizeof(T) == 4 || sizeof(T) == 8, "f32 or f64");
  std::string header = std::string("{'descr': '<f") + (sizeof(T) == 4 ? "4" : "8") +
                       "', 'fortran_order': True, 'shape': " + shape_text(shape) + ", }";
  // Magic (6) + version (2) + header length (2) + header + '\n', padded to a multiple of 64.
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::ofstream f(path, std::ios::binary);
  const unsigned short len = static_cast<unsigned short>(header.size());
  const char prefix[8] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0};
  f.write(prefix, 8);
  const char len_le[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  f.write(len_le, 2);
  f.write(header.data(), static_cast<std::streamsize>(header.size()));
  long long count = 1;
  for (long long d : shape) count *= d;
  f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(count * sizeof(T)));
  f.close();
  if (!f) throw Error("cannot write " + path);
}

void make_dir(const std::string& dir) {
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    throw Error("cannot create directory " + dir + ": " + std::strerror(errno));
  }
}

}  // namespace

std::string problem_id(const ProblemSpec& s, Precision p) {
  std::ostringstream os;
  os << to_string(s.gen) << '/' << to_string(p) << '/';
  if (s.batch > 0) os << "batch:" << s.batch << '/';
  os << "m:" << s.m << "/n:" << s.n;
  if (s.gen == Gen::conditioned) os << "/kappa_A:" << json_number(s.kappa_A);
  if (s.noise > 0.0) os << "/noise:" << json_number(s.noise);
  os << "/seed:" << kProblemSeed;
  return os.str();
}

template <typename T>
void write_problem(const ProblemSpec& spec, const std::string& dir) {
  make_dir(dir);
  const long long m = spec.m, n = spec.n;
  if (spec.batch > 0) {
    const auto p = get_batch<T>(spec);
    const long long b = p->batch;
    write_npy(dir + "/A.npy", p->A.data(), {m, n, b});
    write_npy(dir + "/b.npy", p->b.data(), {m, b});
    write_npy(dir + "/x_true.npy", p->x_true.data(), {n, b});
  } else {
    const auto p = get_problem<T>(spec);
    write_npy(dir + "/A.npy", p->A.data(), {m, n});
    write_npy(dir + "/b.npy", p->b.data(), {m});
    write_npy(dir + "/x_true.npy", p->x_true.data(), {n});
  }
  std::ofstream meta(dir + "/problem.json");
  meta << "{\"problem\": " << json_string(problem_id(spec, precision_of<T>()))
       << ", \"precision\": " << json_string(to_string(precision_of<T>()))
       << ", \"batch\": " << spec.batch << ", \"m\": " << m << ", \"n\": " << n
       << ", \"gen\": " << json_string(to_string(spec.gen)) << ", \"seed\": " << kProblemSeed
       << ", \"layout\": \"Fortran order: A[i, j] or A[i, j, q] for problem q\"}\n";
  meta.close();
  if (!meta) throw Error("cannot write " + dir + "/problem.json");
}

template void write_problem<float>(const ProblemSpec&, const std::string&);
template void write_problem<double>(const ProblemSpec&, const std::string&);

}  // namespace lsgd::bench
