// The lsgd binary under hostile or careless use (issue 14): outputs that would destroy inputs,
// special files and symbolic links as outputs, a full stdout, signals during a write, permissions,
// unconverged solves, integer options that wrap, hostile Matrix Market sizes, control bytes.
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "lsgd/io.hpp"
#include "tests/cli_fixture.hpp"
#include "tests/sanitizers.hpp"

namespace lsgd {
namespace {

namespace fs = std::filesystem;

// A data or numerical error: status 1, one line "lsgd: ..." on stderr.
#define EXPECT_DATA_ERROR(r)                                   \
  do {                                                         \
    const CliResult& data_r_ = (r);                            \
    EXPECT_EQ(data_r_.code, 1) << data_r_.err;                 \
    EXPECT_EQ(count_lines(data_r_.err), 1u) << data_r_.err;    \
    EXPECT_EQ(data_r_.err.rfind("lsgd: ", 0), 0u) << data_r_.err; \
  } while (0)

class CliHostileTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    ASSERT_EQ(run("gen --m 60 --n 3 --seed 3 --output p.csv").code, 0);
    original_ = cli_test::slurp(path("p.csv"));
  }
  std::string original_;
};

// Item 1: an output naming an input (or another output) is refused before anything is written.
TEST_F(CliHostileTest, OutputThatIsTheInputIsRefused) {
  for (const char* out : {"p.csv", "./p.csv", "../" /* dir name follows */}) {
    std::string o = out;
    if (o == "../") o = "../" + dir_.filename().string() + "/p.csv";
    const CliResult r = run("solve --input p.csv --solver cpu.qr --output " + o);
    EXPECT_USAGE_ERROR(r);
    EXPECT_CONTAINS(r.err, "same file");
    EXPECT_EQ(cli_test::slurp(path("p.csv")), original_) << o;
  }
  ASSERT_EQ(symlink("p.csv", path("link.csv").c_str()), 0);
  const CliResult l = run("solve --input link.csv --solver cpu.qr --output p.csv");
  EXPECT_USAGE_ERROR(l);
  EXPECT_EQ(cli_test::slurp(path("p.csv")), original_);

  write("x.csv", "x\n1\n2\n3\n");
  const CliResult ref = run("solve --input p.csv --solver cpu.qr --reference x.csv --output x.csv");
  EXPECT_USAGE_ERROR(ref);
  EXPECT_EQ(cli_test::slurp(path("x.csv")), "x\n1\n2\n3\n");
}

TEST_F(CliHostileTest, GenOutputsThatCollideAreRefused) {
  const CliResult r = run("gen --m 20 --n 2 --output q.csv --x-output q.csv");
  EXPECT_USAGE_ERROR(r);
  EXPECT_CONTAINS(r.err, "--x-output and --output name the same file");
  EXPECT_FALSE(fs::exists(path("q.csv")));
  EXPECT_USAGE_ERROR(run("gen --m 20 --n 2 --output q.mtx --b-output ./q.mtx"));
  EXPECT_USAGE_ERROR(run("gen --m 20 --n 2 --output p.csv --x-output p.csv"));
  EXPECT_EQ(cli_test::slurp(path("p.csv")), original_);
}

// Item 2: a symbolic link is written through (the link stays a link), also when dangling.
TEST_F(CliHostileTest, SymlinkOutputIsWrittenThrough) {
  write("real.csv", "old\n");
  ASSERT_EQ(symlink("real.csv", path("link.csv").c_str()), 0);
  ASSERT_EQ(run("solve --input p.csv --solver cpu.qr --output link.csv").code, 0);
  EXPECT_TRUE(fs::is_symlink(path("link.csv")));
  EXPECT_EQ(read_vector(path("real.csv")).size(), 3u);

  fs::create_directory(path("sub"));
  ASSERT_EQ(symlink("sub/new.mtx", path("dangling.mtx").c_str()), 0);
  ASSERT_EQ(run("solve --input p.csv --solver cpu.qr --output dangling.mtx").code, 0);
  EXPECT_TRUE(fs::is_symlink(path("dangling.mtx")));
  EXPECT_EQ(read_vector(path("sub/new.mtx")).size(), 3u);
  for (const auto& f : files()) EXPECT_EQ(f.find(".tmp"), std::string::npos) << f;
}

// Item 2: a special file is written through, never replaced by a regular file.
TEST_F(CliHostileTest, FifoOutputIsWrittenThroughNotReplaced) {
  ASSERT_EQ(mkfifo(path("out.fifo").c_str(), 0600), 0);
  // A reader drains the FIFO; `timeout` ends it if lsgd never opens the FIFO for writing.
  const int code = shell("(timeout 30 cat out.fifo > got.csv &) ; '" + cli_test::cli_path() +
                         "' solve --input p.csv --solver cpu.qr --output out.fifo >/dev/null; "
                         "st=$?; wait; sleep 0.2; exit $st");
  EXPECT_EQ(code, 0);
  struct stat st {};
  ASSERT_EQ(lstat(path("out.fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  // The reader may still be finishing: wait for its file to hold the 4 lines (header + 3 values).
  for (int k = 0; k < 300 && count_lines(cli_test::slurp(path("got.csv"))) < 4; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(read_vector(path("got.csv")).size(), 3u);
}

// The device is a private node of /dev/full's kind (char 1,7) in the test directory: a regression
// (or this test run against the code before the fix, as root) replaces that node, not the system's.
TEST_F(CliHostileTest, WriteErrorOnADeviceIsReportedAndTheDeviceKept) {
  const std::string dev = path("full");
  if (mknod(dev.c_str(), S_IFCHR | 0666, makedev(1, 7)) != 0) {
    GTEST_SKIP() << "cannot create a device node here (not root, or a container without mknod)";
  }
  struct stat before {};
  ASSERT_EQ(stat(dev.c_str(), &before), 0);
  const CliResult r = run("solve --input p.csv --solver cpu.qr --output full");
  EXPECT_DATA_ERROR(r);
  EXPECT_CONTAINS(r.err, "full: write failed: No space left on device");
  EXPECT_TRUE(r.out.empty()) << r.out;
  struct stat after {};
  ASSERT_EQ(lstat(dev.c_str(), &after), 0);
  EXPECT_TRUE(S_ISCHR(after.st_mode));
  EXPECT_EQ(after.st_rdev, before.st_rdev);
  for (const auto& f : files()) EXPECT_EQ(f.find(".tmp"), std::string::npos) << f;
}

// Item 3: a report that cannot be written to stdout is a failure with one line on stderr.
TEST_F(CliHostileTest, FullStdoutExitsOne) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  for (const std::string args : {"list", "list --json", "solve --input p.csv --solver cpu.qr --json",
                                 "solve --input p.csv --solver cpu.qr", "gen --m 5 --n 2 --output q.csv"}) {
    const int code = shell("'" + cli_test::cli_path() + "' " + args + " >/dev/full 2>err.txt");
    const std::string err = cli_test::slurp(path("err.txt"));
    EXPECT_EQ(code, 1) << args << ": " << err;
    EXPECT_EQ(count_lines(err), 1u) << args << ": " << err;
    EXPECT_CONTAINS(err, "No space left on device");
  }
}

// Item 4: a signal during a long write removes the temporary file and leaves no output.
TEST_F(CliHostileTest, SignalDuringGenLeavesNoTemporary) {
  for (const int sig : {SIGINT, SIGTERM}) {
    const std::string out = path("big.csv");
    const std::string cli = cli_test::cli_path();
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      execl(cli.c_str(), "lsgd", "gen", "--gaussian", "--m", "300000", "--n", "10", "--output",
            out.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    // Wait (up to a minute, polling) for the temporary to appear, then interrupt the write.
    bool seen = false;
    for (int k = 0; k < 60000 && !seen; ++k) {
      for (const auto& f : files()) seen |= f.find("big.csv.tmp") != std::string::npos;
      if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_TRUE(seen) << "no temporary file seen while gen was writing";
    kill(pid, sig);
    int st = 0;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    if (seen) {
      EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == sig) << "status " << st;
    }
    EXPECT_EQ(files(), (std::vector<std::string>{"p.csv"})) << "signal " << sig;
    for (const auto& f : files()) {
      if (f != "p.csv") fs::remove(path(f));  // so that the next signal's check starts clean
    }
  }
}

// Item 5: a replaced file keeps its permission bits; a new file gets 0666 & ~umask, not mkstemp's 0600.
TEST_F(CliHostileTest, ReplacedOutputKeepsItsPermissions) {
  write("sol.csv", "old\n");
  ASSERT_EQ(chmod(path("sol.csv").c_str(), 0640), 0);
  ASSERT_EQ(run("solve --input p.csv --solver cpu.qr --output sol.csv").code, 0);
  EXPECT_EQ(fs::status(path("sol.csv")).permissions(),
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  EXPECT_EQ(read_vector(path("sol.csv")).size(), 3u);

  const mode_t mask = umask(022);
  umask(mask);
  ASSERT_EQ(run("solve --input p.csv --solver cpu.qr --output new.csv").code, 0);
  struct stat st {};
  ASSERT_EQ(stat(path("new.csv").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0666 & ~mask);
}

// Item 7: non-convergence is an error unless asked for; tol >= 1 and rcond < 0 are refused.
TEST_F(CliHostileTest, UnconvergedSolveExitsOneAndWritesNothing) {
  ASSERT_EQ(run("gen --m 200 --n 8 --kappa 1e4 --seed 1 --output k.csv").code, 0);
  const CliResult r = run("solve --input k.csv --solver cpu.gd --max-iters 5 --output sol.csv");
  EXPECT_DATA_ERROR(r);
  EXPECT_CONTAINS(r.err, "not converged within max_iters = 5");
  EXPECT_CONTAINS(r.err, "--allow-unconverged");
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_FALSE(fs::exists(path("sol.csv")));
  EXPECT_DATA_ERROR(run("solve --input k.csv --solver cpu.gd --max-iters 5 --json"));

  const CliResult a =
      run("solve --input k.csv --solver cpu.gd --max-iters 5 --allow-unconverged --output sol.csv --json");
  EXPECT_EQ(a.code, 0) << a.err;
  EXPECT_CONTAINS(a.out, "\"converged\":false");
  EXPECT_EQ(read_vector(path("sol.csv")).size(), 8u);
}

TEST_F(CliHostileTest, ToleranceAndCutoffOutOfRangeAreUsageErrors) {
  for (const char* bad : {"--tol 1", "--tol 5", "--tol 1e300", "--rcond -1", "--rcond -1e-9"}) {
    const CliResult r = run(std::string("solve --input p.csv --solver cpu.gd ") + bad);
    EXPECT_USAGE_ERROR(r);
  }
  EXPECT_CONTAINS(run("solve --input p.csv --solver cpu.gd --tol 1").err, "--tol: must be < 1");
  EXPECT_EQ(run("solve --input p.csv --solver cpu.cod --rcond 0").code, 0);
  // An underflowing value is a number (the nearest double), not "not a finite number".
  EXPECT_EQ(run("solve --input p.csv --solver cpu.gd --tol 1e-320 --max-iters 20 --allow-unconverged").code, 0);
}

// Item 9: integer options are range-checked on the full value, before narrowing to int.
TEST_F(CliHostileTest, IntegerOptionsDoNotWrap) {
  for (const char* bad : {"--max-iters 4294967297", "--threads 4294967298", "--threads 100000",
                          "--sgd-batch 4294967297", "--history-every 4294967296",
                          "--power-iters 4294967297", "--max-iters 99999999999999999999"}) {
    const CliResult r = run(std::string("solve --input p.csv --solver cpu.gd --tol 0 ") + bad);
    EXPECT_USAGE_ERROR(r);
    EXPECT_CONTAINS(r.err, "must be in");
  }
  EXPECT_USAGE_ERROR(run("gen --m 4294967297000 --n 2 --output q.csv"));
}

// Item 10: gen refuses a kappa its precision cannot hold, sizes beyond memory, and leaves no
// problem file when a later output fails.
TEST_F(CliHostileTest, GenRefusesWhatItCannotProduce) {
  EXPECT_USAGE_ERROR(run("gen --m 50 --n 5 --kappa 1e17 --output q.csv"));
  EXPECT_USAGE_ERROR(run("gen --m 50 --n 5 --kappa 1e8 --precision f32 --output q.csv"));
  EXPECT_EQ(run("gen --m 50 --n 5 --kappa 1e6 --precision f32 --output q.csv").code, 0);
  const CliResult big = run("gen --m 1000000000 --n 1999 --output q2.csv");
  EXPECT_USAGE_ERROR(big);
  EXPECT_FALSE(fs::exists(path("q2.csv")));
  const CliResult mem = run("gen --m 40000000 --n 40 --output q2.csv");  // 1.6e9 values: ~64 GB
  if (static_cast<double>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGE_SIZE) < 6.4e10) {
    EXPECT_USAGE_ERROR(mem);
    EXPECT_CONTAINS(mem.err, "GB of memory");
  }
  const CliResult x = run("gen --m 20 --n 2 --output r.csv --x-output missing_dir/x.csv");
  EXPECT_DATA_ERROR(x);
  EXPECT_FALSE(fs::exists(path("r.csv")));
  const CliResult b = run("gen --m 20 --n 2 --output r.mtx --b-output missing_dir/b.mtx");
  EXPECT_DATA_ERROR(b);
  EXPECT_FALSE(fs::exists(path("r.mtx")));
}

// Item 8: a tiny Matrix Market file cannot make the reader allocate what it declares.
TEST_F(CliHostileTest, HostileMatrixMarketSizesFailFast) {
  write("arr.mtx", "%%MatrixMarket matrix array real general\n20000 20000\n1\n");
  write("coo.mtx", "%%MatrixMarket matrix coordinate real general\n20000 20000 400000000\n1 1 1\n");
  for (const char* f : {"arr.mtx", "coo.mtx"}) {
    // 1 GB of address space: enough to run, far less than the 3.2 GB the file declares. (Not
    // under AddressSanitizer, which reserves terabytes of shadow address space.)
    const std::string limit = LSGD_TEST_ASAN ? "" : "ulimit -v 1000000; ";
    const int code = shell(limit + "'" + cli_test::cli_path() + "' solve --input " + std::string(f) +
                           " --solver cpu.qr >out.txt 2>err.txt");
    const std::string err = cli_test::slurp(path("err.txt"));
    EXPECT_EQ(code, 1) << f << ": " << err;
    EXPECT_EQ(count_lines(err), 1u) << err;
    EXPECT_CONTAINS(err, std::string("lsgd: ") + f + ":2: ");
    EXPECT_CONTAINS(err, "the file is only");
    EXPECT_EQ(err.find("out of memory"), std::string::npos) << err;
  }
}

// Item 11: control bytes and NULs never reach the terminal; UTF-16 input is named as such.
TEST_F(CliHostileTest, ControlBytesAreEscapedInMessages) {
  const CliResult r = run("solve --input p.csv --solver \"$(printf 'cpu.\\033[31mred\\a')\"");
  EXPECT_USAGE_ERROR(r);
  EXPECT_EQ(r.err.find('\033'), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\a'), std::string::npos) << r.err;
  EXPECT_CONTAINS(r.err, "\\x1b[31mred\\x07");

  write("bin.csv", std::string("a,y\n1,2\n3,\x01\x00\x1b", 13) + "\n");
  const CliResult b = run("solve --input bin.csv --solver cpu.qr");
  EXPECT_DATA_ERROR(b);
  EXPECT_EQ(b.err.find('\x1b'), std::string::npos) << b.err;
  EXPECT_CONTAINS(b.err, "\\x01\\x00\\x1b");
}

TEST_F(CliHostileTest, Utf16InputIsNamed) {
  const std::string text = "a,y\n1,2\n2,3\n";
  std::string le = "\xFF\xFE", be = "\xFE\xFF";
  for (char c : text) {
    le += c;
    le += '\0';
    be += '\0';
    be += c;
  }
  write("le.csv", le);
  write("be.mtx", be);
  for (const char* f : {"le.csv", "be.mtx"}) {
    const CliResult r = run(std::string("solve --solver cpu.qr --input ") + f);
    EXPECT_DATA_ERROR(r);
    EXPECT_CONTAINS(r.err, "UTF-16");
  }
}

// Item 11: a value beyond float's range, with --precision f32, is named by file, row and column.
TEST_F(CliHostileTest, F32OverflowNamesTheFileRowAndColumn) {
  write("big.csv", "a,b,y\n1,2,3\n4,1e39,6\n7,8,10\n");
  const CliResult r = run("solve --input big.csv --solver cpu.qr --precision f32");
  EXPECT_DATA_ERROR(r);
  EXPECT_CONTAINS(r.err, "big.csv: data row 2, column 2 of A ('b'): ");
  EXPECT_CONTAINS(r.err, "overflows f32 (largest 3.4e+38); use --precision f64");
  EXPECT_EQ(run("solve --input big.csv --solver cpu.qr").code, 0);
}

// Item 11: the library's "options.lipschitz" reaches the user as the option they can type.
TEST_F(CliHostileTest, LibraryOptionNamesAreShownAsCommandLineOptions) {
  write("z.csv", "a,b,y\n0,0,1\n0,0,2\n0,0,3\n");
  const CliResult r = run("solve --input z.csv --solver cpu.gd");
  EXPECT_DATA_ERROR(r);
  EXPECT_CONTAINS(r.err, "pass --lipschitz");
  EXPECT_EQ(r.err.find("options."), std::string::npos) << r.err;
}

// Item 8 and 11: a negative entry count is named as such, not as an "empty matrix".
TEST_F(CliHostileTest, NegativeEntryCountIsNamed) {
  write("n.mtx", "%%MatrixMarket matrix coordinate real general\n3 2 -1\n");
  const CliResult r = run("solve --input n.mtx --solver cpu.qr");
  EXPECT_DATA_ERROR(r);
  EXPECT_CONTAINS(r.err, "n.mtx:2: invalid number of entries -1 (must be >= 0)");
}

}  // namespace
}  // namespace lsgd
