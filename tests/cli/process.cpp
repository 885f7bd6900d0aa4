#include "tests/cli/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

extern char** environ;

namespace allmenning::testing {
namespace {

using Clock = std::chrono::steady_clock;

// The argv array posix_spawn wants; points into `args`, which must outlive it.
std::vector<char*> cArgv(const std::vector<std::string>& args) {
  std::vector<char*> v;
  for (const auto& a : args) v.push_back(const_cast<char*>(a.c_str()));
  v.push_back(nullptr);
  return v;
}

// Owns a posix_spawn_file_actions_t.
class FileActions {
 public:
  FileActions() { posix_spawn_file_actions_init(&fa_); }
  ~FileActions() { posix_spawn_file_actions_destroy(&fa_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &fa_; }
  void open(int fd, const std::string& path, int flags) {
    posix_spawn_file_actions_addopen(&fa_, fd, path.empty() ? "/dev/null" : path.c_str(), flags,
                                     0644);
  }
  void dup(int from, int to) { posix_spawn_file_actions_adddup2(&fa_, from, to); }

 private:
  posix_spawn_file_actions_t fa_;
};

// Spawns argv with the given file actions; returns the pid, or -1.
pid_t spawn(const std::vector<std::string>& argv, FileActions& actions) {
  if (argv.empty()) return -1;
  auto args = cArgv(argv);
  pid_t pid = -1;
  if (posix_spawn(&pid, args[0], actions.get(), nullptr, args.data(), environ) != 0) return -1;
  return pid;
}

int waitFor(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

void closeFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Reads what is available on `fd` into `out`; closes it at end of file.
void drain(int& fd, std::string& out) {
  char buf[65536];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n > 0) {
    out.append(buf, static_cast<size_t>(n));
  } else if (n == 0 || errno != EINTR) {
    closeFd(fd);
  }
}

int msUntil(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// Reads both pipes until both close; kills `pid` if `deadline` passes first.
bool pumpOutput(pid_t pid, int outFd, int errFd, Clock::time_point deadline, ProcessResult& r) {
  bool killed = false;
  while (outFd >= 0 || errFd >= 0) {
    pollfd fds[2] = {{outFd, POLLIN, 0}, {errFd, POLLIN, 0}};
    int ready = ::poll(fds, 2, killed ? -1 : msUntil(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    if (ready == 0 && !killed) {
      ::kill(pid, SIGKILL);
      killed = true;
      continue;
    }
    if (fds[0].revents != 0) drain(outFd, r.out);
    if (fds[1].revents != 0) drain(errFd, r.err);
  }
  closeFd(outFd);
  closeFd(errFd);
  return killed;
}

void setResult(int status, ProcessResult& r) {
  if (WIFEXITED(status)) r.exitCode = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
}

}  // namespace

ProcessResult runProcess(const std::vector<std::string>& argv, const std::string& stdinPath,
                         std::chrono::milliseconds timeout) {
  ProcessResult r;
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return r;
  if (::pipe2(err, O_CLOEXEC) != 0) {
    closeFd(out[0]);
    closeFd(out[1]);
    return r;
  }
  FileActions actions;
  actions.open(0, stdinPath, O_RDONLY);
  actions.dup(out[1], 1);
  actions.dup(err[1], 2);
  pid_t pid = spawn(argv, actions);
  closeFd(out[1]);
  closeFd(err[1]);
  if (pid < 0) {
    closeFd(out[0]);
    closeFd(err[0]);
    r.err = "cannot start " + (argv.empty() ? std::string("(nothing)") : argv[0]);
    return r;
  }
  r.timedOut = pumpOutput(pid, out[0], err[0], Clock::now() + timeout, r);
  setResult(waitFor(pid), r);
  return r;
}

std::string describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exitCode) + ", signal " + std::to_string(r.signal) +
         (r.timedOut ? ", timed out" : "") + "\nstdout: " + r.out.substr(0, 4000) +
         "\nstderr: " + r.err.substr(0, 4000);
}

std::vector<std::string> linesOf(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv,
                                     const std::string& stderrPath) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return;
  // A roomy pipe, so the child rarely blocks on output while the test sleeps.
  ::fcntl(out[0], F_SETPIPE_SZ, 1 << 20);
  FileActions actions;
  actions.open(0, "", O_RDONLY);
  actions.dup(out[1], 1);
  actions.open(2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC);
  pid_ = spawn(argv, actions);
  closeFd(out[1]);
  outFd_ = out[0];
  if (pid_ < 0) closeFd(outFd_);
  eof_ = pid_ < 0;
}

BackgroundProcess::~BackgroundProcess() {
  if (pid_ > 0 && !reaped_) {
    kill(SIGKILL);
    wait();
  }
  closeFd(outFd_);
}

bool BackgroundProcess::fill(std::chrono::milliseconds timeout) {
  pollfd fd{outFd_, POLLIN, 0};
  int ready = ::poll(&fd, 1, static_cast<int>(timeout.count()));
  if (ready <= 0) return false;
  drain(outFd_, buffered_);
  eof_ = outFd_ < 0;
  return true;
}

bool BackgroundProcess::readLine(std::string* line, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    size_t nl = buffered_.find('\n');
    if (nl != std::string::npos) {
      line->assign(buffered_, 0, nl);
      buffered_.erase(0, nl + 1);
      return true;
    }
    if (eof_) return false;
    int left = msUntil(deadline);
    if (!fill(std::chrono::milliseconds(left)) && left == 0) return false;
  }
}

void BackgroundProcess::kill(int sig) {
  if (pid_ > 0 && !reaped_) ::kill(pid_, sig);
}

int BackgroundProcess::wait() {
  if (pid_ > 0 && !reaped_) {
    status_ = waitFor(pid_);
    reaped_ = true;
  }
  return status_;
}

}  // namespace allmenning::testing
