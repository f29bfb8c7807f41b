// File I/O: CSV and Matrix Market round trips, header/target/intercept handling, and one test per kind
// of malformed input, each checking that the message names the file and the line.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "lsgd/error.hpp"
#include "lsgd/io.hpp"
#include "lsgd/problem.hpp"
#include "tests/io_fixture.hpp"

namespace lsgd {
namespace {

namespace fs = std::filesystem;
using io_test::error_of;
using io_test::IoTest;

Problem<double> sample(index_t m, index_t n, std::uint64_t seed) {
  GenOptions o = gen_options(m, n, 1e4, seed, 0.1);
  return generate<double>(o);
}

void expect_same_values(const std::vector<double>& a, const std::vector<double>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) {
    EXPECT_LE(std::abs(a[k] - b[k]), 1e-15 * std::abs(b[k])) << "entry " << k;
  }
}

// ---- round trips --------------------------------------------------------------------------------

TEST_F(IoTest, CsvRoundTripIsExact) {
  const Problem<double> p = sample(40, 5, 3);
  write_csv(path("p.csv"), p);
  const Problem<double> q = read_csv(path("p.csv"));
  ASSERT_EQ(q.m, p.m);
  ASSERT_EQ(q.n, p.n);
  expect_same_values(q.A, p.A);
  expect_same_values(q.b, p.b);
  EXPECT_EQ(q.column_names, (std::vector<std::string>{"x1", "x2", "x3", "x4", "x5"}));
}

TEST_F(IoTest, CsvRoundTripKeepsColumnNamesWithCommasAndQuotes) {
  Problem<double> p = sample(6, 3, 4);
  p.column_names = {"a,b", "say \"hi\"", "plain"};
  write_csv(path("q.csv"), p);
  const Problem<double> q = read_csv(path("q.csv"));
  EXPECT_EQ(q.column_names, p.column_names);
  expect_same_values(q.A, p.A);
}

TEST_F(IoTest, MatrixMarketArrayRoundTripIsExact) {
  const Problem<double> p = sample(30, 4, 5);
  MatrixMarket mm;
  mm.rows = p.m;
  mm.cols = p.n;
  mm.values = p.A;
  write_matrix_market(path("a.mtx"), mm);
  const MatrixMarket back = read_matrix_market(path("a.mtx"));
  EXPECT_EQ(back.rows, p.m);
  EXPECT_EQ(back.cols, p.n);
  expect_same_values(back.values, p.A);
}

TEST_F(IoTest, MatrixMarketCoordinateIsDensified) {
  write("c.mtx",
        "%%MatrixMarket matrix coordinate real general\n"
        "% a comment\n"
        "%another\n"
        "\n"
        "3 2 3\n"
        "1 1 1.5\n"
        "3 2 -2\n"
        "2 1 4e-3\n");
  const MatrixMarket mm = read_matrix_market(path("c.mtx"));
  ASSERT_EQ(mm.rows, 3);
  ASSERT_EQ(mm.cols, 2);
  EXPECT_EQ(mm.values, (std::vector<double>{1.5, 4e-3, 0.0, 0.0, 0.0, -2.0}));
}

TEST_F(IoTest, MatrixMarketIntegerFieldAndCaseInsensitiveHeader) {
  write("i.mtx", "%%MatrixMarket MATRIX Array Integer General\n2 2\n1\n2\n3\n4\n");
  const MatrixMarket mm = read_matrix_market(path("i.mtx"));
  EXPECT_EQ(mm.values, (std::vector<double>{1, 2, 3, 4}));
}

TEST_F(IoTest, MatrixMarketSymmetricIsExpanded) {
  write("s.mtx",
        "%%MatrixMarket matrix coordinate real symmetric\n"
        "3 3 4\n"
        "1 1 2\n"
        "2 1 -1\n"
        "3 3 5\n"
        "1 3 7\n");  // above the diagonal: accepted as its mirror image
  const MatrixMarket c = read_matrix_market(path("s.mtx"));
  EXPECT_EQ(c.values, (std::vector<double>{2, -1, 7, -1, 0, 0, 7, 0, 5}));

  write("sa.mtx", "%%MatrixMarket matrix array real symmetric\n3 3\n1\n2\n3\n4\n5\n6\n");
  const MatrixMarket a = read_matrix_market(path("sa.mtx"));
  // Lower triangle column by column: (1,1)=1 (2,1)=2 (3,1)=3 (2,2)=4 (3,2)=5 (3,3)=6.
  EXPECT_EQ(a.values, (std::vector<double>{1, 2, 3, 2, 4, 5, 3, 5, 6}));

  write("k.mtx", "%%MatrixMarket matrix array real skew-symmetric\n3 3\n1\n2\n3\n");
  const MatrixMarket k = read_matrix_market(path("k.mtx"));
  EXPECT_EQ(k.values, (std::vector<double>{0, 1, 2, -1, 0, 3, -2, -3, 0}));
}

TEST_F(IoTest, MatrixMarketProblemTakesLastColumnOrSeparateB) {
  write("ab.mtx", "%%MatrixMarket matrix array real general\n2 3\n1\n2\n3\n4\n5\n6\n");
  const Problem<double> p = read_problem(path("ab.mtx"));
  EXPECT_EQ(p.m, 2);
  EXPECT_EQ(p.n, 2);
  EXPECT_EQ(p.A, (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(p.b, (std::vector<double>{5, 6}));

  write("b.mtx", "%%MatrixMarket matrix array real general\n2 1\n7\n8\n");
  const Problem<double> q = read_matrix_market_problem(path("ab.mtx"), path("b.mtx"));
  EXPECT_EQ(q.n, 3);
  EXPECT_EQ(q.b, (std::vector<double>{7, 8}));

  write("b3.mtx", "%%MatrixMarket matrix array real general\n3 1\n7\n8\n9\n");
  const std::string msg = error_of([&] { read_matrix_market_problem(path("ab.mtx"), path("b3.mtx")); });
  EXPECT_CONTAINS(msg, "b3.mtx");
  EXPECT_CONTAINS(msg, "3 x 1");
}

TEST_F(IoTest, HeaderIsDetectedOrForced) {
  write("h.csv", "alpha, beta ,y\n1,2,3\n4,5,6\n");
  const Problem<double> h = read_csv(path("h.csv"));
  EXPECT_EQ(h.m, 2);
  EXPECT_EQ(h.column_names, (std::vector<std::string>{"alpha", "beta"}));

  write("n.csv", "1,2,3\n4,5,6\n");
  const Problem<double> n = read_csv(path("n.csv"));
  EXPECT_EQ(n.m, 2);
  EXPECT_EQ(n.column_names, (std::vector<std::string>{"x1", "x2"}));
  EXPECT_EQ(n.b, (std::vector<double>{3, 6}));

  CsvOptions present;
  present.header = CsvOptions::Header::present;  // numeric names: detection alone would see data
  const Problem<double> f = read_csv(path("n.csv"), present);
  EXPECT_EQ(f.m, 1);
  EXPECT_EQ(f.column_names, (std::vector<std::string>{"1", "2"}));

  CsvOptions absent;
  absent.header = CsvOptions::Header::absent;
  const std::string msg = error_of([&] { read_csv(path("h.csv"), absent); });
  EXPECT_CONTAINS(msg, "h.csv:1:");
  EXPECT_CONTAINS(msg, "non-numeric field 'alpha'");
}

TEST_F(IoTest, TargetByNameByIndexAndFromTheEnd) {
  write("t.csv", "a,y,c\n1,10,100\n2,20,200\n3,30,300\n");
  CsvOptions o;
  o.target = "y";
  const Problem<double> byname = read_csv(path("t.csv"), o);
  EXPECT_EQ(byname.b, (std::vector<double>{10, 20, 30}));
  EXPECT_EQ(byname.A, (std::vector<double>{1, 2, 3, 100, 200, 300}));
  EXPECT_EQ(byname.column_names, (std::vector<std::string>{"a", "c"}));

  o.target = "0";
  const Problem<double> byindex = read_csv(path("t.csv"), o);
  EXPECT_EQ(byindex.b, (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(byindex.column_names, (std::vector<std::string>{"y", "c"}));

  o.target = "-1";
  EXPECT_EQ(read_csv(path("t.csv"), o).b, (std::vector<double>{100, 200, 300}));
  o.target = "";
  EXPECT_EQ(read_csv(path("t.csv"), o).b, (std::vector<double>{100, 200, 300}));
}

TEST_F(IoTest, InterceptPrependsOnes) {
  write("i.csv", "u,y\n2,1\n3,0\n5,4\n");
  CsvOptions o;
  o.intercept = true;
  const Problem<double> p = read_csv(path("i.csv"), o);
  EXPECT_EQ(p.n, 2);
  EXPECT_EQ(p.A, (std::vector<double>{1, 1, 1, 2, 3, 5}));
  EXPECT_EQ(p.column_names, (std::vector<std::string>{"(intercept)", "u"}));

  // A single column is only a target: with an intercept it is the mean model.
  write("one.csv", "y\n1\n2\n");
  const Problem<double> q = read_csv(path("one.csv"), o);
  EXPECT_EQ(q.n, 1);
  EXPECT_EQ(q.A, (std::vector<double>{1, 1}));
}

TEST_F(IoTest, CommentsBlankLinesWhitespaceCrlfAndQuotes) {
  write("w.csv",
        "\xEF\xBB\xBF# exported by a spreadsheet\r\n"
        "\r\n"
        " \"x one\" ,  y \r\n"
        "   # an indented comment\r\n"
        "  1.5 ,\t-2 \r\n"
        "\r\n"
        "\"3\",4e1\r\n");
  const Problem<double> p = read_csv(path("w.csv"));
  EXPECT_EQ(p.m, 2);
  EXPECT_EQ(p.column_names, (std::vector<std::string>{"x one"}));
  EXPECT_EQ(p.A, (std::vector<double>{1.5, 3}));
  EXPECT_EQ(p.b, (std::vector<double>{-2, 40}));
}

// One MPI rank's share (mpi.* solvers through the CLI): the data rows are counted past comments,
// blank lines and the header, and only [row_begin, row_end) is kept; an empty share is not an error.
TEST_F(IoTest, RowRangeKeepsOneShareOfTheDataRows) {
  write("r.csv", "# comment\nx1,x2,y\n1,2,3\n\n4,5,6\n# mid\n7,8,9\n10,11,12\n13,14,15\n");
  EXPECT_EQ(count_csv_rows(path("r.csv")), 5);
  CsvOptions o;
  o.row_begin = 1;
  o.row_end = 4;
  const Problem<double> p = read_csv(path("r.csv"), o);
  EXPECT_EQ(p.m, 3);
  EXPECT_EQ(p.n, 2);
  EXPECT_EQ(p.A, (std::vector<double>{4, 7, 10, 5, 8, 11}));
  EXPECT_EQ(p.b, (std::vector<double>{6, 9, 12}));
  EXPECT_EQ(p.column_names, (std::vector<std::string>{"x1", "x2"}));
  o.row_begin = 5;
  o.row_end = 5;
  const Problem<double> none = read_csv(path("r.csv"), o);
  EXPECT_EQ(none.m, 0);
  EXPECT_EQ(none.n, 2);
  EXPECT_TRUE(none.A.empty() && none.b.empty());
  // Without a header the first line is a data row; a bad row outside the share is not parsed.
  write("h.csv", "1,2\n3,oops\n5,6\n");
  EXPECT_EQ(count_csv_rows(path("h.csv")), 3);
  o.row_begin = 2;
  o.row_end = -1;
  const Problem<double> last = read_csv(path("h.csv"), o);
  EXPECT_EQ(last.m, 1);
  EXPECT_EQ(last.b, (std::vector<double>{6}));
  o.row_begin = 0;
  o.row_end = 2;
  EXPECT_CONTAINS(error_of([&] { read_csv(path("h.csv"), o); }), "h.csv:2");
}

// The same share of a Matrix Market general array (column-major: every column is scanned, only the
// share's rows parsed), with b as the last column or from a separate file; other kinds are refused.
TEST_F(IoTest, MatrixMarketRowRange) {
  write("a.mtx", "%%MatrixMarket matrix array real general\n% c\n4 3\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n");
  EXPECT_EQ(matrix_market_rows(path("a.mtx")), 4);
  CsvOptions o;
  o.row_begin = 1;
  o.row_end = 3;
  const Problem<double> p = read_problem(path("a.mtx"), o);
  EXPECT_EQ(p.m, 2);
  EXPECT_EQ(p.n, 2);
  EXPECT_EQ(p.A, (std::vector<double>{2, 3, 6, 7}));
  EXPECT_EQ(p.b, (std::vector<double>{10, 11}));
  write("b.mtx", "%%MatrixMarket matrix array real general\n4 1\n-1\n-2\n-3\n-4\n");
  const Problem<double> q = read_problem(path("a.mtx"), o, path("b.mtx"));
  EXPECT_EQ(q.n, 3);
  EXPECT_EQ(q.A, (std::vector<double>{2, 3, 6, 7, 10, 11}));
  EXPECT_EQ(q.b, (std::vector<double>{-2, -3}));
  o.row_begin = 4;
  o.row_end = 4;
  EXPECT_EQ(read_problem(path("a.mtx"), o).m, 0);
  write("c.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 5\n");
  o.row_begin = 0;
  o.row_end = 1;
  EXPECT_CONTAINS(error_of([&] { read_problem(path("c.mtx"), o); }), "general array file only");
}

TEST_F(IoTest, OtherDelimitersAndTsvByExtension) {
  write("d.txt", "a;b\n1;2\n3;4\n");
  CsvOptions o;
  o.delimiter = ';';
  EXPECT_EQ(read_problem(path("d.txt"), o).b, (std::vector<double>{2, 4}));
  write("d.tsv", "a\tb\n1\t2\n3\t4\n");
  EXPECT_EQ(read_problem(path("d.tsv")).A, (std::vector<double>{1, 3}));
  write("s.txt", "1   2\n  3 4\n");
  o.delimiter = ' ';
  EXPECT_EQ(read_problem(path("s.txt"), o).b, (std::vector<double>{2, 4}));
}

TEST_F(IoTest, VectorRoundTrips) {
  const std::vector<double> x = {1.0 / 3.0, -2e-300, 12345.678901234567, 0.0};
  write_vector(path("x.csv"), x);
  expect_same_values(read_vector(path("x.csv")), x);
  write_vector(path("xn.csv"), x, {"(intercept)", "a", "b,c", "d"});
  expect_same_values(read_vector(path("xn.csv")), x);
  write_vector(path("x.mtx"), x);
  expect_same_values(read_vector(path("x.mtx")), x);
  write("plain.txt", "1\n2.5\n# c\n-3\n");
  EXPECT_EQ(read_vector(path("plain.txt")), (std::vector<double>{1, 2.5, -3}));
}

TEST_F(IoTest, WritersReplaceAtomicallyAndRejectBadPaths) {
  write_vector(path("x.csv"), {1, 2});
  write_vector(path("x.csv"), {3});
  EXPECT_EQ(read_vector(path("x.csv")), (std::vector<double>{3}));
  const std::string msg = error_of([&] { write_vector(path("nodir/x.csv"), {1}); });
  EXPECT_CONTAINS(msg, "nodir/x.csv");
  EXPECT_CONTAINS(msg, "cannot write");
  EXPECT_FALSE(fs::exists(path("nodir")));
  EXPECT_CONTAINS(error_of([&] { write_vector(path("nan.csv"), {1, std::nan("")}); }), "non-finite");
  EXPECT_FALSE(fs::exists(path("nan.csv")));
  // Only the results remain: no temporary files.
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1u);
}

TEST_F(IoTest, LongleyFixtureReads) {
  CsvOptions o;
  o.target = "y";
  o.intercept = true;
  const Problem<double> p = read_problem(std::string(LSGD_TEST_DATA_DIR) + "/longley.csv", o);
  EXPECT_EQ(p.m, 16);
  EXPECT_EQ(p.n, 7);
  EXPECT_EQ(p.b.front(), 60323.0);
  EXPECT_EQ(p.a(15, 6), 1962.0);
  EXPECT_EQ(p.column_names.front(), "(intercept)");
  const auto cert = read_vector(std::string(LSGD_TEST_DATA_DIR) + "/longley_certified.csv");
  ASSERT_EQ(cert.size(), 7u);
  EXPECT_EQ(cert[6], 1829.15146461355);
}

// ---- malformed input: one test per kind, each naming file and line -----------------------------

TEST_F(IoTest, NonNumericFieldNamesLineAndColumn) {
  write("bad.csv", "a,b,y\n1,2,3\n# comment\n4,x5,6\n");
  const std::string msg = error_of([&] { read_csv(path("bad.csv")); });
  EXPECT_CONTAINS(msg, "bad.csv:4:");
  EXPECT_CONTAINS(msg, "column 2 ('b')");
  EXPECT_CONTAINS(msg, "non-numeric field 'x5'");
}

TEST_F(IoTest, NanAndInfRejected) {
  write("nan.csv", "1,2\n3,nan\n");
  std::string msg = error_of([&] { read_csv(path("nan.csv")); });
  EXPECT_CONTAINS(msg, "nan.csv:2:");
  EXPECT_CONTAINS(msg, "column 2");
  EXPECT_CONTAINS(msg, "NaN/Inf");
  write("inf.csv", "1,2\n-inf,3\n");
  msg = error_of([&] { read_csv(path("inf.csv")); });
  EXPECT_CONTAINS(msg, "inf.csv:2:");
  EXPECT_CONTAINS(msg, "NaN/Inf");
  write("big.csv", "1,2\n1e999,3\n");
  EXPECT_CONTAINS(error_of([&] { read_csv(path("big.csv")); }), "big.csv:2: column 1: NaN/Inf");
  write("nan.mtx", "%%MatrixMarket matrix array real general\n2 1\n1\nNaN\n");
  EXPECT_CONTAINS(error_of([&] { read_matrix_market(path("nan.mtx")); }), "nan.mtx:4: NaN/Inf");
}

TEST_F(IoTest, RaggedRowRejected) {
  write("rag.csv", "a,b,y\n1,2,3\n\n4,5\n");
  const std::string msg = error_of([&] { read_csv(path("rag.csv")); });
  EXPECT_CONTAINS(msg, "rag.csv:4:");
  EXPECT_CONTAINS(msg, "2 fields, expected 3");
}

TEST_F(IoTest, EmptyFieldRejected) {
  write("e.csv", "1,2,3\n4,,6\n");
  EXPECT_CONTAINS(error_of([&] { read_csv(path("e.csv")); }), "e.csv:2: column 2: empty field");
}

TEST_F(IoTest, UnterminatedQuoteRejected) {
  write("q.csv", "\"a,b\n1,2\n");
  EXPECT_CONTAINS(error_of([&] { read_csv(path("q.csv")); }), "q.csv:1: unterminated quoted field");
}

TEST_F(IoTest, UnknownTargetColumnRejected) {
  write("t.csv", "a,b,y\n1,2,3\n");
  CsvOptions o;
  o.target = "z";
  std::string msg = error_of([&] { read_csv(path("t.csv"), o); });
  EXPECT_CONTAINS(msg, "t.csv:1:");
  EXPECT_CONTAINS(msg, "unknown target column 'z'; columns: a, b, y");
  o.target = "3";
  msg = error_of([&] { read_csv(path("t.csv"), o); });
  EXPECT_CONTAINS(msg, "target column index 3 out of range");
  write("n.csv", "1,2\n");
  o.target = "y";
  EXPECT_CONTAINS(error_of([&] { read_csv(path("n.csv"), o); }), "no header");
}

TEST_F(IoTest, EmptyDataRejected) {
  write("empty.csv", "");
  EXPECT_CONTAINS(error_of([&] { read_csv(path("empty.csv")); }), "empty.csv:1: no data rows");
  write("hdr.csv", "# only a comment\na,b\n");
  EXPECT_CONTAINS(error_of([&] { read_csv(path("hdr.csv")); }), "hdr.csv:2: no data rows");
  write("only_y.csv", "y\n1\n");
  EXPECT_CONTAINS(error_of([&] { read_csv(path("only_y.csv")); }), "no feature columns");
  write("nov.csv", "x\n");
  EXPECT_CONTAINS(error_of([&] { read_vector(path("nov.csv")); }), "nov.csv:1: no values");
}

TEST_F(IoTest, UnreadableFileRejected) {
  std::string msg = error_of([&] { read_csv(path("missing.csv")); });
  EXPECT_CONTAINS(msg, "missing.csv: cannot open file");
  msg = error_of([&] { read_matrix_market(dir_.string()); });
  EXPECT_CONTAINS(msg, "is a directory");
  msg = error_of([&] { read_problem(path("data.xlsx")); });
  EXPECT_CONTAINS(msg, "unknown file type '.xlsx'");
}

TEST_F(IoTest, MatrixMarketMissingOrInvalidHeaderRejected) {
  write("nohdr.mtx", "2 2\n1\n2\n3\n4\n");
  EXPECT_CONTAINS(error_of([&] { read_matrix_market(path("nohdr.mtx")); }),
                  "nohdr.mtx:1: missing Matrix Market header");
  write("short.mtx", "%%MatrixMarket matrix array real\n2 1\n1\n2\n");
  EXPECT_CONTAINS(error_of([&] { read_matrix_market(path("short.mtx")); }),
                  "short.mtx:1: invalid Matrix Market header");
  write("empty.mtx", "");
  EXPECT_CONTAINS(error_of([&] { read_matrix_market(path("empty.mtx")); }), "empty.mtx:1: empty file");
  write("herm.mtx", "%%MatrixMarket matrix array real hermitian\n1 1\n1\n");
  EXPECT_CONTAINS(error_of([&] { read_matrix_market(path("herm.mtx")); }), "symmetry 'hermitian'");
}

TEST_F(IoTest, MatrixMarketPatternAndComplexRejected) {
  write("p.mtx", "%%MatrixMarket matrix coordinate pattern general\n2 2 1\n1 1\n");
  EXPECT_CONTAINS(error_of([&] { read_matrix_market(path("p.mtx")); }),
                  "p.mtx:1: pattern matrices");
  write("c.mtx", "%%MatrixMarket matrix array complex general\n1 1\n1 0\n");
  EXPECT_CONTAINS(error_of([&] { read_matrix_market(path("c.mtx")); }),
                  "c.mtx:1: complex matrices are not supported");
}

TEST_F(IoTest, MatrixMarketBadSizeLineRejected) {
  write("s.mtx", "%%MatrixMarket matrix coordinate real general\n% c\n2 x 1\n1 1 1\n");
  EXPECT_CONTAINS(error_of([&] { read_matrix_market(path("s.mtx")); }), "s.mtx:3: invalid size line");
  write("z.mtx", "%%MatrixMarket matrix array real general\n0 3\n");
  EXPECT_CONTAINS(error_of([&] { read_matrix_market(path("z.mtx")); }), "z.mtx:2: invalid size 0 x 3");
  write("ns.mtx", "%%MatrixMarket matrix array real symmetric\n2 3\n");
  EXPECT_CONTAINS(error_of([&] { read_matrix_market(path("ns.mtx")); }), "must be square");
}

TEST_F(IoTest, MatrixMarketIndexOutOfRangeRejected) {
  write("r.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n3 1 5\n");
  EXPECT_CONTAINS(error_of([&] { read_matrix_market(path("r.mtx")); }),
                  "r.mtx:4: row index 3 out of range 1..2");
  write("c0.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 0 1\n");
  EXPECT_CONTAINS(error_of([&] { read_matrix_market(path("c0.mtx")); }),
                  "c0.mtx:3: column index 0 out of range");
  write("f.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 1\n1.5 1 1\n");
  EXPECT_CONTAINS(error_of([&] { read_matrix_market(path("f.mtx")); }), "f.mtx:3: invalid row index");
}

TEST_F(IoTest, MatrixMarketTooFewOrTooManyEntriesRejected) {
  write("few.mtx", "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n");
  EXPECT_CONTAINS(error_of([&] { read_matrix_market(path("few.mtx")); }),
                  "few.mtx:5: too few entries: 3 of the 4 declared");
  write("fewc.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 3\n1 1 1\n");
  EXPECT_CONTAINS(error_of([&] { read_matrix_market(path("fewc.mtx")); }), "too few entries: 1 of the 3");
  write("many.mtx", "%%MatrixMarket matrix array real general\n1 2\n1\n2\n3\n");
  EXPECT_CONTAINS(error_of([&] { read_matrix_market(path("many.mtx")); }),
                  "many.mtx:5: more entries than the 2 declared");
}

TEST_F(IoTest, MatrixMarketMalformedEntryRejected) {
  write("w.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1\n");
  EXPECT_CONTAINS(error_of([&] { read_matrix_market(path("w.mtx")); }),
                  "w.mtx:3: expected 'row column value'");
  write("v.mtx", "%%MatrixMarket matrix array real general\n1 1\nabc\n");
  EXPECT_CONTAINS(error_of([&] { read_matrix_market(path("v.mtx")); }), "v.mtx:3: non-numeric value 'abc'");
  write("d.mtx", "%%MatrixMarket matrix coordinate real symmetric\n2 2 2\n2 1 1\n1 2 1\n");
  EXPECT_CONTAINS(error_of([&] { read_matrix_market(path("d.mtx")); }), "d.mtx:4: duplicate entry (1, 2)");
}

TEST_F(IoTest, VectorFileErrorsNameTheLine) {
  write("v.csv", "x\n1\n2\nthree\n");
  EXPECT_CONTAINS(error_of([&] { read_vector(path("v.csv")); }), "v.csv:4: column 1: non-numeric field");
  write("w.csv", "1,2,3\n");
  EXPECT_CONTAINS(error_of([&] { read_vector(path("w.csv")); }), "w.csv:1: expected 'value' or");
  write("m.mtx", "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n");
  EXPECT_CONTAINS(error_of([&] { read_vector(path("m.mtx")); }), "must be n x 1 or 1 x n");
}

}  // namespace
}  // namespace lsgd
