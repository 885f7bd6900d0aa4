// A token bucket on an injected clock: up to `rate` tokens, refilled
// continuously at `rate` a second; negative while in debt. Holding at most
// one second's worth, a quiet peer cannot save up for a burst.
#pragma once

#include <algorithm>
#include <cstdint>

namespace allmenning {

class TokenBucket {
 public:
  // `rate` per second; zero: no limit.
  void start(double rate, int64_t nowMs) {
    rate_ = rate;
    tokens_ = rate;
    at_ = nowMs;
  }
  void take(double n, int64_t nowMs) {
    if (rate_ <= 0) return;
    refill(nowMs);
    tokens_ -= n;
  }
  // How long until the debt is paid; 0 when there is none.
  int64_t waitMs(int64_t nowMs) {
    if (rate_ <= 0) return 0;
    refill(nowMs);
    return tokens_ >= 0 ? 0 : static_cast<int64_t>(-tokens_ * 1000 / rate_) + 1;
  }

 private:
  void refill(int64_t nowMs) {
    tokens_ = std::min(rate_, tokens_ + rate_ * static_cast<double>(nowMs - at_) / 1000);
    at_ = nowMs;
  }

  double rate_ = 0;
  double tokens_ = 0;
  int64_t at_ = 0;
};

}  // namespace allmenning
