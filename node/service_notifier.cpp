#include "node/service_notifier.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstring>

namespace allmenning {
namespace {

// Owns a socket descriptor and the address its datagrams go to.
class UnixNotifySocket final : public NotifySocket {
 public:
  UnixNotifySocket(int fd, const sockaddr_un& address, socklen_t length)
      : fd_(fd), address_(address), length_(length) {}
  ~UnixNotifySocket() override { ::close(fd_); }
  UnixNotifySocket(const UnixNotifySocket&) = delete;
  UnixNotifySocket& operator=(const UnixNotifySocket&) = delete;

  // MSG_DONTWAIT: the io thread sends the watchdog pings, and a receiver
  // that stopped reading must not stall the node's event loop.
  Status send(std::string_view datagram) override {
    for (;;) {
      ssize_t n = ::sendto(fd_, datagram.data(), datagram.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                           reinterpret_cast<const sockaddr*>(&address_), length_);
      if (n >= 0) return Status::ok();
      if (errno != EINTR) return Status::ioError(std::strerror(errno));
    }
  }

 private:
  int fd_;
  sockaddr_un address_;
  socklen_t length_;
};

// A whole positive decimal number, as systemd writes them.
bool parsePositive(std::string_view text, uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty() && out > 0;
}

}  // namespace

Result<std::unique_ptr<NotifySocket>> openNotifySocket(const std::string& address) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (address.empty() || (address[0] != '/' && address[0] != '@')) {
    return Status::invalid("NOTIFY_SOCKET \"" + address +
                           "\" is neither a path nor an abstract socket name (@…)");
  }
  if (address.size() > sizeof sa.sun_path) {
    return Status::invalid("NOTIFY_SOCKET is " + std::to_string(address.size()) +
                           " bytes long; a socket address holds at most " +
                           std::to_string(sizeof sa.sun_path));
  }
  std::memcpy(sa.sun_path, address.data(), address.size());
  // "@name" is "\0name": the abstract namespace, whose length is exact.
  if (address[0] == '@') sa.sun_path[0] = '\0';
  auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size() +
                                       (address[0] == '@' ? 0 : 1));
  if (address[0] != '@' && address.size() == sizeof sa.sun_path) {
    length = sizeof sa;  // a path that fills sun_path has no room for its NUL
  }
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::ioError(std::string("notify socket: ") + std::strerror(errno));
  return std::unique_ptr<NotifySocket>(new UnixNotifySocket(fd, sa, length));
}

ServiceNotifier::ServiceNotifier(std::unique_ptr<NotifySocket> socket,
                                 std::chrono::microseconds watchdogTimeout, LogSink log)
    : socket_(std::move(socket)), log_(std::move(log)) {
  using namespace std::chrono;
  if (watchdogTimeout.count() > 0) {
    // Half the timeout, as sd_watchdog_enabled(3) advises: one late ping
    // is not yet a missed one. At least 1 ms, so the loop never spins.
    watchdogInterval_ = std::max(milliseconds(1), duration_cast<milliseconds>(watchdogTimeout / 2));
  }
}

ServiceNotifier ServiceNotifier::fromEnvironment(const GetEnv& getenv, pid_t pid, LogSink log) {
  const char* address = getenv("NOTIFY_SOCKET");
  if (address == nullptr || *address == '\0') return ServiceNotifier();
  auto socket = openNotifySocket(address);
  if (!socket.isOk()) {
    if (log)
      log(LogLevel::kWarn,
          "systemd event=notify_unavailable reason=\"" + socket.status().message() + "\"");
    return ServiceNotifier();
  }
  std::chrono::microseconds timeout{0};
  const char* usec = getenv("WATCHDOG_USEC");
  const char* forPid = getenv("WATCHDOG_PID");
  uint64_t value = 0, target = 0;
  if (usec != nullptr && !parsePositive(usec, value)) {
    if (log)
      log(LogLevel::kWarn,
          "systemd event=watchdog_ignored reason=\"WATCHDOG_USEC is not a "
          "positive number\"");
  } else if (usec != nullptr && forPid != nullptr && !parsePositive(forPid, target)) {
    if (log)
      log(LogLevel::kWarn,
          "systemd event=watchdog_ignored reason=\"WATCHDOG_PID is not a "
          "process id\"");
  } else if (usec != nullptr && (forPid == nullptr || target == static_cast<uint64_t>(pid))) {
    // At most a day: a larger value would overflow nothing, but no unit
    // means it, and the ping interval stays a sane timer value.
    timeout = std::chrono::microseconds(std::min<uint64_t>(value, 86'400'000'000ULL));
  }
  return ServiceNotifier(std::move(*socket), timeout, std::move(log));
}

void ServiceNotifier::send(const std::string& datagram) {
  if (!socket_) return;
  Status st = socket_->send(datagram);
  if (!st.isOk() && log_ && !failureLogged_->exchange(true)) {
    log_(LogLevel::kWarn, "systemd event=notify_failed error=\"" + st.message() +
                              "\" (further failures are not logged)");
  }
}

void ServiceNotifier::starting(std::string_view status) {
  auto usec = std::chrono::duration_cast<std::chrono::microseconds>(kStartExtension).count();
  send("STATUS=" + std::string(status) + "\nEXTEND_TIMEOUT_USEC=" + std::to_string(usec));
}

void ServiceNotifier::ready(std::string_view status) {
  send("READY=1\nSTATUS=" + std::string(status));
}

// MONOTONIC_USEC tells systemd which reload this is (Type=notify-reload
// requires it; plain Type=notify ignores it).
void ServiceNotifier::reloading(std::string_view status) {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t usec =
      static_cast<uint64_t>(ts.tv_sec) * 1'000'000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
  send("RELOADING=1\nSTATUS=" + std::string(status) + "\nMONOTONIC_USEC=" + std::to_string(usec));
}

void ServiceNotifier::status(std::string_view status) { send("STATUS=" + std::string(status)); }

void ServiceNotifier::watchdog() { send("WATCHDOG=1"); }

void ServiceNotifier::stopping(std::string_view status) {
  send("STOPPING=1\nSTATUS=" + std::string(status));
}

std::string runningStatus(const std::string& listen, const std::vector<PeerStatus>& peers) {
  uint64_t ahead = 0;
  bool known = true;
  for (const PeerStatus& p : peers) {
    known = known && p.lagKnown;
    ahead += p.ahead;
  }
  std::string line = "listening on " + listen + "; " + std::to_string(peers.size()) +
                     (peers.size() == 1 ? " peer" : " peers");
  if (peers.empty()) return line;
  if (ahead > 0) return line + "; catching up: " + std::to_string(ahead) + " entries to fetch";
  return line + (known ? "; in step" : "; exchanging heads");
}

}  // namespace allmenning
