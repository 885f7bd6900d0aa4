// Sync over loopback between two RocksDB-backed nodes, and what it costs.
//
//   sync_bench [AUTHORS] [ENTRIES_PER_AUTHOR]   (default 50 400: 20,000 entries)
//
// 1. catch-up: an empty node B dials A and fetches every entry;
// 2. agreement: B reconnects while both hold the same logs, and we count the
//    bytes both sides exchange before the session is idle;
// 3. a small difference: A authors 100 entries and pushes them to B.
// It prints times, rates and bytes; it asserts nothing (docs/performance.md).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "node/net/p2p_node.h"
#include "storage/store.h"
#include "storage/store_log.h"
#include "tests/sim/sim_author.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const Hash kNet = networkId("sync-bench");

double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A node's storage: a RocksDB store and the sync log over it.
struct Body {
  explicit Body(const std::string& dir)
      : key(SecretKey::generate()),
        store(std::move(*Store::open(dir, kNet, Store::Mode::kCreate))),
        log(*store, nowMs) {}
  uint64_t entries() const {
    uint64_t n = 0;
    auto heads = store->heads();
    if (heads.isOk()) {
      for (const auto& [author, head] : *heads) n += head.seq;
    }
    return n;
  }
  std::unique_ptr<SecretKey> key;
  std::unique_ptr<Store> store;
  StoreLog log;
};

// A P2PNode over a Body, on its own thread.
class Runner {
 public:
  Runner(Body& body, std::vector<DialPeer> peers) {
    P2PConfig config;
    config.peers = std::move(peers);
    config.log = [](std::string_view) {};
    node_ = std::make_unique<P2PNode>(*body.key, kNet, body.log, PeerPolicy{}, std::move(config));
    Status st = node_->start();
    if (!st.isOk()) {
      std::fprintf(stderr, "sync_bench: %s\n", st.message().c_str());
      std::exit(1);
    }
    thread_ = std::thread([this] { node_->run(); });
  }
  ~Runner() {
    node_->stop();
    thread_.join();
  }
  DialPeer asPeer(const Body& body) const {
    return {"127.0.0.1", node_->localPort(), body.key->publicKey()};
  }
  P2PNode& node() { return *node_; }
  // The one connection's status, read on the node's thread.
  std::optional<PeerStatus> peer() {
    auto done = std::make_shared<std::promise<std::optional<PeerStatus>>>();
    auto result = done->get_future();
    node_->post([this, done] {
      auto all = node_->peerStatus();
      done->set_value(all.empty() ? std::nullopt : std::optional(all.front()));
    });
    return result.wait_for(5s) == std::future_status::ready ? result.get() : std::nullopt;
  }

 private:
  std::unique_ptr<P2PNode> node_;
  std::thread thread_;
};

bool waitFor(const std::function<bool()>& done, std::chrono::seconds limit) {
  auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

// Fills A with `authors` logs of `perAuthor` entries each, both nodes
// trusting every author; returns the authors.
std::vector<std::unique_ptr<testing::SimAuthor>> fill(Body& a, Body& b, int authors,
                                                      int perAuthor) {
  std::vector<std::unique_ptr<testing::SimAuthor>> out;
  auto start = Clock::now();
  for (int i = 0; i < authors; ++i) {
    out.push_back(std::make_unique<testing::SimAuthor>(kNet));
    (void)a.store->trust(out.back()->id(), "");
    (void)b.store->trust(out.back()->id(), "");
    for (int done = 0; done < perAuthor;) {
      std::vector<Entry> batch;
      for (; done < perAuthor && batch.size() < 256; ++done)
        batch.push_back(out.back()->next(nowMs()));
      if (!a.log.apply(std::move(batch)).isOk()) std::exit(1);
    }
  }
  std::printf("fill: %llu entries in %.2f s at A\n", static_cast<unsigned long long>(a.entries()),
              secondsSince(start));
  return out;
}

void report(const char* phase, double seconds, uint64_t entries, const PeerStatus& p) {
  std::printf("%s: %.3f s, %llu entries (%.0f entries/s), B read %llu B, B wrote %llu B\n", phase,
              seconds, static_cast<unsigned long long>(entries),
              seconds > 0 ? static_cast<double>(entries) / seconds : 0.0,
              static_cast<unsigned long long>(p.bytesIn),
              static_cast<unsigned long long>(p.bytesOut));
}

int run(int authors, int perAuthor) {
  if (!initCrypto().isOk()) return 1;
  testing::TempDir dir;
  Body a(dir / "a"), b(dir / "b");
  auto logs = fill(a, b, authors, perAuthor);
  Runner ra(a, {});
  const uint64_t total = a.entries();
  {
    auto start = Clock::now();
    Runner rb(b, {ra.asPeer(a)});
    if (!waitFor([&] { return b.entries() == total; }, 600s)) return 1;
    double took = secondsSince(start);
    report("catch-up", took, total, rb.peer().value_or(PeerStatus{}));
  }
  {
    // Agreement: the session opens, both send Heads, and nothing else is due.
    auto start = Clock::now();
    Runner rb(b, {ra.asPeer(a)});
    waitFor(
        [&] {
          auto p = rb.peer();
          return p && p->lagKnown;
        },
        30s);
    std::this_thread::sleep_for(1s);  // anything else would have been sent by now
    auto p = rb.peer().value_or(PeerStatus{});
    report("agreeing reconnect", secondsSince(start) - 1.0, 0, p);
    std::printf("  lag ahead=%llu behind=%llu\n", static_cast<unsigned long long>(p.ahead),
                static_cast<unsigned long long>(p.behind));

    auto before = p;
    auto added = Clock::now();
    std::vector<Entry> fresh;
    for (int i = 0; i < 100; ++i) fresh.push_back(logs.front()->next(nowMs()));
    ra.node().post([&ra, &a, fresh] {
      if (a.log.apply(fresh).isOk()) ra.node().publish(fresh);
    });
    if (!waitFor([&] { return b.entries() == total + 100; }, 60s)) return 1;
    double took = secondsSince(added);
    auto after = rb.peer().value_or(PeerStatus{});
    after.bytesIn -= before.bytesIn;
    after.bytesOut -= before.bytesOut;
    report("100 new entries", took, 100, after);
  }
  return 0;
}

}  // namespace
}  // namespace allmenning

int main(int argc, char** argv) {
  int authors = argc > 1 ? std::atoi(argv[1]) : 50;
  int perAuthor = argc > 2 ? std::atoi(argv[2]) : 400;
  if (authors <= 0 || perAuthor <= 0) {
    std::fprintf(stderr, "usage: sync_bench [AUTHORS] [ENTRIES_PER_AUTHOR]\n");
    return 2;
  }
  return allmenning::run(authors, perAuthor);
}
