// `lsgd solve` on files written the way pandas and NumPy users write them (issue 25, items 1, 2 and
// 9): each test failed on the reader before issue 25 (a silent wrong answer, a refusal, or a
// message that did not help) and checks what the user sees now: the answer, the exit status and the
// notes.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/cli_fixture.hpp"

namespace lsgd {
namespace {


// The stack-loss data (Brownlee 1965; R's `stackloss`): Air.Flow, Water.Temp, Acid.Conc. and the
// target stack.loss.
const int kStackLoss[21][4] = {
    {80, 27, 89, 42}, {80, 27, 88, 37}, {75, 25, 90, 37}, {62, 24, 87, 28}, {62, 22, 87, 18},
    {62, 23, 87, 18}, {62, 24, 93, 19}, {62, 24, 93, 20}, {58, 23, 87, 15}, {58, 18, 80, 14},
    {58, 18, 89, 14}, {58, 17, 88, 13}, {58, 18, 82, 11}, {58, 19, 93, 12}, {50, 18, 89, 8},
    {50, 18, 86, 7},  {50, 19, 72, 8},  {50, 19, 79, 8},  {50, 20, 80, 9},  {56, 20, 82, 15},
    {70, 20, 91, 15}};

// The table as DataFrame.to_csv writes it: with its index (an unnamed first column 0..20) or not.
std::string stackloss_csv(bool index, bool header = true) {
  std::string s =
      header ? std::string(index ? "," : "") + "Air.Flow,Water.Temp,Acid.Conc.,stack.loss\n" : "";
  for (int i = 0; i < 21; ++i) {
    if (index) s += std::to_string(i) + ",";
    for (int j = 0; j < 4; ++j) s += std::to_string(kStackLoss[i][j]) + (j < 3 ? "," : "\n");
  }
  return s;
}

// Item 1: pandas' default index column was taken as a regressor (intercept -20.23 for -39.92).
TEST_F(CliTest, PandasIndexColumnIsLeftOutWithANote) {
  write("plain.csv", stackloss_csv(false));
  write("indexed.csv", stackloss_csv(true));
  write("indexed_noheader.csv", stackloss_csv(true, false));
  const CliResult ref = run("solve --input plain.csv --solver cpu.qr --intercept --json");
  ASSERT_EQ(ref.code, 0) << ref.err;
  const std::vector<double> x = json_array(ref.out, "x");
  ASSERT_EQ(x.size(), 4u);
  // The published OLS fit: -39.9197 + 0.7156 Air.Flow + 1.2953 Water.Temp - 0.1521 Acid.Conc.
  EXPECT_NEAR(x[0], -39.9197, 5e-4);
  EXPECT_NEAR(x[1], 0.7156, 5e-5);
  for (const char* f : {"indexed.csv", "indexed_noheader.csv"}) {
    const CliResult r =
        run(std::string("solve --input ") + f + " --solver cpu.qr --intercept --json");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(json_array(r.out, "x"), x)
        << f;  // the same numbers read: the same answer, bit for bit
    EXPECT_CONTAINS(r.err, "lsgd: note: ");
    EXPECT_CONTAINS(r.err, "row index");
    EXPECT_CONTAINS(r.out, "\"m\":21,\"n\":4");
  }
  // --index-column none keeps it (and names it), as before.
  const CliResult keep =
      run("solve --input indexed.csv --solver cpu.qr --intercept --index-column none --json");
  ASSERT_EQ(keep.code, 0) << keep.err;
  EXPECT_CONTAINS(keep.out, "\"columns\":[\"(intercept)\",\"column1\",\"Air.Flow\"");
}

// Item 1: a string or date index failed with "non-numeric field"; there was no way to drop a
// column.
TEST_F(CliTest, StringIndexIsLeftOutAndColumnsCanBeChosen) {
  write(
      "dated.csv",
      "date,a,city,b,y\n2020-01-01,1,Paris,2,3.5\n2020-01-02,2,Rome,1,4\n2020-01-03,3,Oslo,5,8.5\n"
      "2020-01-04,5,Rome,3,9\n");
  const CliResult text = run("solve --input dated.csv --solver cpu.qr");
  EXPECT_EQ(text.code, 1);
  EXPECT_CONTAINS(
      text.err,
      "column 3 ('city'): non-numeric field 'Paris' (to leave the column out: --drop 'city')");
  const CliResult r = run("solve --input dated.csv --solver cpu.qr --drop city --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "\"columns\":[\"a\",\"b\"]");
  EXPECT_CONTAINS(r.err, "column 1 ('date') holds text such as '2020-01-01'");
  // By position, and --columns in the order given.
  const CliResult pos = run("solve --input dated.csv --solver cpu.qr --drop 2 --json");
  ASSERT_EQ(pos.code, 0) << pos.err;
  EXPECT_EQ(json_array(pos.out, "x"), json_array(r.out, "x"));
  const CliResult cols = run("solve --input dated.csv --solver cpu.qr --columns b,a --json");
  ASSERT_EQ(cols.code, 0) << cols.err;
  EXPECT_CONTAINS(cols.out, "\"columns\":[\"b\",\"a\"]");
  const std::vector<double> xr = json_array(r.out, "x"), xc = json_array(cols.out, "x");
  ASSERT_EQ(xc.size(), 2u);
  EXPECT_NEAR(xc[0], xr[1], 1e-12 * std::abs(xr[1]));
  // Misuse: a usage error before reading, or a data error naming the column.
  EXPECT_USAGE_ERROR(run("solve --input dated.csv --solver cpu.qr --drop a --columns b"));
  EXPECT_USAGE_ERROR(run("solve --input dated.csv --solver cpu.qr --drop a,,b"));
  EXPECT_USAGE_ERROR(run("solve --input dated.csv --solver cpu.qr --drop a --drop b"));
  const CliResult t = run("solve --input dated.csv --solver cpu.qr --drop y");
  EXPECT_EQ(t.code, 1);
  EXPECT_CONTAINS(t.err, "--drop: 'y' is the target column");
}

// Item 2: numeric column names made the header a data row, silently (m one too many), and
// --target 2010 read as an index (out of range).
TEST_F(CliTest, NumericHeaderNamesAreAHeaderAndTargetResolvesByName) {
  write("years.csv",
        "2000,2001,2002,2010\n1.5,2.25,-0.5,3.75\n0.25,1.5,2.5,-1.25\n3.5,0.75,1.25,2.5\n"
        "-1.75,2.5,0.5,1.5\n2.25,-0.5,3.5,0.25\n");
  const CliResult r = run("solve --input years.csv --solver cpu.qr --target 2010 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "\"m\":5,\"n\":3");
  EXPECT_CONTAINS(r.out, "\"columns\":[\"2000\",\"2001\",\"2002\"]");
  EXPECT_CONTAINS(r.err, "lsgd: note: years.csv: line 1 is taken as the header");
  // Counts below integer years: data by the kinds, said in a note; --header decides.
  write("counts.csv", "2000,2001,2010\n3,4,5\n6,7,9\n1,8,2\n5,5,5\n");
  const CliResult c = run("solve --input counts.csv --solver cpu.qr --json");
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_CONTAINS(c.out, "\"m\":5");
  EXPECT_CONTAINS(c.err, "line 1 is taken as data, not a header");
  EXPECT_CONTAINS(c.err, "--header if it names the columns");
  const CliResult h = run("solve --input counts.csv --solver cpu.qr --header --target 2010 --json");
  ASSERT_EQ(h.code, 0) << h.err;
  EXPECT_CONTAINS(h.out, "\"m\":4");
  EXPECT_TRUE(h.err.empty()) << h.err;
  // A name that is also a position: the name wins, and a note says so.
  write("names.csv",
        "3,2,1,0\n1.5,2.5,3.5,4.5\n5.5,6.5,7.25,8.5\n2.5,1.5,0.5,3.5\n4.5,2.5,1.5,0.5\n");
  const CliResult a = run("solve --input names.csv --solver cpu.qr --target 1 --json");
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_CONTAINS(a.out, "\"columns\":[\"3\",\"2\",\"0\"]");
  EXPECT_CONTAINS(a.err, "is the column named '1' (column 3), not the one at 0-based position 1");
}

// Item 9: pandas booleans (get_dummies' default since pandas 2.0) were rejected.
TEST_F(CliTest, PandasBooleansReadAsOneAndZero) {
  write("dummies.csv",
        "x,color_g,color_r,y\n0.5,False,False,1.0\n1.5,True,False,5.0\n2.5,False,True,2.0\n"
        "3.5,True,False,8.0\n0.25,False,True,0.5\n");
  const CliResult r = run("solve --input dummies.csv --solver cpu.qr --intercept --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_CONTAINS(r.out, "\"m\":5,\"n\":4");
}

// Item 9: numpy.savetxt's default output (blank-separated, %.18e, no header) was misread: its first
// row taken as a header, then "non-numeric field".
TEST_F(CliTest, NumpySavetxtDefaultOutputIsRead) {
  write("sav.txt",
        "1.000000000000000000e+00 2.000000000000000000e+00 5.000000000000000000e+00\n"
        "2.000000000000000000e+00 1.000000000000000000e+00 4.000000000000000000e+00\n"
        "3.000000000000000000e+00 3.000000000000000000e+00 9.000000000000000000e+00\n");
  const CliResult r = run("solve --input sav.txt --solver cpu.qr --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "\"m\":3,\"n\":2");
  const std::vector<double> x = json_array(r.out, "x");
  ASSERT_EQ(x.size(), 2u);
  EXPECT_NEAR(x[0], 1.0, 1e-14);  // y = x1 + 2 x2 exactly
  EXPECT_NEAR(x[1], 2.0, 1e-14);
  EXPECT_CONTAINS(r.err, "separated by blanks");
}

// Item 9: a decimal comma (pandas' sep=';', decimal=',') was not read.
TEST_F(CliTest, DecimalCommaWithSemicolons) {
  write("dec.csv", "a;b;y\n1,5;2;5,5\n2;0,5;3\n3,25;1;5,25\n0,5;4;8,5\n");
  const CliResult r = run("solve --input dec.csv --solver cpu.qr --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::vector<double> x = json_array(r.out, "x");
  ASSERT_EQ(x.size(), 2u);
  EXPECT_NEAR(x[0], 1.0, 1e-14);  // y = a + 2 b exactly
  EXPECT_NEAR(x[1], 2.0, 1e-14);
  EXPECT_CONTAINS(r.err, "decimal comma");
  const CliResult told =
      run("solve --input dec.csv --solver cpu.qr --delimiter ';' --decimal , --json");
  ASSERT_EQ(told.code, 0) << told.err;
  EXPECT_TRUE(told.err.empty()) << told.err;
  EXPECT_USAGE_ERROR(run("solve --input dec.csv --solver cpu.qr --delimiter , --decimal ,"));
}

// Item 9: .csv.gz was refused ("unknown file type").
TEST_F(CliTest, GzipCompressedCsvIsRead) {
  write("p.csv", stackloss_csv(false));
  ASSERT_EQ(shell("gzip -k p.csv"), 0);
  const CliResult plain = run("solve --input p.csv --solver cpu.qr --json");
  const CliResult gz = run("solve --input p.csv.gz --solver cpu.qr --json");
#ifdef LSGD_WITH_ZLIB
  ASSERT_EQ(gz.code, 0) << gz.err;
  EXPECT_EQ(json_array(gz.out, "x"), json_array(plain.out, "x"));
#else
  EXPECT_EQ(gz.code, 1);
  EXPECT_CONTAINS(gz.err, "built without zlib");
#endif
}

// Item 9: rank-deficiency errors named column numbers where header names are known.
TEST_F(CliTest, RankDeficiencyNamesColumnsByHeader) {
  write("r.csv", "price,size,size_twice,y\n1,2,4,3\n2,1,2,5\n3,7,14,7.5\n4,8,16,9\n5,1,2,2\n");
  const CliResult r = run("solve --input r.csv --solver cpu.qr");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_CONTAINS(r.err, "column 3 ('size_twice') lies in the span of the columns before it");
  const CliResult c = run("solve --input r.csv --solver cpu.cholesky --intercept");
  EXPECT_EQ(c.code, 1);
  EXPECT_CONTAINS(c.err, "at column 4 ('size_twice')");
  const CliResult all = run("solve --input r.csv --solver all");
  EXPECT_CONTAINS(all.out, "column 3 ('size_twice')");
}

// Item 9: a repeated --solver silently took the last one.
TEST_F(CliTest, RepeatedOptionIsAUsageError) {
  write("p.csv", stackloss_csv(false));
  const CliResult r = run("solve --input p.csv --solver cpu.qr --solver cpu.svd");
  EXPECT_USAGE_ERROR(r);
  EXPECT_CONTAINS(r.err, "option --solver given twice ('cpu.qr', then 'cpu.svd')");
  EXPECT_TRUE(r.out.empty()) << r.out;
}

// Item 9: the non-convergence message said "not converged within ..." twice.
TEST_F(CliTest, NonConvergenceIsSaidOnce) {
  write("p.csv", stackloss_csv(false));
  for (const char* solver : {"cpu.gd", "cpu.gd.nesterov"}) {
    const CliResult r =
        run(std::string("solve --input p.csv --solver ") + solver + " --max-iters 3");
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    const size_t first = r.err.find("not converged");
    ASSERT_NE(first, std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("not converged", first + 1), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find(std::string(solver) + ":", r.err.find(solver) + 1), std::string::npos)
        << r.err;
  }
  const CliResult all = run("solve --input p.csv --solver all --max-iters 3");
  for (size_t at = all.out.find("cpu.gd "); at != std::string::npos; at = std::string::npos) {
    const std::string row = all.out.substr(at, all.out.find('\n', at) - at);
    const size_t first = row.find("not converged");
    ASSERT_NE(first, std::string::npos) << row;
    EXPECT_EQ(row.find("not converged", first + 1), std::string::npos) << row;
  }
}

// Item 9: `solve --help` said neither that no intercept is added without --intercept nor the header
// rule.
TEST_F(CliTest, SolveHelpStatesInterceptAndHeaderRule) {
  const CliResult r = run("solve --help");
  ASSERT_EQ(r.code, 0);
  EXPECT_CONTAINS(r.out, "No intercept is fitted unless --intercept is given");
  EXPECT_CONTAINS(r.out, "line 1 is the header when its fields differ in kind from the rows below");
  EXPECT_CONTAINS(r.out, "--drop COLS");
  EXPECT_CONTAINS(r.out, "--index-column M");
}

}  // namespace
}  // namespace lsgd
