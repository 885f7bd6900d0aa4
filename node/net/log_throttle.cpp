#include "node/net/log_throttle.h"

#include <algorithm>

namespace allmenning {

LogThrottle::LogThrottle(boost::asio::io_context& io, MsClock clock, std::string event, Sink sink)
    : timer_(io), clock_(std::move(clock)), event_(std::move(event)), sink_(std::move(sink)) {}

void LogThrottle::log(const std::string& fields) {
  int64_t now = clock_();
  if (unlogged_ == 0 && (loggedAt_ == 0 || now - loggedAt_ >= 1000)) {
    sink_("p2p event=" + event_ + " " + fields);
    loggedAt_ = now;
    return;
  }
  last_ = fields;
  if (unlogged_++ > 0) return;  // the timer is set already
  timer_.expires_after(std::chrono::milliseconds(1000 - std::min<int64_t>(1000, now - loggedAt_)));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    sink_("p2p event=" + event_ + "_more count=" + std::to_string(unlogged_) + " last_" + last_);
    loggedAt_ = clock_();
    unlogged_ = 0;
  });
}

}  // namespace allmenning
