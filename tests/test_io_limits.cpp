// Peak memory of the readers (issue 14, item 8): a read may take at most 1.5x the dense matrix it
// produces + 64 MB, whatever the file declares. Measured in a fresh process (io_peak_helper).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/sanitizers.hpp"

namespace {

namespace fs = std::filesystem;

class IoLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (LSGD_TEST_ASAN) GTEST_SKIP() << "resident memory is not the reader's under AddressSanitizer";
    std::string tmpl = (fs::temp_directory_path() / "lsgd_test_io_limits_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  // Peak KiB of reading `file`, and the shape read.
  long peak_kib(const std::string& file, long long& m, long long& n) const {
    const std::string out = (dir_ / "peak.txt").string();
    const std::string cmd = "'" LSGD_PEAK_HELPER "' '" + (dir_ / file).string() + "' > '" + out + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    long kib = -1;
    std::ifstream(out) >> kib >> m >> n;
    return kib;
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  fs::path dir_;
};

double limit_kib(double dense_bytes) { return (1.5 * dense_bytes + 64.0 * 1024 * 1024) / 1024.0; }

// 4000 x 4000 declared, one entry: 128 MB dense. The old reader held the matrix, a "seen" array,
// and two copies (about 400 MB).
TEST_F(IoLimitsTest, SparseCoordinateFileDensifiesOnce) {
  write("a.mtx", "%%MatrixMarket matrix coordinate real general\n4000 4000 1\n1 1 5\n");
  long long m = 0, n = 0;
  const long kib = peak_kib("a.mtx", m, n);
  EXPECT_EQ(m, 4000);
  EXPECT_EQ(n, 3999);
  EXPECT_GT(kib, 0);
  EXPECT_LE(kib, limit_kib(4000.0 * 4000 * 8)) << "peak " << kib << " KiB";
}

TEST_F(IoLimitsTest, ArrayFileIsReadInPlace) {
  std::string text = "%%MatrixMarket matrix array real general\n3000 3000\n";
  text.reserve(text.size() + 2 * 9000000);
  for (int k = 0; k < 9000000; ++k) text += k % 7 == 0 ? "2\n" : "1\n";
  write("b.mtx", text);
  long long m = 0, n = 0;
  const long kib = peak_kib("b.mtx", m, n);
  EXPECT_EQ(m, 3000);
  EXPECT_LE(kib, limit_kib(3000.0 * 3000 * 8)) << "peak " << kib << " KiB";
}

TEST_F(IoLimitsTest, CsvIsParsedIntoItsFinalLayout) {
  const int rows = 500000, cols = 20;
  std::string text = "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,y\n";
  std::string row;
  for (int j = 0; j < cols; ++j) row += j + 1 < cols ? "1," : "3\n";
  text.reserve(text.size() + row.size() * rows);
  for (int i = 0; i < rows; ++i) text += row;
  write("c.csv", text);
  long long m = 0, n = 0;
  const long kib = peak_kib("c.csv", m, n);
  EXPECT_EQ(m, rows);
  EXPECT_EQ(n, cols - 1);
  EXPECT_LE(kib, limit_kib(double(rows) * cols * 8)) << "peak " << kib << " KiB";
}

}  // namespace
