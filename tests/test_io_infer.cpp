// What the CSV reader infers from a file (issue 25): the header by the kinds of its fields, the
// delimiter, a decimal comma, pandas' leading index column, booleans, gzip data; the columns the
// user chooses by name or position; and the parallel read by ranges of lines, which must give
// exactly what one thread gives, errors included.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/io_detail.hpp"
#include "lsgd/error.hpp"
#include "lsgd/io.hpp"
#include "tests/io_fixture.hpp"

namespace lsgd {
namespace {

namespace fs = std::filesystem;
using io_test::error_of;

class IoInferTest : public io_test::IoTest {
 protected:
  void TearDown() override {
    detail::csv_min_bytes_per_thread = std::uint64_t{8} << 20;
    io_test::IoTest::TearDown();
  }
};

std::string joined(const std::vector<std::string>& notes) {
  std::string s;
  for (const auto& n : notes) s += n + "\n";
  return s;
}

using Names = std::vector<std::string>;
using Values = std::vector<double>;

// ---- header ----------------------------------------------------------------------------------

TEST_F(IoInferTest, NumericHeaderOverDecimalsIsAHeader) {
  const auto f = write("years.csv", "2000,2001,2010\n1.5,2.25,3.5\n0.5,1.75,-2.5\n4.0,1.0,2.0\n");
  std::vector<std::string> notes;
  CsvOptions o;
  o.target = "2010";
  const Problem<double> p = read_csv(f, o, &notes);
  EXPECT_EQ(p.m, 3);
  EXPECT_EQ(p.column_names, (Names{"2000", "2001"}));
  EXPECT_EQ(p.b, (Values{3.5, -2.5, 2.0}));
  EXPECT_CONTAINS(joined(notes), "line 1 is taken as the header");
  EXPECT_CONTAINS(joined(notes), "'2000' over '1.5'");
}

TEST_F(IoInferTest, NumericFirstRowOverTheSameKindsIsDataWithANote) {
  const auto f = write("counts.csv", "2000,2001,2010\n3,4,5\n6,7,8\n");
  std::vector<std::string> notes;
  const Problem<double> p = read_csv(f, {}, &notes);
  EXPECT_EQ(p.m, 3);
  EXPECT_EQ(p.b, (Values{2010, 5, 8}));
  EXPECT_CONTAINS(joined(notes), "line 1 is taken as data, not a header");
  EXPECT_CONTAINS(joined(notes), "--header");
  CsvOptions o;
  o.header = CsvOptions::Header::present;
  notes.clear();
  const Problem<double> h = read_csv(f, o, &notes);
  EXPECT_EQ(h.m, 2);
  EXPECT_EQ(h.column_names, (Names{"2000", "2001"}));
  EXPECT_TRUE(notes.empty()) << joined(notes);  // forced: nothing inferred
}

TEST_F(IoInferTest, PlainHeaderHasNoNoteAndATypoInRowOneIsNoHeader) {
  std::vector<std::string> notes;
  const Problem<double> p = read_csv(write("h.csv", "a,b,y\n1,2,3\n4,5,6\n"), {}, &notes);
  EXPECT_EQ(p.m, 2);
  EXPECT_TRUE(notes.empty()) << joined(notes);
  // One stray text field among numbers that match the rows below: data, and the error names it
  // (an old reader took any text in line 1 for a header and dropped the row silently).
  const std::string msg =
      error_of([&] { read_csv(write("t.csv", "1.5x,2.5,3.5\n1.5,2.5,3.5\n2.5,3.5,4.5\n")); });
  EXPECT_CONTAINS(msg, "t.csv:1: column 1: non-numeric field '1.5x'");
  // A missing-value marker in line 1 is no evidence for a header either.
  const std::string na = error_of([&] { read_csv(write("na.csv", "1.5,NA,3.5\n1.5,2.5,3.5\n")); });
  EXPECT_CONTAINS(na, "na.csv:1: column 2: non-numeric field 'NA'");
}

// ---- delimiter and decimal mark -------------------------------------------------------------

TEST_F(IoInferTest, NumpySavetxtDefaultIsBlankSeparatedWithoutHeader) {
  const auto f =
      write("s.txt",
            "1.000000000000000000e+00 2.500000000000000000e+00 -3.000000000000000000e+00\n"
            "4.000000000000000000e+00 5.000000000000000000e+00 6.250000000000000000e-01\n");
  std::vector<std::string> notes;
  const Problem<double> p = read_csv(f, {}, &notes);
  EXPECT_EQ(p.m, 2);
  EXPECT_EQ(p.n, 2);
  EXPECT_EQ(p.A, (Values{1, 4, 2.5, 5}));
  EXPECT_EQ(p.b, (Values{-3, 0.625}));
  EXPECT_CONTAINS(joined(notes), "separated by blanks");
  EXPECT_CONTAINS(joined(notes), "taken as data");
}

TEST_F(IoInferTest, SemicolonsWithDecimalCommas) {
  const auto f = write("d.csv", "a;b;y\n1,5;2;-0,25\n3;4,75;1e1\n\"5,5\";6;7\n");
  std::vector<std::string> notes;
  const Problem<double> p = read_csv(f, {}, &notes);
  EXPECT_EQ(p.A, (Values{1.5, 3, 5.5, 2, 4.75, 6}));
  EXPECT_EQ(p.b, (Values{-0.25, 10, 7}));
  EXPECT_CONTAINS(joined(notes), "separated by ';'");
  EXPECT_CONTAINS(joined(notes), "decimal comma");
  // Told: no note; a decimal comma with ',' as the delimiter cannot be.
  CsvOptions o;
  o.delimiter = ';';
  o.decimal = ',';
  notes.clear();
  EXPECT_EQ(read_csv(f, o, &notes).b, p.b);
  EXPECT_TRUE(notes.empty()) << joined(notes);
  o.delimiter = ',';
  EXPECT_CONTAINS(error_of([&] { read_csv(f, o); }),
                  "decimal comma needs a delimiter other than ','");
  // Semicolons with decimal points stay points.
  EXPECT_EQ(read_csv(write("p.csv", "a;y\n1.5;2\n2.5;3\n")).A, (Values{1.5, 2.5}));
}

TEST_F(IoInferTest, TabsAndPipesAreInferred) {
  EXPECT_EQ(read_csv(write("t.txt", "a\tb\ty\n1\t2\t3\n")).A, (Values{1, 2}));
  EXPECT_EQ(read_csv(write("p.txt", "a|b|y\n1|2|3\n")).A, (Values{1, 2}));
  // Commas inside quoted fields do not count.
  EXPECT_EQ(read_csv(write("q.csv", "\"a,b\";\"c\";y\n1;2;3\n")).column_names, (Names{"a,b", "c"}));
}

// ---- booleans ----------------------------------------------------------------------------------

TEST_F(IoInferTest, PandasBooleansReadAsOneAndZero) {
  const auto f =
      write("b.csv", "x,color_g,color_r,y\n0.5,True,False,1\n1.5,False,True,2\n2.5,false,TRUE,3\n");
  std::vector<std::string> notes;
  const Problem<double> p = read_csv(f, {}, &notes);
  EXPECT_EQ(p.A, (Values{0.5, 1.5, 2.5, 1, 0, 0, 0, 1, 1}));
  EXPECT_TRUE(notes.empty()) << joined(notes);
  EXPECT_CONTAINS(error_of([&] { read_csv(write("bad.csv", "x,y\nTrue,1\nTrueish,2\n")); }),
                  "bad.csv:3: column 1 ('x'): non-numeric field 'Trueish'");
}

// ---- index column ------------------------------------------------------------------------------

TEST_F(IoInferTest, PandasUnnamedIndexIsLeftOut) {
  std::vector<std::string> notes;
  const Problem<double> p =
      read_csv(write("i.csv", ",a,b,y\n0,1,2,3\n1,4,5,6\n2,7,8,9\n"), {}, &notes);
  EXPECT_EQ(p.column_names, (Names{"a", "b"}));
  EXPECT_EQ(p.A, (Values{1, 4, 7, 2, 5, 8}));
  EXPECT_CONTAINS(joined(notes), "column 1 (no name) is taken as pandas' row index and left out");
  // Read back and written again by pandas: "Unnamed: 0".
  notes.clear();
  EXPECT_EQ(read_csv(write("u.csv", "Unnamed: 0,a,y\n0,1,3\n1,4,6\n"), {}, &notes).column_names,
            (Names{"a"}));
  EXPECT_CONTAINS(joined(notes), "'Unnamed: 0'");
  // Told there is none: it is a column (named column1).
  CsvOptions o;
  o.index = CsvOptions::Index::none;
  EXPECT_EQ(read_csv(write("i2.csv", ",a,y\n0,1,3\n1,4,6\n"), o).column_names,
            (Names{"column1", "a"}));
}

TEST_F(IoInferTest, StringAndDateIndexesAreLeftOut) {
  std::vector<std::string> notes;
  const Problem<double> p = read_csv(
      write("d.csv", "date,a,y\n2020-01-01,1,3\n2020-01-02,4,6\n2020-01-03,7,9\n"), {}, &notes);
  EXPECT_EQ(p.column_names, (Names{"a"}));
  EXPECT_EQ(p.m, 3);
  EXPECT_CONTAINS(joined(notes), "column 1 ('date') holds text such as '2020-01-01'");
  // Without a header too.
  notes.clear();
  const Problem<double> q = read_csv(write("n.csv", "alpha,1,3\nbeta,4,6\n"), {}, &notes);
  EXPECT_EQ(q.A, (Values{1, 4}));
  EXPECT_EQ(q.b, (Values{3, 6}));
  // A text column elsewhere is an error that says how to leave it out.
  EXPECT_CONTAINS(
      error_of([&] { read_csv(write("c.csv", "a,city,y\n1,Paris,3\n2,Rome,4\n")); }),
      "column 2 ('city'): non-numeric field 'Paris' (to leave the column out: --drop 'city')");
}

TEST_F(IoInferTest, HeaderlessZeroToMMinusOneIsAnIndexOnlyWhenItIsOneThrough) {
  std::vector<std::string> notes;
  const Problem<double> p =
      read_csv(write("h.csv", "0,1.5,3\n1,4.5,6\n2,7.5,9\n3,1.5,2\n"), {}, &notes);
  EXPECT_EQ(p.column_names, (Names{"x2"}));
  EXPECT_EQ(p.A, (Values{1.5, 4.5, 7.5, 1.5}));
  EXPECT_CONTAINS(joined(notes), "column 1 holds 0, 1, ..., 3 and is taken as the row index");
  // 0, 1, 2 in the first rows, then not: a column of A after all (checked over every row).
  notes.clear();
  std::string text;
  for (int i = 0; i < 60; ++i)
    text += std::to_string(i == 55 ? 99 : i) + ",0.5," + std::to_string(i) + ".5\n";
  const Problem<double> q = read_csv(write("h2.csv", text), {}, &notes);
  EXPECT_EQ(q.n, 2);
  EXPECT_EQ(q.A[55], 99.0);
  EXPECT_EQ(joined(notes).find("row index"), std::string::npos) << joined(notes);
  // A named first column 0..m-1 is the user's: kept, with a note.
  notes.clear();
  const Problem<double> r = read_csv(write("t.csv", "t,y\n0,1.5\n1,2.5\n2,3.5\n"), {}, &notes);
  EXPECT_EQ(r.column_names, (Names{"t"}));
  EXPECT_CONTAINS(joined(notes), "column 1 ('t') holds 0, 1, ..., 2 like a row index; it is used");
}

// One MPI rank's share sees only its rows: the sampled first rows decide the index column, the same
// on every rank, so that all shares have the same columns.
TEST_F(IoInferTest, HeaderlessIndexIsDecidedAlikeForEveryShare) {
  std::string text;
  for (int i = 0; i < 10; ++i) text += std::to_string(i) + "," + std::to_string(i) + ".5,1\n";
  const auto f = write("s.csv", text);
  EXPECT_EQ(count_csv_rows(f), 10);
  for (const auto& [r0, r1] : {std::pair<index_t, index_t>{0, 5}, {5, 10}, {10, 10}}) {
    CsvOptions o;
    o.row_begin = r0;
    o.row_end = r1;
    const Problem<double> p = read_csv(f, o);
    EXPECT_EQ(p.n, 1) << r0;
    EXPECT_EQ(p.m, r1 - r0) << r0;
    EXPECT_EQ(p.column_names, (Names{"x2"})) << r0;
  }
}

// ---- choosing columns --------------------------------------------------------------------------

TEST_F(IoInferTest, DropAndColumnsByNameOrPosition) {
  const auto f = write("c.csv", "id,a,b,c,y\n7,1,2,3,4\n8,5,6,7,8\n");
  CsvOptions o;
  o.drop = {"id", "2"};  // a name, and the 0-based position of b
  Problem<double> p = read_csv(f, o);
  EXPECT_EQ(p.column_names, (Names{"a", "c"}));
  EXPECT_EQ(p.A, (Values{1, 5, 3, 7}));
  o.drop.clear();
  o.columns = {"c", "1"};  // in this order
  p = read_csv(f, o);
  EXPECT_EQ(p.column_names, (Names{"c", "a"}));
  EXPECT_EQ(p.A, (Values{3, 7, 1, 5}));
  o.target = "a";
  o.columns = {"y", "-3"};  // -3: b
  p = read_csv(f, o);
  EXPECT_EQ(p.column_names, (Names{"y", "b"}));
  EXPECT_EQ(p.b, (Values{1, 5}));

  CsvOptions bad;
  bad.drop = {"y"};
  EXPECT_CONTAINS(error_of([&] { read_csv(f, bad); }), "--drop: 'y' is the target column");
  bad.drop = {"nope"};
  EXPECT_CONTAINS(error_of([&] { read_csv(f, bad); }),
                  "unknown --drop column 'nope'; columns: id, a, b, c, y");
  bad.drop = {"a"};
  bad.columns = {"b"};
  EXPECT_CONTAINS(error_of([&] { read_csv(f, bad); }), "exclude each other");
  bad.drop.clear();
  bad.columns = {"a", "1"};
  EXPECT_CONTAINS(error_of([&] { read_csv(f, bad); }), "is listed twice");
  bad.columns = {"y"};
  EXPECT_CONTAINS(error_of([&] { read_csv(f, bad); }), "is the target column");
}

TEST_F(IoInferTest, NameIsMatchedBeforePositionWithANote) {
  const auto f = write("n.csv", "3,2,1,0\n1.5,2.5,3.5,4.5\n5.5,6.5,7.5,8.5\n");
  std::vector<std::string> notes;
  CsvOptions o;
  o.target = "1";
  const Problem<double> p = read_csv(f, o, &notes);
  EXPECT_EQ(p.b, (Values{3.5, 7.5}));  // the column named '1', not position 1
  EXPECT_CONTAINS(joined(notes),
                  "target column '1' is the column named '1' (column 3), not the one at "
                  "0-based position 1");
}

// ---- gzip --------------------------------------------------------------------------------------

TEST_F(IoInferTest, GzipDataIsDecompressed) {
  write("g.csv", ",a,y\n0,1.5,2\n1,2.5,3\n2,3.5,5\n");
  ASSERT_EQ(std::system(("gzip -k '" + (dir_ / "g.csv").string() + "'").c_str()), 0);
  const std::string gz = (dir_ / "g.csv.gz").string();
#ifdef LSGD_WITH_ZLIB
  std::vector<std::string> notes;
  const Problem<double> p = read_problem(gz, {}, "", &notes);
  EXPECT_EQ(p.A, (Values{1.5, 2.5, 3.5}));
  EXPECT_EQ(p.b, (Values{2, 3, 5}));
  EXPECT_CONTAINS(joined(notes), "row index");
  // Concatenated members, as `cat a.gz b.gz` makes; a truncated stream is named.
  std::string bytes;
  {
    std::ifstream in(gz, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  write("more.csv", "3,4.5,6\n4,5.5,7\n");
  ASSERT_EQ(std::system(("gzip -k '" + (dir_ / "more.csv").string() + "'").c_str()), 0);
  std::string more;
  {
    std::ifstream in((dir_ / "more.csv.gz").string(), std::ios::binary);
    more.assign(std::istreambuf_iterator<char>(in), {});
  }
  write("two.csv.gz", bytes + more);
  const Problem<double> two = read_problem((dir_ / "two.csv.gz").string());
  EXPECT_EQ(two.A, (Values{1.5, 2.5, 3.5, 4.5, 5.5}));
  write("cut.csv.gz", bytes.substr(0, bytes.size() - 10));
  EXPECT_CONTAINS(error_of([&] { read_problem((dir_ / "cut.csv.gz").string()); }),
                  "truncated gzip data");
#else
  EXPECT_CONTAINS(error_of([&] { read_problem(gz); }), "built without zlib");
#endif
  EXPECT_CONTAINS(error_of([&] { read_problem(write("m.mtx.gz", "x")); }),
                  "compressed Matrix Market");
}

// ---- parallel read by ranges of lines --------------------------------------------------------

TEST_F(IoInferTest, RangesOfLinesGiveWhatOneThreadGives) {
  std::mt19937_64 rng(25);
  std::uniform_real_distribution<double> u(-1e3, 1e3);
  std::string text = "# a comment\r\ni,a,b,y\r\n";
  for (int i = 0; i < 3000; ++i) {
    if (i % 97 == 5) text += "\r\n";  // blank lines
    if (i % 331 == 7) text += "  # comment " + std::to_string(i) + "\n";
    char buf[128];
    std::snprintf(buf, sizeof buf, "%d,%.17g,%s,%.6g\r\n", i, u(rng), (i % 3 ? "True" : "\"2.5\""),
                  u(rng));
    text += buf;
  }
  text += "2999.5,1,2,3";  // no final newline
  const auto f = write("r.csv", text);
  CsvOptions one;
  one.threads = 1;
  const Problem<double> ref = read_csv(f, one);
  ASSERT_EQ(ref.m, 3001);
  ASSERT_EQ(ref.n, 3);
  detail::csv_min_bytes_per_thread = 1000;
  for (const int threads : {2, 3, 7, 64}) {
    CsvOptions o;
    o.threads = threads;
    const Problem<double> p = read_csv(f, o);
    EXPECT_EQ(p.m, ref.m) << threads;
    EXPECT_EQ(p.A, ref.A) << threads;
    EXPECT_EQ(p.b, ref.b) << threads;
    EXPECT_EQ(p.column_names, ref.column_names) << threads;
  }
  // A bad field in a later range is reported at its line, and before one in a still later range.
  std::string bad = text;
  const size_t at = bad.find("\n2000,");
  ASSERT_NE(at, std::string::npos);
  bad.replace(at + 1, 4, "oops");
  bad.replace(bad.find("\n2500,") + 1, 4, "late");
  const auto fb = write("bad.csv", bad);
  const std::string e1 = error_of([&] { read_csv(fb, one); });
  for (const int threads : {2, 5}) {
    CsvOptions o;
    o.threads = threads;
    EXPECT_EQ(error_of([&] { read_csv(fb, o); }), e1);
  }
  EXPECT_CONTAINS(e1, "non-numeric field 'oops'");
}

TEST_F(IoInferTest, HeaderlessIndexAcrossRangesIsCheckedOverEveryRow) {
  std::string text;
  for (int i = 0; i < 2000; ++i)
    text += std::to_string(i) + "," + std::to_string(i % 7) + ".25,1\n";
  detail::csv_min_bytes_per_thread = 1000;
  CsvOptions o;
  o.threads = 4;
  std::vector<std::string> notes;
  const Problem<double> p = read_csv(write("h.csv", text), o, &notes);
  EXPECT_EQ(p.n, 1);
  EXPECT_EQ(p.m, 2000);
  EXPECT_EQ(p.A[1999], 4.25);  // 1999 % 7 = 4
  EXPECT_CONTAINS(joined(notes), "holds 0, 1, ..., 1999");
}

}  // namespace
}  // namespace lsgd
