#pragma once
// `lsgd advise`: which solver, on which device, for this problem, and how long, to how many digits;
// from the measurements of results directories (docs/advise.md). The models are fitted when first
// asked (tools/advise_time.hpp, tools/advise_accuracy.hpp); nothing is predicted for a device
// without measurements.
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "tools/advise_accuracy.hpp"
#include "tools/advise_format.hpp"
#include "tools/advise_table.hpp"
#include "tools/advise_time.hpp"

namespace lsgd::advise {

struct Query {
  double m = 0, n = 0;
  double batch = 0;  // > 0: that many problems of m x n (batched solvers)
  std::string precision = "f64";
  double kappa = 100;        // kappa(A)
  std::string kappa_source;  // "assumed", "--kappa", "estimated from FILE"
  double digits = 6;         // goal: digits correct
  double iterations = 0;     // > 0: iterative solvers at exactly this many iterations
  std::string mode = "e2e";  // GPU solvers: e2e (host in, host out) or resident
  double max_beyond = 4;     // predictions at most this factor outside the measured range
};

struct Candidate {
  std::string solver, device, source, device_label;
  bool iterative = false;
  TimePrediction time;
  DigitsEstimate digits;
  double iterations = 0;  // iterative solvers: the iterations timed
  IterationEstimate iteration_basis;
  // Why it is not advised (empty when it is): the shape is one it does not solve or was never
  // measured on, the digits goal is out of its reach, or the sizes are too far out of range.
  enum class Reject { none, unsupported, accuracy, range } reject = Reject::none;
  std::string why_not;
};

struct Advice {
  Query query;
  std::vector<Candidate> ranked;     // meet the goal; fastest first
  std::vector<Candidate> rejected;   // with why_not
  std::vector<std::string> no_data;  // devices without measurements for this kind of problem
};

// Errors of the model on measurements it was not fitted on.
struct CheckRow {
  Measurement measured;
  TimePrediction predicted;  // without its basis (the report outlives the advisor)
  double rel_err = 0;        // |predicted - measured| / measured
};
struct CheckReport {
  std::vector<CheckRow> rows;
  int unmatched = 0;            // measurements with no model (solver or device not in the fit)
  int workloads = 0;            // workloads with at least two solvers meeting the goal (measured)
  int advised_fastest = 0;      // of them: the predicted fastest is the measured fastest
  int advised_within_5pct = 0;  // ... or measured within 5% of the fastest (a tie in practice)
  int workloads_in_range = 0;   // workloads no prediction of which is extrapolated
  int advised_fastest_in_range = 0;
  std::vector<std::string> misses;  // one line per workload where it is not
};

class Advisor {
 public:
  explicit Advisor(std::vector<Table> tables);
  // Ranks the solvers of every measured device for the query. Throws InvalidInput when nothing can
  // be advised: no measurements of this kind of problem, outside every measured range, or no solver
  // reaching the goal (the message says which and why).
  Advice advise(const Query& q) const;
  // Predicts every time measurement of `other` (families ls, bls, gd, bgd) with the models fitted
  // here; the ranking counts workloads where the measured rel_err of >= 2 solvers meets
  // 10^-digits_goal (f64: digits_f64, f32: digits_f32).
  CheckReport check(const Table& other, double digits_f64, double digits_f32) const;

  const std::vector<Table>& tables() const { return tables_; }

 private:
  using GroupKey = std::tuple<size_t, std::string, std::string, std::string, std::string,
                              std::string>;  // table, device, solver, precision, family, mode
  struct Group {
    std::vector<const Measurement*> points;
    mutable std::unique_ptr<TimeModel> model;
  };
  const TimeModel& model_of(const Group& g, size_t table, const std::string& device) const;
  DigitsEstimate direct_digits(size_t table, const std::string& device, const std::string& solver,
                               const std::string& precision, double kappa_a) const;
  const IterationModel& iteration_model(size_t table, const std::string& device,
                                        const std::string& solver,
                                        const std::string& precision) const;
  Candidate evaluate(const GroupKey& key, const Group& g, const Query& q) const;

  std::vector<Table> tables_;
  std::map<GroupKey, Group> groups_;
  mutable std::map<std::tuple<size_t, std::string, std::string, std::string>,
                   std::unique_ptr<IterationModel>>
      iteration_models_;
};

// Every other size of each solver's time measurements: its sizes (n, m, batch) in order, `keep` = 0
// keeps the 1st, 3rd, ... and 1 the 2nd, 4th, ..., each with all its iteration counts; acc and tta
// rows (and failed ones) stay in both. For validation on entries held out of the fit.
Table every_other_size(const Table& t, int keep);

}  // namespace lsgd::advise
