// Writing a file so that a reader never sees a partial result: a temporary created with mkstemp next
// to the (symlink-resolved) target, written, flushed and renamed over it with the old file's
// permission bits. Special files (devices, FIFOs) are written through instead, since renaming over
// them would replace the device node. Temporaries are listed where a signal handler can remove them.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

#include "core/io_detail.hpp"
#include "lsgd/error.hpp"
#include "lsgd/io.hpp"

namespace lsgd {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& msg) {
  throw InvalidInput(path + ": " + msg);
}

// Temporaries in flight, readable from a signal handler: a slot is published by setting its flag
// after the name is complete, and retired by clearing the flag before the name may change.
constexpr int kSlots = 16;
constexpr size_t kPathMax = 4096;
char g_tmp_names[kSlots][kPathMax];
volatile std::sig_atomic_t g_tmp_used[kSlots];
std::mutex g_tmp_mutex;

int register_temporary(const std::string& name) {
  if (name.size() >= kPathMax) return -1;
  std::lock_guard<std::mutex> lock(g_tmp_mutex);
  for (int k = 0; k < kSlots; ++k) {
    if (g_tmp_used[k] == 0) {
      std::memcpy(g_tmp_names[k], name.c_str(), name.size() + 1);
      std::atomic_signal_fence(std::memory_order_seq_cst);
      g_tmp_used[k] = 1;
      return k;
    }
  }
  return -1;  // more concurrent writers than slots: that temporary is not cleaned on a signal
}

void unregister_temporary(int slot) {
  if (slot < 0) return;
  std::lock_guard<std::mutex> lock(g_tmp_mutex);
  g_tmp_used[slot] = 0;
  std::atomic_signal_fence(std::memory_order_seq_cst);
}

std::string parent_of(const std::string& p) {
  const size_t slash = p.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : p.substr(0, slash);
}

// Follows symbolic links (relative ones against the link's directory) to the file a write lands in.
std::string resolve_links(const std::string& path) {
  std::string cur = path;
  for (int depth = 0; depth < 40; ++depth) {
    struct stat st {};
    if (::lstat(cur.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return cur;
    std::string buf(kPathMax, '\0');
    const ssize_t n = ::readlink(cur.c_str(), buf.data(), buf.size() - 1);
    if (n < 0) fail(path, std::string("cannot read the symbolic link: ") + std::strerror(errno));
    buf.resize(static_cast<size_t>(n));
    cur = !buf.empty() && buf[0] == '/' ? buf : parent_of(cur) + "/" + buf;
  }
  fail(path, "cannot write: too many levels of symbolic links");
}

mode_t default_mode() {
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return 0666 & ~mask;
}

// Runs fn on f, then flushes and closes it; returns 0 or the errno of the first failure.
int write_and_close(std::FILE* f, const std::function<void(std::FILE*)>& fn) {
  try {
    fn(f);
  } catch (...) {
    std::fclose(f);
    throw;
  }
  int err = 0;
  if (std::fflush(f) != 0 || std::ferror(f) != 0) err = errno != 0 ? errno : EIO;
  if (std::fclose(f) != 0 && err == 0) err = errno != 0 ? errno : EIO;
  return err;
}

void write_through(const std::string& path, const std::string& target,
                   const std::function<void(std::FILE*)>& fn) {
  const int fd = ::open(target.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) fail(path, std::string("cannot write: ") + std::strerror(errno));
  std::FILE* f = ::fdopen(fd, "wb");
  if (f == nullptr) {
    const int e = errno;
    ::close(fd);
    fail(path, std::string("cannot write: ") + std::strerror(e));
  }
  errno = 0;
  const int err = write_and_close(f, fn);
  if (err != 0) fail(path, std::string("write failed: ") + std::strerror(err));
}

}  // namespace

// Dekker-style handshake between a signal handler on any thread and the writer creating a
// temporary: each side writes its flag, then reads the other's, so at least one of them sees the
// signal while no temporary is unlisted (both may; raising twice is harmless).
static volatile std::sig_atomic_t g_creating = 0;
static volatile std::sig_atomic_t g_pending_signal = 0;

bool defer_signal_during_creation(int sig) noexcept {
  g_pending_signal = sig;
  std::atomic_thread_fence(std::memory_order_seq_cst);
  return g_creating != 0;
}

void remove_temporary_files() noexcept {
  for (int k = 0; k < kSlots; ++k) {
    if (g_tmp_used[k] != 0) ::unlink(g_tmp_names[k]);
  }
}

struct OutputSet::Staged {
  std::string path;    // as the user named it, for messages
  std::string tmp;     // the temporary, renamed over target by commit()
  std::string target;  // the symlink-resolved destination
  int slot = -1;
};

OutputSet::OutputSet() = default;

OutputSet::~OutputSet() {
  for (const Staged& s : staged_) {
    ::unlink(s.tmp.c_str());
    unregister_temporary(s.slot);
  }
}

void OutputSet::write(const std::string& path, const std::function<void(std::FILE*)>& fn) {
  if (path.empty()) throw InvalidInput("output path is empty");
  const std::string target = resolve_links(path);
  struct stat st {};
  const bool exists = ::stat(target.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) fail(path, "cannot write: is a directory");
  if (exists && !S_ISREG(st.st_mode)) {
    write_through(path, target, fn);
    return;
  }
  Staged s{path, target + ".tmpXXXXXX", target, -1};
  // The temporary must be listed before a signal can find it unlisted: hold the signals that
  // remove temporaries between its creation and its registration.
  sigset_t block, old;
  sigemptyset(&block);
  for (const int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&block, sig);
  // Held on this thread by the mask; on any other thread, deferred by the handshake with the handler.
  pthread_sigmask(SIG_BLOCK, &block, &old);
  g_creating = 1;
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (g_pending_signal != 0) {  // a handler already ran (or is running): create nothing, die with it
    g_creating = 0;
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    std::raise(g_pending_signal);
    fail(path, "interrupted by a signal");
  }
  const int fd = ::mkstemp(s.tmp.data());
  const int mkstemp_errno = errno;
  if (fd >= 0) s.slot = register_temporary(s.tmp);
  g_creating = 0;
  std::atomic_thread_fence(std::memory_order_seq_cst);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (g_pending_signal != 0) std::raise(g_pending_signal);  // the handler now finds it listed
  if (fd < 0) fail(path, std::string("cannot write: ") + std::strerror(mkstemp_errno));
  auto discard = [&s] {
    ::unlink(s.tmp.c_str());
    unregister_temporary(s.slot);
  };
  const mode_t mode = exists ? (st.st_mode & 07777) : default_mode();
  std::FILE* f = ::fdopen(fd, "wb");
  if (f == nullptr || ::fchmod(fd, mode) != 0) {
    const int e = errno;
    if (f != nullptr) {
      std::fclose(f);
    } else {
      ::close(fd);
    }
    discard();
    fail(path, std::string("cannot write: ") + std::strerror(e));
  }
  int err = 0;
  try {
    errno = 0;
    err = write_and_close(f, fn);
  } catch (...) {
    discard();
    throw;
  }
  if (err != 0) {
    discard();
    fail(path, std::string("write failed: ") + std::strerror(err));
  }
  staged_.push_back(std::move(s));
}

void OutputSet::commit() {
  // Renames cannot be undone, so every output was written in full before the first one.
  while (!staged_.empty()) {
    Staged& s = staged_.front();
    if (::rename(s.tmp.c_str(), s.target.c_str()) != 0) {
      const int e = errno;
      fail(s.path, std::string("cannot rename the temporary file into place: ") + std::strerror(e));
    }
    unregister_temporary(s.slot);
    staged_.erase(staged_.begin());
  }
}

namespace detail {

void write_atomically(const std::string& path, const std::function<void(std::FILE*)>& fn,
                      OutputSet* set) {
  if (set != nullptr) {
    set->write(path, fn);
    return;
  }
  OutputSet one;
  one.write(path, fn);
  one.commit();
}

}  // namespace detail
}  // namespace lsgd
