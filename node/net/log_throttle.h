// One kind of log line that a flood must not turn into a flood of lines:
// the first in a second is written as it comes, the ones after it within
// that second are counted, and one line at the end of the second gives
// their count and the last of them.
//
//   p2p event=refused addr=127.0.1.2 reason="too many handshakes"
//   p2p event=refused_more count=483 last_addr=127.0.1.5 reason="too many handshakes"
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>  // before Asio: Boost 1.74 headers rely on it under g++ 12

#include "node/net/peer_connection.h"

namespace allmenning {

class LogThrottle {
 public:
  using Sink = std::function<void(const std::string&)>;
  // Lines are "p2p event=<event> <fields>" and "p2p event=<event>_more
  // count=N last_<fields>"; `fields` should start with a key ("addr=...").
  LogThrottle(boost::asio::io_context& io, MsClock clock, std::string event, Sink sink);

  void log(const std::string& fields);
  // Drops what is held back (the node is stopping).
  void cancel() { timer_.cancel(); }

 private:
  boost::asio::steady_timer timer_;
  MsClock clock_;
  std::string event_;
  Sink sink_;
  int64_t loggedAt_ = 0;   // clock ms of the last line
  uint64_t unlogged_ = 0;  // lines since, not yet written
  std::string last_;       // the latest of them
};

}  // namespace allmenning
