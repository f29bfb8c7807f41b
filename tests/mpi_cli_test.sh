#!/usr/bin/env bash
# lsgd solve with mpi.* solvers under mpirun (ctest mpi_cli): distributed CSV input agrees with the
# single-process solve; a NaN in the last rank's rows, too few rows over all ranks and a missing
# file end every rank with exit status 1 and exactly one line on stderr (rank 0's).
# usage: mpi_cli_test.sh LSGD MPIEXEC NPFLAG [MPIEXEC FLAGS...]
set -u
lsgd=$1 mpiexec=$2 npflag=$3
shift 3
flags=("$@")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
run() { local np=$1; shift; "$mpiexec" "$npflag" "$np" "${flags[@]}" "$lsgd" "$@"; }

"$lsgd" gen --m 1003 --n 7 --kappa 100 --noise 0.01 --output "$dir/p.csv" >/dev/null || fail gen
"$lsgd" solve --input "$dir/p.csv" --solver cpu.tsqr --output "$dir/ref.csv" >/dev/null || fail ref
for np in 1 3 4; do
  for solver in mpi.tsqr mpi.cholesky; do
    out=$(run "$np" solve --input "$dir/p.csv" --solver "$solver" --reference "$dir/ref.csv" --json) ||
      fail "$solver np=$np exit $?"
    [ "$(grep -c '"solver"' <<<"$out")" = 1 ] || fail "$solver np=$np: not one report: $out"
    fe=$(sed -n 's/.*"forward_error":\([^,}]*\).*/\1/p' <<<"$out")
    grep -q '"m":1003' <<<"$out" || fail "$solver np=$np: global m missing: $out"
    awk -v e="$fe" 'BEGIN { exit !(e != "" && e + 0 < 1e-10) }' ||
      fail "$solver np=$np: forward error vs cpu.tsqr $fe"
  done
done
# Matrix Market: A with b as its last column, and A with b in its own file.
"$lsgd" gen --m 1003 --n 7 --kappa 100 --noise 0.01 --output "$dir/p.mtx" >/dev/null || fail gen mtx
"$lsgd" gen --m 1003 --n 7 --kappa 100 --noise 0.01 --output "$dir/a.mtx" --b-output "$dir/b.mtx" >/dev/null ||
  fail gen mtx b
for args in "--input $dir/p.mtx" "--input $dir/a.mtx --b $dir/b.mtx"; do
  # shellcheck disable=SC2086
  out=$(run 3 solve $args --solver mpi.tsqr --reference "$dir/ref.csv" --json) || fail "mtx $args exit $?"
  fe=$(sed -n 's/.*"forward_error":\([^,}]*\).*/\1/p' <<<"$out")
  awk -v e="$fe" 'BEGIN { exit !(e != "" && e + 0 < 1e-10) }' || fail "mtx $args: forward error $fe"
done

"$lsgd" gen --m 301 --n 5 --kappa 3 --noise 0.01 --output "$dir/g.csv" >/dev/null || fail gen
"$lsgd" solve --input "$dir/g.csv" --solver cpu.tsqr --output "$dir/gref.csv" >/dev/null || fail ref
out=$(run 2 solve --input "$dir/g.csv" --solver mpi.gd --max-iters 10000 --tol 1e-12 \
      --reference "$dir/gref.csv" --json) || fail "mpi.gd exit $?"
fe=$(sed -n 's/.*"forward_error":\([^,}]*\).*/\1/p' <<<"$out")
awk -v e="$fe" 'BEGIN { exit !(e != "" && e + 0 < 1e-6) }' || fail "mpi.gd forward error $fe"

# Failures: exit 1, one line on stderr.
expect_error() {  # np pattern args...
  local np=$1 pattern=$2; shift 2
  run "$np" "$@" >"$dir/out" 2>"$dir/err"
  local rc=$?
  [ "$rc" = 1 ] || fail "$* np=$np: exit $rc, expected 1: $(cat "$dir/err")"
  local lines
  lines=$(grep -vc '^$' "$dir/err")
  [ "$lines" = 1 ] || fail "$* np=$np: $lines lines on stderr: $(cat "$dir/err")"
  grep -q -- "$pattern" "$dir/err" || fail "$* np=$np: stderr lacks '$pattern': $(cat "$dir/err")"
}
awk -F, 'NR == 1000 { $3 = "nan" } { print }' OFS=, "$dir/p.csv" >"$dir/nan.csv"
expect_error 4 "failed on rank 3 of 4: .*nan.csv:1000: column 3" solve --input "$dir/nan.csv" --solver mpi.tsqr
head -6 "$dir/p.csv" >"$dir/few.csv"  # 5 data rows, 7 columns: 1 or 2 rows per rank
expect_error 4 "m = 5 < n = 7" solve --input "$dir/few.csv" --solver mpi.cholesky
expect_error 3 "cannot open" solve --input "$dir/missing.csv" --solver mpi.gd
echo "mpi_cli: ok"
