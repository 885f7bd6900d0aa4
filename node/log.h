// The node's log: one line per event, on file descriptor 2.
//
// Two formats. On a terminal or in a file each line is
//
//   <UTC time with ms> <LEVEL> <message>
//
// Under systemd, when stderr is the journal's stream (JOURNAL_STREAM names
// it), each line is "<N><message>" instead: N is the syslog priority (3 for
// ERROR, 4 WARN, 6 INFO, 7 DEBUG), which journald reads and strips, and the
// time is left to journald, which records it.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "protocol/status.h"

namespace allmenning {

// In order of verbosity: a logger at kInfo writes kInfo, kWarn and kError.
enum class LogLevel { kDebug, kInfo, kWarn, kError };

// "debug", "info", "warn" or "error", as the config key log_level and the
// --log-level option take them; anything else is refused, naming the values.
Result<LogLevel> parseLogLevel(std::string_view text);
const char* logLevelName(LogLevel level);  // "info"
// The syslog priority journald files a line of this level under.
int syslogPriority(LogLevel level);

// One event, as a short message of `key=value` fields; the sink adds the
// time and the level, and drops what is below its level.
using LogSink = std::function<void(LogLevel, std::string_view message)>;

// True when `journalStream`, the value of $JOURNAL_STREAM ("<device>:<inode>"),
// names the file open on `fd`: then fd is connected to the journal. systemd
// sets the variable for the service's own stdout and stderr only, so a
// process whose stderr was redirected since still writes plain lines.
bool isJournalStream(const char* journalStream, int fd);

struct LogOptions {
  LogLevel level = LogLevel::kInfo;
  bool journal = false;  // syslog priority prefixes instead of time and level
};

// The options of the process's own stderr: journal format when
// $JOURNAL_STREAM names fd 2.
LogOptions stderrLogOptions(LogLevel level);

// A sink for `fd` (not owned; it must stay open while the sink is used).
// Each line is written with one write(2), so lines from several threads
// never interleave, and it stays on the process's own stream whatever a
// command does with its C++ streams. The level can be changed while the
// node runs (setLevel), from any thread.
class Logger {
 public:
  using Clock = std::function<int64_t()>;  // ms since the epoch
  Logger(int fd, LogOptions options, Clock clock);
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void log(LogLevel level, std::string_view message) const;
  bool enabled(LogLevel level) const { return level >= level_.load(); }
  void setLevel(LogLevel level) { level_ = level; }
  LogLevel level() const { return level_.load(); }
  // A LogSink that writes here; the Logger must outlive it.
  LogSink sink() const;
  // The line written for `message`, without the trailing '\n'.
  std::string format(LogLevel level, std::string_view message) const;

 private:
  int fd_;
  bool journal_;
  std::atomic<LogLevel> level_;
  Clock clock_;
};

// A sink on fd 2 at kInfo, in the format stderrLogOptions() picks.
LogSink stderrLog(Logger::Clock clock = {});
// "2026-11-23T19:30:00.123Z"
std::string isoTimeMs(int64_t ms);

}  // namespace allmenning
