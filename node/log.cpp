#include "node/log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "protocol/echo.h"

namespace allmenning {
namespace {

struct LevelInfo {
  LogLevel level;
  const char* name;   // config and option value
  const char* label;  // in plain lines
  int priority;       // syslog(3): LOG_ERR 3, LOG_WARNING 4, LOG_INFO 6, LOG_DEBUG 7
};

constexpr std::array<LevelInfo, 4> kLevels{{
    {LogLevel::kDebug, "debug", "DEBUG", 7},
    {LogLevel::kInfo, "info", "INFO", 6},
    {LogLevel::kWarn, "warn", "WARN", 4},
    {LogLevel::kError, "error", "ERROR", 3},
}};

const LevelInfo& infoOf(LogLevel level) {
  for (const LevelInfo& l : kLevels) {
    if (l.level == level) return l;
  }
  return kLevels[1];
}

// Writes all of `line`, retrying after a signal or a short write.
void writeAll(int fd, std::string_view line) {
  while (!line.empty()) {
    ssize_t n = ::write(fd, line.data(), line.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere left to log to
    line.remove_prefix(static_cast<size_t>(n));
  }
}

int64_t systemMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Parses a whole unsigned decimal number.
bool parseNumber(std::string_view text, uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace

Result<LogLevel> parseLogLevel(std::string_view text) {
  for (const LevelInfo& l : kLevels) {
    if (text == l.name) return l.level;
  }
  return Status::invalid("log level " + quote(text) + " is not one of debug, info, warn, error");
}

const char* logLevelName(LogLevel level) { return infoOf(level).name; }

int syslogPriority(LogLevel level) { return infoOf(level).priority; }

bool isJournalStream(const char* journalStream, int fd) {
  if (journalStream == nullptr) return false;
  std::string_view value(journalStream);
  size_t colon = value.find(':');
  uint64_t dev = 0, ino = 0;
  if (colon == value.npos || !parseNumber(value.substr(0, colon), dev) ||
      !parseNumber(value.substr(colon + 1), ino)) {
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  return static_cast<uint64_t>(st.st_dev) == dev && static_cast<uint64_t>(st.st_ino) == ino;
}

LogOptions stderrLogOptions(LogLevel level) {
  return LogOptions{level, isJournalStream(std::getenv("JOURNAL_STREAM"), 2)};
}

std::string isoTimeMs(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms % 1000));
  return buf;
}

Logger::Logger(int fd, LogOptions options, Clock clock)
    : fd_(fd),
      journal_(options.journal),
      level_(options.level),
      clock_(clock ? std::move(clock) : Clock(systemMs)) {}

std::string Logger::format(LogLevel level, std::string_view message) const {
  const LevelInfo& info = infoOf(level);
  std::string line;
  if (journal_) {
    line = "<" + std::to_string(info.priority) + ">";
  } else {
    line = isoTimeMs(clock_()) + " " + info.label + " ";
  }
  // One event is one line: a newline inside a message (a peer's text, a
  // path) must not start a line the journal would file apart.
  size_t start = line.size();
  line += message;
  for (size_t i = start; i < line.size(); ++i) {
    if (line[i] == '\n' || line[i] == '\r') line[i] = ' ';
  }
  return line;
}

void Logger::log(LogLevel level, std::string_view message) const {
  if (!enabled(level)) return;
  writeAll(fd_, format(level, message) + "\n");
}

LogSink Logger::sink() const {
  return [this](LogLevel level, std::string_view message) { log(level, message); };
}

LogSink stderrLog(Logger::Clock clock) {
  auto logger = std::make_shared<Logger>(2, stderrLogOptions(LogLevel::kInfo), std::move(clock));
  return [logger](LogLevel level, std::string_view message) { logger->log(level, message); };
}

}  // namespace allmenning
