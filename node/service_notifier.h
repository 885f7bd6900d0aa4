// Telling systemd how the node is doing: the $NOTIFY_SOCKET protocol of
// sd_notify(3), spoken directly rather than through libsystemd.
//
// A unit of Type=notify starts the node with $NOTIFY_SOCKET naming a Unix
// datagram socket: a path, or "@name" in the abstract namespace. Each message
// is one datagram of newline-separated "KEY=value" assignments:
//
//   STATUS=<text>            a line `systemctl status` shows
//   EXTEND_TIMEOUT_USEC=<n>  start-up goes on: wait n µs more before failing
//   READY=1                  start-up done; `systemctl start` returns
//   WATCHDOG=1               still alive; expected within $WATCHDOG_USEC
//   RELOADING=1              reloading the config (SIGHUP); READY=1 ends it
//   STOPPING=1               shutting down
//
//   start ──STATUS/EXTEND──▶ starting ──READY──▶ running ──STOPPING──▶ stopping
//                                                 │  ▲ │  ▲
//                                                 └──┘ │  └─READY── reloading
//                                     WATCHDOG, STATUS └──RELOADING──▶
//
// Without $NOTIFY_SOCKET (not under systemd, or a unit of another type) the
// notifier does nothing. A failed send is logged once and never stops the
// node: systemd notices a missing READY or WATCHDOG by itself.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "node/log.h"
#include "node/network_view.h"
#include "protocol/status.h"

namespace allmenning {

// Where the datagrams go: the seam tests replace.
class NotifySocket {
 public:
  virtual ~NotifySocket() = default;
  // Sends one datagram, without blocking.
  virtual Status send(std::string_view datagram) = 0;
};

// A Unix datagram socket aimed at `address` (a path, or "@name" for the
// abstract namespace). Refuses an empty address, another kind ("vsock:…"),
// or one longer than a socket address holds.
Result<std::unique_ptr<NotifySocket>> openNotifySocket(const std::string& address);

class ServiceNotifier {
 public:
  // The environment variable of `name`, or nullptr; std::getenv in `run`.
  using GetEnv = std::function<const char*(const char* name)>;

  // A notifier that sends nothing.
  ServiceNotifier() = default;
  // Sends to `socket`. A positive `watchdogTimeout` asks for WATCHDOG=1 at
  // half of it (watchdogInterval()).
  ServiceNotifier(std::unique_ptr<NotifySocket> socket, std::chrono::microseconds watchdogTimeout,
                  LogSink log);
  // From $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID: the watchdog is
  // asked for only when WATCHDOG_USEC is a positive number and WATCHDOG_PID
  // is absent or `pid`. Values it cannot use are logged and ignored.
  static ServiceNotifier fromEnvironment(const GetEnv& getenv, pid_t pid, LogSink log);
  ServiceNotifier(ServiceNotifier&&) = default;
  ServiceNotifier& operator=(ServiceNotifier&&) = default;

  bool enabled() const { return socket_ != nullptr; }
  // How often to call watchdog(); zero when no watchdog was asked for.
  std::chrono::milliseconds watchdogInterval() const { return watchdogInterval_; }

  // Thread-safe; each sends one datagram when enabled.
  //
  // Start-up work in progress; also extends the start timeout by
  // kStartExtension, so a long index rebuild is not killed as a hung start.
  void starting(std::string_view status);
  void ready(std::string_view status);
  void status(std::string_view status);
  void watchdog();
  // The config is being reloaded; ready() says when that is done.
  void reloading(std::string_view status);
  void stopping(std::string_view status);

  static constexpr std::chrono::seconds kStartExtension{90};

 private:
  void send(const std::string& datagram);

  std::unique_ptr<NotifySocket> socket_;
  std::chrono::milliseconds watchdogInterval_{0};
  LogSink log_;
  std::unique_ptr<std::atomic<bool>> failureLogged_ = std::make_unique<std::atomic<bool>>(false);
};

// One line for STATUS= while running: the open sessions, and whether this
// node lacks entries its peers hold ("catching up") or not.
std::string runningStatus(const std::string& listen, const std::vector<PeerStatus>& peers);

}  // namespace allmenning
