/* The repetition rule of every lsgd benchmark, in one place: the C++ binaries (bench_config.hpp's
 * stop_reason, RepStats::rse) and the Python peers (bench/peers/common.py, through ctypes) call
 * these functions, built once into liblsgd_stop_rule.so. The case list names that file
 * ("stop_rule": {"library": ...}), so a peer uses the rule of the very build that listed its cases.
 *
 * The rule: at least min_reps timed solves, always (the time cap never undercuts it: a ratio needs
 * repetitions on both sides); then stop once min_time_s has passed and the relative standard error
 * of the mean is below rse ("rse"), or once max_time_s has passed ("time_cap"), or at max_reps
 * solves ("max_reps"). tests/data/bench/stop_rule.json pins it; test_bench_machine and
 * test_case_list check it from both languages. Plain C: no exception crosses this boundary. */
#ifndef LSGD_BENCH_STOP_RULE_H
#define LSGD_BENCH_STOP_RULE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lsgd_stop_rule {
  int min_reps;
  double min_time_s;
  double rse;
  double max_time_s;
  int max_reps;
} lsgd_stop_rule;

/* The answers; LSGD_STOP_BAD_RULE: min_reps < 1, max_reps < min_reps, or a NaN or negative
 * time or rse (the caller's error: nothing was decided). */
enum {
  LSGD_GO_ON = 0,
  LSGD_STOP_RSE = 1,
  LSGD_STOP_TIME_CAP = 2,
  LSGD_STOP_MAX_REPS = 3,
  LSGD_STOP_BAD_RULE = -1
};

/* After `reps` timed solves, `wall_s` seconds since the first, and relative standard error `rse`
 * (NaN when unknown: it never stops on "rse" then). */
int lsgd_stop_code(const lsgd_stop_rule* rule, int reps, double wall_s, double rse);

/* The same decision from the samples themselves (n of them): rse = lsgd_relative_stderr. */
int lsgd_stop_after(const lsgd_stop_rule* rule, const double* samples, size_t n, double wall_s);

/* stddev / sqrt(n) / mean, with the sample standard deviation (n - 1); NaN for n < 2 or a mean
 * that is not positive. */
double lsgd_relative_stderr(const double* samples, size_t n);

/* "" (go on), "rse", "time_cap", "max_reps", or "bad_rule". */
const char* lsgd_stop_name(int code);

#ifdef __cplusplus
}
#endif

#endif /* LSGD_BENCH_STOP_RULE_H */
