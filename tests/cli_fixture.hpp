#pragma once
// The fixture of the lsgd CLI suites: runs the built binary in a temporary directory and captures
// exit status, stdout and stderr.
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace lsgd::cli_test {


namespace fs = std::filesystem;

// The binary under test: the one built with the suite, or $LSGD_CLI (to run the suite against
// another build, e.g. to check that a test fails on the code before a fix).
inline std::string cli_path() {
  const char* e = std::getenv("LSGD_CLI");
  return e != nullptr && *e != '\0' ? std::string(e) : std::string(LSGD_CLI_PATH);
}

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

inline size_t count_lines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "lsgd_test_cli_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  // Runs `lsgd <args>` in the temporary directory; args are passed through the shell.
  CliResult run(const std::string& args) const {
    const std::string cmd = "cd '" + dir_.string() + "' && '" + cli_path() + "' " + args +
                            " >cli_out.txt 2>cli_err.txt";
    const int st = std::system(cmd.c_str());
    CliResult r;
    r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r.out = slurp(dir_ / "cli_out.txt");
    r.err = slurp(dir_ / "cli_err.txt");
    fs::remove(dir_ / "cli_out.txt");
    fs::remove(dir_ / "cli_err.txt");
    return r;
  }
  // Runs a shell command line in the temporary directory (for redirections and pipes); returns
  // the exit status (-1 when killed by a signal).
  int shell(const std::string& cmdline) const {
    const int st = std::system(("cd '" + dir_.string() + "' && " + cmdline).c_str());
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name), std::ios::binary) << text;
  }
  // The files in the directory, for checks that nothing partial was left behind.
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  fs::path dir_;
};

// The numbers of the JSON array "key":[...] in s.
inline std::vector<double> json_array(const std::string& s, const std::string& key) {
  const size_t k = s.find("\"" + key + "\":[");
  if (k == std::string::npos) return {};
  std::vector<double> out;
  const char* p = s.c_str() + k + key.size() + 4;
  while (*p != ']' && *p != '\0') {
    char* end = nullptr;
    out.push_back(std::strtod(p, &end));
    if (end == p) return {};
    p = end;
    if (*p == ',') ++p;
  }
  return out;
}

#define EXPECT_CONTAINS(haystack, needle)                                          \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos)                 \
      << "expected '" << (needle) << "' in: " << (haystack)

// A usage error: status 2, nothing on stdout, one line "lsgd: error: ..." on stderr.
// (The argument is evaluated once: it is often the run itself.)
#define EXPECT_USAGE_ERROR(r)                                           \
  do {                                                                  \
    const ::lsgd::cli_test::CliResult& usage_r_ = (r);                  \
    EXPECT_EQ(usage_r_.code, 2) << usage_r_.err;                        \
    EXPECT_EQ(::lsgd::cli_test::count_lines(usage_r_.err), 1u) << usage_r_.err; \
    EXPECT_EQ(usage_r_.err.rfind("lsgd: error: ", 0), 0u) << usage_r_.err; \
  } while (0)

}  // namespace lsgd::cli_test

// The fixture and helpers every CLI test file uses, by their short names.
namespace lsgd {
using cli_test::CliResult;
using cli_test::CliTest;
using cli_test::count_lines;
using cli_test::json_array;
}  // namespace lsgd
