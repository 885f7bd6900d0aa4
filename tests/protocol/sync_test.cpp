// SyncSession between two in-memory nodes. MemoryLog's acceptance rules are
// tested with the RocksDB store's in tests/storage/store_log_test.cpp.
#include "protocol/sync.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>

#include "protocol/case_json.h"
#include "protocol/memory_log.h"
#include "tests/sim/sim_author.h"

namespace allmenning {
namespace {

using testing::SimAuthor;

const Hash& net() {
  static const Hash h = networkId("sync-test");
  return h;
}

// Two nodes with one session each, joined by an in-order, lossless link.
// Every message goes through encodeMessage/decodeMessage.
struct Pair {
  Pair() = default;
  explicit Pair(SyncConfig c) : config(c) {}

  SyncConfig config{1000, 2000, 8, 65536};
  MemoryLog log[2] = {MemoryLog(net()), MemoryLog(net())};
  SyncSession session[2] = {SyncSession(log[0], config), SyncSession(log[1], config)};
  std::deque<std::pair<int, Bytes>> queue;  // (receiver, bytes)
  std::map<std::string, int> sent[2];       // message name -> count, by sender
  std::vector<Message> log_of[2];           // messages sent, by sender
  std::optional<PeerError> disconnect[2];
  std::vector<ForkProof> forks[2];
  int64_t now = 0;

  void handle(int from, Effects fx) {
    for (const Message& m : fx.send) {
      ++sent[from][messageName(m)];
      log_of[from].push_back(m);
      queue.emplace_back(1 - from, encodeMessage(m));
    }
    for (const ForkProof& p : fx.forks) forks[from].push_back(p);
    if (fx.disconnect) disconnect[from] = fx.disconnect;
  }
  void connect() {
    handle(0, session[0].onConnected(now));
    handle(1, session[1].onConnected(now));
  }
  // Delivers until nothing is queued, or `limit` messages.
  // An empty queue is drained output: each session may send what it held
  // back (the next page of its Heads).
  void run(int limit = 10000) {
    while (limit-- > 0) {
      if (queue.empty()) {
        for (int side : {0, 1}) handle(side, session[side].onDrained(now));
        if (queue.empty()) return;
      }
      auto [to, bytes] = std::move(queue.front());
      queue.pop_front();
      handle(to, session[to].onBytes(bytes, now));
    }
  }
  void tick(int64_t advance) {
    now += advance;
    handle(0, session[0].onTick(now));
    handle(1, session[1].onTick(now));
  }
  void inject(int to, const Message& m) { handle(to, session[to].onMessage(m, now)); }
  int total(int from) const {
    int n = 0;
    for (const auto& [name, count] : sent[from]) n += count;
    return n;
  }
};

class SyncTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(initCrypto().isOk()); }
};

void applyAll(MemoryLog& log, const std::vector<Entry>& entries) {
  auto r = log.apply(entries);
  ASSERT_TRUE(r.isOk());
  for (const auto& o : *r) ASSERT_EQ(o.outcome, Outcome::kAccepted) << o.status.message();
}

std::vector<Entry> authored(SimAuthor& a, int n) {
  std::vector<Entry> out;
  for (int i = 0; i < n; ++i) out.push_back(a.nextRetract(i));
  return out;
}

TEST_F(SyncTest, AgreeingPeersExchangeOnlyHeads) {
  Pair p;
  SimAuthor a(net()), b(net());
  auto ea = authored(a, 5), eb = authored(b, 3);
  for (auto& log : p.log) applyAll(log, ea), applyAll(log, eb);
  p.connect();
  p.run();
  p.tick(1000);  // one anti-entropy round
  p.run();
  for (int side : {0, 1}) {
    EXPECT_EQ(p.sent[side]["Hello"], 1);
    EXPECT_EQ(p.sent[side]["Heads"], 2);
    EXPECT_EQ(p.total(side), 3) << "side " << side;
    EXPECT_EQ(p.session[side].state(), SessionState::kOpen);
  }
}

std::vector<AuthorHead> headsIn(const Effects& fx, int* messages) {
  std::vector<AuthorHead> out;
  *messages = 0;
  for (const Message& m : fx.send) {
    if (const auto* h = std::get_if<Heads>(&m)) {
      ++*messages;
      out.insert(out.end(), h->heads.begin(), h->heads.end());
    }
  }
  return out;
}

// Heads go out a page at a time: the next page only once the output has
// drained, so a node with many authors never queues them all at once (the
// peer's backlog bound would close the session). A round in progress is
// not restarted by the heads interval.
TEST_F(SyncTest, HeadsArePagedOneAtATimeAsTheOutputDrains) {
  Pair p;
  const size_t kAuthors = 2 * kMaxHeadsPerMessage + 10;
  std::vector<Entry> entries;
  for (size_t i = 0; i < kAuthors; ++i) {
    SimAuthor a(net());
    entries.push_back(a.nextRetract(0));
  }
  applyAll(p.log[0], entries);
  SyncSession& s = p.session[0];
  int messages = 0;
  std::vector<AuthorHead> got = headsIn(s.onConnected(0), &messages);
  EXPECT_EQ(messages, 1);
  EXPECT_EQ(got.size(), kMaxHeadsPerMessage);
  EXPECT_TRUE(s.sendingHeads());
  // The interval passes while the first page waits in the queue.
  headsIn(s.onTick(5000), &messages);
  EXPECT_EQ(messages, 0);
  for (size_t expect : {kMaxHeadsPerMessage, size_t{10}}) {
    auto page = headsIn(s.onDrained(5000), &messages);
    EXPECT_EQ(messages, 1);
    EXPECT_EQ(page.size(), expect);
    got.insert(got.end(), page.begin(), page.end());
  }
  EXPECT_FALSE(s.sendingHeads());
  headsIn(s.onDrained(5000), &messages);
  EXPECT_EQ(messages, 0);
  EXPECT_EQ(got, *p.log[0].heads());
  // The next interval starts a new round from the first author.
  auto again = headsIn(s.onTick(10'000), &messages);
  EXPECT_EQ(messages, 1);
  ASSERT_EQ(again.size(), kMaxHeadsPerMessage);
  EXPECT_EQ(again.front(), got.front());
}

// An exact multiple of the page: no empty page after the last full one,
// but an empty log still sends one empty Heads.
TEST_F(SyncTest, HeadsOfAFullLastPageEndWithoutAnEmptyOne) {
  Pair p;
  int messages = 0;
  EXPECT_TRUE(headsIn(p.session[1].onConnected(0), &messages).empty());
  EXPECT_EQ(messages, 1);
  EXPECT_FALSE(p.session[1].sendingHeads());
  std::vector<Entry> entries;
  for (size_t i = 0; i < kMaxHeadsPerMessage; ++i) {
    SimAuthor a(net());
    entries.push_back(a.nextRetract(0));
  }
  applyAll(p.log[0], entries);
  EXPECT_EQ(headsIn(p.session[0].onConnected(0), &messages).size(), kMaxHeadsPerMessage);
  EXPECT_TRUE(p.session[0].sendingHeads());
  headsIn(p.session[0].onDrained(0), &messages);
  EXPECT_EQ(messages, 0);
  EXPECT_FALSE(p.session[0].sendingHeads());
}

// A node that holds authoring (node/authoring_hold.cpp) learns from the
// peer's Heads how far the peer holds its own log, and fetches the rest.
TEST_F(SyncTest, SessionKeepsWhatThePeerShowsOfItsOwnLog) {
  SimAuthor self(net()), other(net());
  SyncConfig config{1000, 2000, 8, 65536};
  config.self = self.id();
  Pair p(config);
  auto mine = authored(self, 4);
  applyAll(p.log[0], {mine[0], mine[1]});  // restored from an old copy
  applyAll(p.log[1], mine);
  applyAll(p.log[1], authored(other, 2));
  EXPECT_FALSE(p.session[0].selfHead().has_value());
  p.connect();
  p.run();
  auto shown = p.session[0].selfHead();
  ASSERT_TRUE(shown.has_value());
  EXPECT_EQ(shown->seq, 4u);
  EXPECT_EQ(shown->hash, mine[3].hash);
  EXPECT_EQ(p.log[0].head(self.id())->seq, 4u) << "its own entries came back";
  // Without config.self nothing is kept.
  Pair plain;
  applyAll(plain.log[1], mine);
  plain.connect();
  plain.run();
  EXPECT_FALSE(plain.session[0].selfHead().has_value());
}

TEST_F(SyncTest, MissingEntriesArriveInBoundedBatches) {
  Pair p;
  SimAuthor a(net());
  auto entries = authored(a, 600);
  applyAll(p.log[0], entries);
  p.connect();
  p.run();
  EXPECT_EQ(p.log[1].head(a.id())->seq, 600u);
  EXPECT_EQ(p.log[1].head(a.id())->hash, entries.back().hash);
  EXPECT_EQ(p.sent[1]["Want"], 3);  // 256 + 256 + 88
  for (const Message& m : p.log_of[1]) {
    if (auto* w = std::get_if<Want>(&m)) {
      EXPECT_LE(w->toSeq - w->fromSeq + 1, kMaxWantRange);
    }
  }
  for (const Message& m : p.log_of[0]) {
    if (auto* e = std::get_if<Entries>(&m)) {
      EXPECT_LE(e->entries.size(), kMaxEntriesPerMessage);
    }
  }
  EXPECT_FALSE(p.disconnect[0] || p.disconnect[1]);
}

TEST_F(SyncTest, PushedEntryAfterAGapFetchesTheGap) {
  Pair p;
  SimAuthor a(net());
  auto entries = authored(a, 6);
  applyAll(p.log[0], entries);
  applyAll(p.log[1], {entries.begin(), entries.begin() + 3});
  p.connect();
  // Deliver only the Hellos, so the gap is found by the push, not by Heads.
  p.queue.erase(std::remove_if(p.queue.begin(), p.queue.end(),
                               [](const auto& q) {
                                 auto m = decodeMessage(q.second);
                                 return !std::holds_alternative<Hello>(*m);
                               }),
                p.queue.end());
  p.run();
  p.handle(0, p.session[0].onLocalAccepted({entries[5]}, p.now));
  p.run();
  EXPECT_EQ(p.log[1].head(a.id())->seq, 6u);
  ASSERT_FALSE(p.log_of[1].empty());
  bool wantedGap = false;
  for (const Message& m : p.log_of[1]) {
    if (auto* w = std::get_if<Want>(&m)) wantedGap |= (w->fromSeq == 4 && w->toSeq == 6);
  }
  EXPECT_TRUE(wantedGap);
}

TEST_F(SyncTest, InvalidSignatureDisconnects) {
  Pair p;
  SimAuthor a(net());
  p.connect();
  p.run();
  Entry e = a.next(1);
  e.signature[3] ^= 1;
  p.inject(1, Entries{{toWire(e)}});
  ASSERT_TRUE(p.disconnect[1]);
  EXPECT_EQ(p.disconnect[1]->code, ErrorCode::kBadEntry);
  EXPECT_EQ(p.session[1].state(), SessionState::kClosed);
  EXPECT_EQ(p.log[1].head(a.id())->seq, 0u);
  // A closed session ignores everything after.
  Effects fx = p.session[1].onMessage(Ping{1}, p.now);
  EXPECT_TRUE(fx.send.empty());
}

TEST_F(SyncTest, TamperedPayloadDisconnects) {
  Pair p;
  SimAuthor a(net());
  p.connect();
  p.run();
  Entry e = a.next(1);
  e.payload = SimAuthor::casePayload(99);
  p.inject(1, Entries{{toWire(e)}});
  ASSERT_TRUE(p.disconnect[1]);
  EXPECT_EQ(p.log[1].entryCount(), 0u);
}

// Large entries: a Want is never answered with more than one Entries message
// (a frame's worth), and the asker asks for the rest as its head moves.
TEST_F(SyncTest, LargeEntriesAreSentOneMessagePerWant) {
  Pair p;
  SimAuthor a(net());
  const std::string text(19000, 'a');
  std::vector<Entry> entries;
  for (int i = 0; i < 24; ++i) {
    std::string json = R"({"id":"big-)" + std::to_string(i) +
                       R"(","title":"Stor sak","procedure":"open","status":"planning",)";
    for (const char* field : {"summary", "need", "solution", "results", "lessons_learned"}) {
      json += std::string("\"") + field + "\":\"" + text + "\",";
    }
    json.back() = '}';
    auto payload = caseFromJson(json);
    ASSERT_TRUE(payload.isOk()) << payload.status().message();
    entries.push_back(a.nextWith(Kind::kCase, *payload, i));
  }
  applyAll(p.log[0], entries);
  p.connect();
  p.run();
  EXPECT_EQ(p.log[1].head(a.id())->seq, 24u);
  EXPECT_GE(p.sent[1]["Want"], 3);  // 24 entries of ~95 KB do not fit one message
  EXPECT_LE(p.sent[0]["Entries"], p.sent[1]["Want"]);
  for (const Message& m : p.log_of[0]) {
    if (std::holds_alternative<Entries>(m)) {
      EXPECT_LE(encodeMessage(m).size(), kMaxMessageBytes);
    }
  }
  EXPECT_FALSE(p.disconnect[0] || p.disconnect[1]);
}

TEST_F(SyncTest, ForkIsProvedAndBothSidesFreezeTheAuthor) {
  Pair p;
  SimAuthor a(net());
  Entry first = a.nextRetract(1);
  Entry other = a.sibling(1, Hash{}, 2);
  applyAll(p.log[0], {first});
  applyAll(p.log[1], {other});
  p.connect();
  p.run();
  EXPECT_GE(p.sent[0]["ForkProof"] + p.sent[1]["ForkProof"], 1);
  EXPECT_TRUE(p.log[0].frozen(a.id()));
  EXPECT_TRUE(p.log[1].frozen(a.id()));
  EXPECT_TRUE(checkForkProof(*p.log[0].forkProof(a.id()), net()).isOk());
  EXPECT_FALSE(p.disconnect[0] || p.disconnect[1]);
  // A frozen author is not fetched again.
  int wants = p.sent[0]["Want"] + p.sent[1]["Want"];
  p.tick(1000);
  p.run();
  EXPECT_EQ(p.sent[0]["Want"] + p.sent[1]["Want"], wants);
}

// A Heads that lists a frozen author many times gets one proof back, not one
// per listing.
TEST_F(SyncTest, RepeatedFrozenAuthorGetsOneProof) {
  Pair p;
  SimAuthor a(net());
  Entry first = a.nextRetract(1);
  applyAll(p.log[0], {first});
  auto proof = forkProofOf(first, a.sibling(1, Hash{}, 2));
  ASSERT_TRUE(p.log[0].recordFork(proof).isOk());
  p.connect();
  p.run();
  int before = p.sent[0]["ForkProof"];
  Heads heads;
  for (int i = 0; i < 100; ++i) heads.heads.push_back(AuthorHead{a.id(), 1, first.hash, false});
  p.inject(0, heads);
  EXPECT_EQ(p.sent[0]["ForkProof"], before + 1);
}

TEST_F(SyncTest, BadForkProofDisconnects) {
  Pair p;
  SimAuthor a(net());
  Entry e = a.nextRetract(1);
  p.connect();
  p.run();
  p.inject(1, ForkProof{{e.headerBytes, e.signature}, {e.headerBytes, e.signature}});
  ASSERT_TRUE(p.disconnect[1]);
  EXPECT_FALSE(p.log[1].frozen(a.id()));
}

TEST_F(SyncTest, UnknownMessageGetsUnimplemented) {
  Pair p;
  p.connect();
  p.run();
  p.handle(1, p.session[1].onBytes(encodeMessage(UnknownMessage{99}), p.now));
  ASSERT_FALSE(p.log_of[1].empty());
  auto* err = std::get_if<PeerError>(&p.log_of[1].back());
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(err->code, ErrorCode::kUnimplemented);
  EXPECT_EQ(err->text, "unimplemented");
  EXPECT_EQ(p.session[1].state(), SessionState::kOpen);
}

TEST_F(SyncTest, PingGetsPongAndGarbageDisconnects) {
  Pair p;
  p.connect();
  p.run();
  p.inject(0, Ping{7});
  EXPECT_EQ(std::get<Pong>(p.log_of[0].back()).nonce, 7u);
  p.handle(0, p.session[0].onBytes(Bytes{1, 2, 3}, p.now));
  ASSERT_TRUE(p.disconnect[0]);
  EXPECT_EQ(p.disconnect[0]->code, ErrorCode::kBadMessage);
}

TEST_F(SyncTest, WrongNetworkDisconnects) {
  Pair p;
  p.connect();
  p.queue.clear();
  p.inject(1, Hello{kProtocolVersion, networkId("other"), false});
  ASSERT_TRUE(p.disconnect[1]);
  EXPECT_EQ(p.disconnect[1]->code, ErrorCode::kWrongNetwork);
}

TEST_F(SyncTest, LostHelloIsRecoveredByTicks) {
  Pair p;
  SimAuthor a(net());
  applyAll(p.log[0], authored(a, 4));
  p.connect();
  p.queue.pop_front();  // side 0's Hello never arrives
  p.run();
  EXPECT_EQ(p.log[1].head(a.id())->seq, 0u);
  p.tick(1000);
  p.run();
  EXPECT_EQ(p.log[1].head(a.id())->seq, 4u);
}

TEST_F(SyncTest, LostEntriesAreWantedAgainAfterTimeout) {
  Pair p;
  SimAuthor a(net());
  applyAll(p.log[0], authored(a, 4));
  p.connect();
  // Drop every Entries message once.
  int limit = 100;
  while (!p.queue.empty() && limit-- > 0) {
    auto [to, bytes] = p.queue.front();
    p.queue.pop_front();
    if (std::holds_alternative<Entries>(*decodeMessage(bytes))) continue;
    p.handle(to, p.session[to].onBytes(bytes, p.now));
  }
  EXPECT_EQ(p.log[1].head(a.id())->seq, 0u);
  p.tick(3000);  // past the Want timeout and the Heads interval
  p.run();
  EXPECT_EQ(p.log[1].head(a.id())->seq, 4u);
}

TEST_F(SyncTest, EntriesInFlightStayWithinTheLimit) {
  SyncConfig config{1000, 2000, 8, 65536};
  config.maxEntriesInFlight = 10;
  Pair p(config);
  SimAuthor a(net()), b(net()), c(net());
  for (SimAuthor* author : {&a, &b, &c}) applyAll(p.log[0], authored(*author, 40));
  p.connect();
  // Deliver one message at a time and keep count of what side 1 asked for
  // and has not received yet.
  std::map<PublicKey, uint64_t> asked;  // author -> highest seq wanted
  uint64_t worst = 0;
  for (int limit = 10000; !p.queue.empty() && limit > 0; --limit) {
    p.run(1);
    uint64_t open = 0;
    for (const Message& m : p.log_of[1]) {
      if (auto* w = std::get_if<Want>(&m)) asked[w->author] = std::max(asked[w->author], w->toSeq);
    }
    for (const auto& [author, to] : asked) {
      uint64_t have = p.log[1].head(author)->seq;
      if (to > have) open += to - have;
    }
    worst = std::max(worst, open);
  }
  for (SimAuthor* author : {&a, &b, &c}) EXPECT_EQ(p.log[1].head(author->id())->seq, 40u);
  EXPECT_LE(worst, 10u);
  EXPECT_GE(p.sent[1]["Want"], 12);  // 120 entries, at most 10 per round
  EXPECT_FALSE(p.disconnect[0] || p.disconnect[1]);
}

TEST_F(SyncTest, EffectsCountTheEntriesChecked) {
  MemoryLog log(net());
  SyncSession s(log, SyncConfig{});
  (void)s.onConnected(0);
  (void)s.onMessage(Hello{kProtocolVersion, net(), true}, 0);
  SimAuthor a(net());
  Entries m;
  for (const Entry& e : authored(a, 7)) m.entries.push_back(toWire(e));
  Effects fx = s.onMessage(m, 0);
  EXPECT_EQ(fx.checked, 7u);
  EXPECT_EQ(s.onMessage(Ping{1}, 0).checked, 0u);
}

}  // namespace
}  // namespace allmenning
