// Runs the real `allmenning` binary (or any program) as a child process for
// end-to-end tests: argv only, never a shell, so arguments need no quoting.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace allmenning::testing {

// The outcome of a finished child.
struct ProcessResult {
  int exitCode = -1;      // exit status, or -1 when the child died by a signal
  int signal = 0;         // the signal that ended the child, 0 if it exited
  bool timedOut = false;  // the deadline passed and the child was killed
  std::string out;        // everything written to stdout
  std::string err;        // everything written to stderr
};

// Runs argv[0] (a path; PATH is not searched) with argv, stdin read from
// `stdinPath` (or /dev/null when empty), and waits for it. Both output pipes
// are drained together, so a child writing much to either cannot block.
// A child still running after `timeout` is killed and reported as timedOut.
ProcessResult runProcess(const std::vector<std::string>& argv, const std::string& stdinPath = "",
                         std::chrono::milliseconds timeout = std::chrono::seconds(120));

// "exit 2, stderr: ..." for test failure messages.
std::string describe(const ProcessResult& r);
// The lines of `text`, without their '\n'.
std::vector<std::string> linesOf(const std::string& text);
// "a b c" -> {"a", "b", "c"}: an argv written as one string.
std::vector<std::string> words(const std::string& text);

// A child running in the background whose stdout is read line by line, so a
// test can kill it at a chosen moment. Its stderr goes to `stderrPath` (or
// /dev/null when empty). The destructor kills and reaps a child still alive.
class BackgroundProcess {
 public:
  explicit BackgroundProcess(const std::vector<std::string>& argv,
                             const std::string& stderrPath = "");
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  // True when the child was started.
  bool started() const { return pid_ > 0; }
  // Waits up to `timeout` for one complete line (without its '\n'). Returns
  // false on timeout or at end of output; a partial last line is dropped,
  // as the child never finished printing it.
  bool readLine(std::string* line, std::chrono::milliseconds timeout);
  // True once the child closed its stdout and every line was read.
  bool atEnd() const { return eof_ && buffered_.find('\n') == std::string::npos; }
  // Sends `sig` to the child (no effect once it has been reaped).
  void kill(int sig);
  // Waits for the child to end and returns its raw waitpid() status.
  int wait();

 private:
  bool fill(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int outFd_ = -1;
  bool eof_ = false;
  bool reaped_ = false;
  int status_ = 0;
  std::string buffered_;
};

}  // namespace allmenning::testing
