// The repetition rule (bench/stop_rule.h): the one implementation the binaries and the peers call.
#include "bench/stop_rule.h"

#include <climits>
#include <cmath>

namespace {

bool valid(const lsgd_stop_rule* r) {
  // Written so that NaN fails every comparison and so fails the check.
  return r != nullptr && r->min_reps >= 1 && r->max_reps >= r->min_reps && r->min_time_s >= 0.0 &&
         r->max_time_s >= 0.0 && r->rse >= 0.0;
}

}  // namespace

extern "C" {

int lsgd_stop_code(const lsgd_stop_rule* rule, int reps, double wall_s, double rse) {
  if (!valid(rule)) return LSGD_STOP_BAD_RULE;
  if (reps < rule->min_reps) return LSGD_GO_ON;
  if (wall_s >= rule->min_time_s && rse < rule->rse) return LSGD_STOP_RSE;  // NaN rse: never
  if (wall_s >= rule->max_time_s) return LSGD_STOP_TIME_CAP;
  if (reps >= rule->max_reps) return LSGD_STOP_MAX_REPS;
  return LSGD_GO_ON;
}

double lsgd_relative_stderr(const double* samples, size_t n) {
  if (samples == nullptr || n < 2) return NAN;
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += samples[i];
  const double mean = sum / static_cast<double>(n);
  if (!(mean > 0.0)) return NAN;
  double ss = 0.0;
  for (size_t i = 0; i < n; ++i) ss += (samples[i] - mean) * (samples[i] - mean);
  const double sd = std::sqrt(ss / static_cast<double>(n - 1));
  return sd / std::sqrt(static_cast<double>(n)) / mean;
}

int lsgd_stop_after(const lsgd_stop_rule* rule, const double* samples, size_t n, double wall_s) {
  const int reps = n > static_cast<size_t>(INT_MAX) ? INT_MAX : static_cast<int>(n);
  return lsgd_stop_code(rule, reps, wall_s, lsgd_relative_stderr(samples, n));
}

const char* lsgd_stop_name(int code) {
  switch (code) {
    case LSGD_GO_ON: return "";
    case LSGD_STOP_RSE: return "rse";
    case LSGD_STOP_TIME_CAP: return "time_cap";
    case LSGD_STOP_MAX_REPS: return "max_reps";
    default: return "bad_rule";
  }
}

}  // extern "C"
