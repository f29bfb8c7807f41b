// `lsgd gen`: write a seeded synthetic problem (prescribed condition number, noise, rank) to a file.
#include <algorithm>
#include <cstdio>
#include <cmath>
#include <filesystem>
#include <limits>

#include <unistd.h>

#include "lsgd/error.hpp"
#include "lsgd/io.hpp"
#include "lsgd/problem.hpp"
#include "tools/cli_args.hpp"
#include "tools/cli_commands.hpp"
#include "common/text_format.hpp"
#include "tools/cli_paths.hpp"

namespace lsgd::cli {
namespace {

const char* kSummary =
    "usage: lsgd gen --m M --n N --output FILE [options]\n\n"
    "Writes a reproducible synthetic problem A = U diag(sigma) V^T (sigma geometric from 1 to\n"
    "1/kappa), b = A x_true (+ noise), x_true of unit norm. FILE is .csv/.txt (header x1..xn,y) or\n"
    ".mtx (A with b as its last column, or A alone with --b-output).";

// Physical memory in bytes (0 if unknown).
double physical_memory() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0.0;
}

std::string ext_of(const std::string& path) {
  std::string e = std::filesystem::path(path).extension().string();
  for (char& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e;
}

}  // namespace

int run_gen(const std::vector<std::string>& argv) {
  Args args("gen", kSummary,
            {{"m", "M", "rows (required)"},
             {"n", "N", "columns (required)"},
             {"kappa", "K", "condition number of A, >= 1 (default 1)"},
             {"gaussian", "", "plain i.i.d. N(0,1) entries instead (kappa ignored)"},
             {"noise", "X", "b = A x_true + X ||A x_true||/sqrt(m) N(0,1) (default 0: consistent)"},
             {"rank", "R", "exact rank R < min(m,n) (default 0: full rank)"},
             {"seed", "S", "random seed (default 42)"},
             {"precision", "P", "f64 (default) or f32: round the data to float before writing"},
             {"output", "FILE", "problem file: .csv, .txt or .mtx (required)"},
             {"b-output", "FILE", "with an .mtx output: write b here (m x 1) instead of as a column"},
             {"x-output", "FILE", "write x_true here (.csv or .mtx)"}});
  if (!args.parse(argv)) {
    std::fputs(args.usage().c_str(), stdout);
    return 0;
  }
  GenOptions g;
  constexpr long long kMaxDim = 1LL << 40;
  g.m = args.integer("m", 0, 1, kMaxDim);
  g.n = args.integer("n", 0, 1, kMaxDim);
  if (!args.has("m") || !args.has("n")) throw UsageError("gen: --m and --n are required");
  g.kappa = args.number("kappa", 1.0, 1.0);
  g.gaussian = args.flag("gaussian");
  g.noise = args.number("noise", 0.0, 0.0);
  g.rank = args.integer("rank", 0, 0, kMaxDim);
  if (g.rank > std::min(g.m, g.n)) {
    throw UsageError("gen: --rank " + std::to_string(g.rank) + " exceeds min(m, n) = " +
                     std::to_string(std::min(g.m, g.n)));
  }
  g.seed = static_cast<std::uint64_t>(args.integer("seed", 42, 0));
  const bool f32 = args.choice("precision", "f64", {"f32", "f64"}) == "f32";
  const std::string output = args.required("output");
  const std::string ext = ext_of(output);
  if (ext != ".csv" && ext != ".txt" && ext != ".mtx") {
    throw UsageError("gen: --output must end in .csv, .txt or .mtx, got '" + output + "'");
  }
  const std::string b_output = args.str("b-output");
  if (!b_output.empty() && (ext != ".mtx" || ext_of(b_output) != ".mtx")) {
    throw UsageError("gen: --b-output goes with an .mtx --output and must itself end in .mtx");
  }
  // Rounding A to the working precision caps its condition number near 1/eps: a larger kappa would
  // be reported but not produced.
  const double eps = f32 ? std::numeric_limits<float>::epsilon() : std::numeric_limits<double>::epsilon();
  if (!g.gaussian && g.kappa * eps > 0.5) {
    throw UsageError("gen: --kappa " + args.str("kappa") + " cannot be produced in " +
                     (f32 ? "f32" : "f64") + ": rounding the data to it caps kappa near 1/eps = " +
                     fmt("%.3g", 1.0 / eps) + "; use --kappa " + fmt("%.3g", 0.5 / eps) +
                     " or less");
  }
  const double cells = static_cast<double>(g.m) * static_cast<double>(g.n);
  if (cells > 2e9) {
    throw UsageError("gen: m*n = " + std::to_string(g.m) + "*" + std::to_string(g.n) +
                     " is too large for a text file (limit 2e9 values)");
  }
  // The generator holds U, V^T, A and a copy at once: about 5 doubles per entry of A.
  const double need = 5.0 * 8.0 * cells, have = physical_memory();
  if (have > 0.0 && need > have) {
    throw UsageError("gen: m*n = " + std::to_string(g.m) + "*" + std::to_string(g.n) + " needs about " +
                     fmt("%.1f", need / 1e9) + " GB of memory, more than this machine's " +
                     fmt("%.1f", have / 1e9) + " GB");
  }
  check_distinct_files("gen", {}, {{"output", output}, {"b-output", b_output},
                                   {"x-output", args.str("x-output")}});

  Problem<double> p = f32 ? generate<float>(g).cast<double>() : generate<double>(g);
  // Every output is written in full before any is renamed into place: a failed --x-output does not
  // leave a problem file without its solution.
  OutputSet outputs;
  const std::string x_output = args.str("x-output");
  if (!x_output.empty()) {
    std::vector<std::string> names;
    for (index_t j = 0; j < p.n; ++j) names.push_back("x" + std::to_string(j + 1));
    write_vector(x_output, p.x_true, ext_of(x_output) == ".mtx" ? std::vector<std::string>{} : names,
                 &outputs);
  }
  if (ext == ".mtx") {
    if (!b_output.empty()) {
      MatrixMarket mb;
      mb.rows = p.m;
      mb.cols = 1;
      mb.values = p.b;
      write_matrix_market(b_output, mb, &outputs);
    }
    MatrixMarket mm;
    mm.rows = p.m;
    mm.cols = p.n + (b_output.empty() ? 1 : 0);
    mm.values = std::move(p.A);
    if (b_output.empty()) mm.values.insert(mm.values.end(), p.b.begin(), p.b.end());
    write_matrix_market(output, mm, &outputs);
  } else {
    write_csv(output, p, &outputs);
  }
  outputs.commit();
  std::printf("wrote %s: m = %lld, n = %lld, %s, noise %g, rank %s, seed %llu, %s\n", output.c_str(),
              static_cast<long long>(p.m), static_cast<long long>(p.n),
              g.gaussian ? "Gaussian A" : ("kappa " + fmt("%g", g.kappa)).c_str(), g.noise,
              g.rank > 0 ? std::to_string(g.rank).c_str() : "full", static_cast<unsigned long long>(g.seed),
              f32 ? "f32 values" : "f64 values");
  if (!b_output.empty()) std::printf("wrote %s: b (%lld x 1)\n", b_output.c_str(), static_cast<long long>(p.m));
  if (!x_output.empty()) std::printf("wrote %s: x_true (%lld values)\n", x_output.c_str(), static_cast<long long>(p.n));
  return 0;
}

}  // namespace lsgd::cli
