// StoreLog against MemoryLog: one LogStore contract suite runs on both, so
// the RocksDB store and the in-memory reference give the same outcomes.
// Then what only the real store has: persistence, verify, and two sync
// sessions over two databases.
#include "storage/store_log.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <deque>
#include <set>
#include <stdexcept>

#include "protocol/memory_log.h"
#include "protocol/record_json.h"
#include "protocol/sync.h"
#include "storage/families.h"
#include "storage/verify.h"
#include "tests/sim/sim_author.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

using testing::SimAuthor;
using testing::TempDir;

const Hash& net() {
  static const Hash h = networkId("store-log-test");
  return h;
}

// Every backend accepts every author until explicitTrust() is called;
// from then on only the keys passed to trust() and not to distrust() since.
struct MemoryBackend {
  MemoryLog log{net()};
  std::set<PublicKey> trusted;
  LogStore& get() { return log; }
  void explicitTrust() { log.trustOnly(trusted); }
  void trust(const PublicKey& key) {
    trusted.insert(key);
    log.trustOnly(trusted);
  }
  void distrust(const PublicKey& key) {
    trusted.erase(key);
    log.trustOnly(trusted);
  }
};

// A StoreLog that trusts every author it is handed, so the contract tests
// exercise the rules they are about, until `autoTrust` is cleared.
class TrustingStoreLog : public StoreLog {
 public:
  TrustingStoreLog(Store& store, std::function<int64_t()> clock)
      : StoreLog(store, std::move(clock)), store_(store) {}
  Result<std::vector<ApplyOutcome>> apply(std::vector<Entry> entries) override {
    for (const Entry& e : entries) {
      if (autoTrust) {
        EXPECT_TRUE(store_.trust(e.header.author, "").isOk());
      }
    }
    return StoreLog::apply(std::move(entries));
  }
  Result<bool> recordFork(const ForkProof& proof) override {
    auto a = entryFromParts(proof.a.header, proof.a.signature, std::nullopt);
    if (a.isOk() && autoTrust) {
      EXPECT_TRUE(store_.trust(a->header.author, "").isOk());
    }
    return StoreLog::recordFork(proof);
  }
  bool autoTrust = true;

 private:
  Store& store_;
};

// A Store in a temp dir with its StoreLog; reopen() closes and reopens it.
struct StoreBackend {
  StoreBackend() { open(Store::Mode::kCreate); }
  void open(Store::Mode mode) {
    log.reset();
    store.reset();
    auto s = Store::open(dir / "db", net(), mode);
    if (!s.isOk()) throw std::runtime_error(s.status().message());  // a test bug
    store = std::move(*s);
    log = std::make_unique<TrustingStoreLog>(*store, [this] { return now; });
  }
  void reopen() { open(Store::Mode::kExisting); }
  LogStore& get() { return *log; }
  void explicitTrust() { log->autoTrust = false; }
  void trust(const PublicKey& key) { EXPECT_TRUE(store->trust(key, "").isOk()); }
  void distrust(const PublicKey& key) { EXPECT_TRUE(store->distrust(key).isOk()); }

  TempDir dir;
  int64_t now = 1'700'000'000'000;
  std::unique_ptr<Store> store;
  std::unique_ptr<TrustingStoreLog> log;
};

std::vector<Outcome> outcomes(LogStore& log, std::vector<Entry> entries) {
  auto r = log.apply(std::move(entries));
  EXPECT_TRUE(r.isOk()) << r.status().message();
  std::vector<Outcome> out;
  if (r.isOk()) {
    for (const auto& o : *r) out.push_back(o.outcome);
  }
  return out;
}

Outcome outcome(LogStore& log, Entry e) {
  auto r = outcomes(log, {std::move(e)});
  return r.empty() ? Outcome::kInvalid : r[0];
}

// A valid proof that `a` signed two entries at `seq` (neither stored).
ForkProof proofAt(const SimAuthor& a, uint64_t seq) {
  Entry x = a.sibling(seq, Hash{}, 1), y = a.sibling(seq, Hash{}, 2);
  return forkProofOf(x, y);
}

template <typename Backend>
class LogStoreContract : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(initCrypto().isOk()); }
  LogStore& log() { return backend_.get(); }
  Backend backend_;
};

using Backends = ::testing::Types<MemoryBackend, StoreBackend>;
TYPED_TEST_SUITE(LogStoreContract, Backends);

// The scenario of MemoryLogOutcomes in tests/protocol/sync_test.cpp.
TYPED_TEST(LogStoreContract, Outcomes) {
  LogStore& log = this->log();
  SimAuthor a(net());
  Entry e1 = a.next(1), e2 = a.next(2), e3 = a.next(3);
  Entry bad = e3;
  bad.signature[0] ^= 1;
  Entry noPayload = e2;
  noPayload.payload.reset();
  EXPECT_EQ(outcomes(log, {e1, e3, e1, noPayload, bad, e2}),
            (std::vector<Outcome>{Outcome::kAccepted, Outcome::kGap, Outcome::kDuplicate,
                                  Outcome::kInvalid, Outcome::kInvalid, Outcome::kAccepted}));

  SimAuthor stranger(networkId("elsewhere"));
  EXPECT_EQ(outcome(log, stranger.next(1)), Outcome::kInvalid);
  Header h = e3.header;
  h.seq = 3;
  EXPECT_EQ(outcome(log, signEntry(a.key(), h, Bytes(8, 0))), Outcome::kInvalid);
  EXPECT_EQ(outcome(log, a.sibling(3, Hash{}, 3)), Outcome::kBadPrev);

  auto fork = (*log.apply({a.sibling(2, e1.hash, 4)}))[0];
  EXPECT_EQ(fork.outcome, Outcome::kFork);
  ASSERT_TRUE(fork.fork);
  EXPECT_TRUE(checkForkProof(*fork.fork, net()).isOk());
  EXPECT_EQ(fork.fork->a.header, e2.headerBytes);  // the stored entry comes first
  EXPECT_EQ(log.forkProof(a.id()), fork.fork);
  EXPECT_TRUE(log.frozen(a.id()));
  EXPECT_EQ(outcome(log, e3), Outcome::kFrozen);
  EXPECT_EQ(log.head(a.id())->seq, 2u);
}

// Pages of heads, read one after another from the last author of the one
// before, give heads() exactly: frozen authors without entries included.
TYPED_TEST(LogStoreContract, HeadsAfterPagesGiveEveryHeadOnce) {
  LogStore& log = this->log();
  std::vector<Entry> entries;
  for (int i = 0; i < 11; ++i) {
    SimAuthor a(net());
    entries.push_back(a.next(1));
  }
  ASSERT_EQ(outcomes(log, entries).size(), 11u);
  for (int i = 0; i < 3; ++i) {
    SimAuthor f(net());
    ASSERT_TRUE(log.recordFork(proofAt(f, 1)).isOk());
  }
  auto all = log.heads();
  ASSERT_TRUE(all.isOk());
  ASSERT_EQ(all->size(), 14u);
  for (size_t limit : {size_t{1}, size_t{3}, size_t{14}, size_t{100}}) {
    std::vector<AuthorHead> paged;
    std::optional<PublicKey> after;
    for (;;) {
      auto page = log.headsAfter(after, limit);
      ASSERT_TRUE(page.isOk());
      ASSERT_LE(page->size(), limit);
      paged.insert(paged.end(), page->begin(), page->end());
      if (page->size() < limit) break;
      after = page->back().author;
    }
    EXPECT_EQ(paged, *all) << "limit " << limit;
  }
}

TYPED_TEST(LogStoreContract, ForkInOneBatchFreezesTheRestOfIt) {
  LogStore& log = this->log();
  SimAuthor a(net()), b(net());
  Entry e1 = a.next(1), e2 = a.next(2), e3 = a.next(3), f1 = b.next(1);
  Entry other = a.sibling(2, e1.hash, 9);
  EXPECT_EQ(outcomes(log, {e1, e2, other, e3, e2, f1}),
            (std::vector<Outcome>{Outcome::kAccepted, Outcome::kAccepted, Outcome::kFork,
                                  Outcome::kFrozen, Outcome::kDuplicate, Outcome::kAccepted}));
  EXPECT_EQ(log.head(a.id())->seq, 2u);
  EXPECT_FALSE(log.frozen(b.id()));
  // A second fork of a frozen author is refused as frozen, and the first
  // proof stays.
  auto first = log.forkProof(a.id());
  EXPECT_EQ(outcome(log, a.sibling(1, Hash{}, 9)), Outcome::kFrozen);
  EXPECT_EQ(log.forkProof(a.id()), first);
}

TYPED_TEST(LogStoreContract, FrozenAuthorKeepsDuplicatesAndInvalidsOnly) {
  LogStore& log = this->log();
  SimAuthor a(net());
  Entry e1 = a.next(1), e2 = a.next(2), e3 = a.next(3);
  EXPECT_EQ(outcomes(log, {e1}), std::vector<Outcome>{Outcome::kAccepted});
  // A peer proves a fork at seq 5, beyond anything stored here.
  EXPECT_EQ(*log.recordFork(proofAt(a, 5)), true);
  Entry forged = e2;
  forged.signature[1] ^= 1;
  EXPECT_EQ(outcomes(log, {e1, e2, forged, e3}),
            (std::vector<Outcome>{Outcome::kDuplicate, Outcome::kFrozen, Outcome::kInvalid,
                                  Outcome::kFrozen}));
  EXPECT_EQ(log.head(a.id())->seq, 1u);
}

TYPED_TEST(LogStoreContract, RecordForkFromAPeer) {
  LogStore& log = this->log();
  SimAuthor a(net()), b(net());
  ForkProof proof = proofAt(a, 1);
  auto first = log.recordFork(proof);
  ASSERT_TRUE(first.isOk()) << first.status().message();
  EXPECT_TRUE(*first);
  EXPECT_TRUE(log.frozen(a.id()));
  EXPECT_EQ(log.forkProof(a.id()), proof);
  // Already frozen: not recorded again, so it is relayed only once.
  EXPECT_EQ(*log.recordFork(proofAt(a, 2)), false);
  EXPECT_EQ(log.forkProof(a.id()), proof);

  Entry e = b.next(1);
  SimAuthor stranger(networkId("elsewhere"));
  const std::vector<ForkProof> invalid = {
      ForkProof{{e.headerBytes, e.signature}, {e.headerBytes, e.signature}},  // same entry
      ForkProof{proof.a, {e.headerBytes, e.signature}},                       // two authors
      proofAt(stranger, 1),                                                   // other network
      ForkProof{{e.headerBytes, Signature{}}, proofAt(b, 1).b},               // bad signature
  };
  for (const ForkProof& p : invalid) {
    EXPECT_FALSE(log.recordFork(p).isOk());
  }
  EXPECT_FALSE(log.frozen(b.id()));
  EXPECT_FALSE(log.frozen(stranger.id()));
  EXPECT_FALSE(log.forkProof(b.id()));
}

TYPED_TEST(LogStoreContract, HeadsListsAuthorsInKeyOrderWithForkedFlags) {
  LogStore& log = this->log();
  SimAuthor a(net()), b(net()), c(net());
  Entry a1 = a.next(1), a2 = a.next(2), b1 = b.next(1);
  EXPECT_TRUE(log.heads()->empty());
  outcomes(log, {a1, a2, b1});
  ASSERT_TRUE(log.recordFork(proofAt(b, 3)).isOk());
  ASSERT_TRUE(log.recordFork(proofAt(c, 1)).isOk());  // no entry of c is held

  std::vector<AuthorHead> expected = {
      {a.id(), 2, a2.hash, false}, {b.id(), 1, b1.hash, true}, {c.id(), 0, Hash{}, true}};
  std::sort(expected.begin(), expected.end(),
            [](const AuthorHead& x, const AuthorHead& y) { return x.author < y.author; });
  auto heads = log.heads();
  ASSERT_TRUE(heads.isOk());
  EXPECT_EQ(*heads, expected);
  EXPECT_EQ(log.head(c.id())->seq, 0u);
}

TYPED_TEST(LogStoreContract, EntryReadsBackWithItsPayload) {
  LogStore& log = this->log();
  SimAuthor a(net());
  Entry e1 = a.next(1);
  outcomes(log, {e1});
  EXPECT_FALSE(*log.entry(a.id(), 0));
  EXPECT_FALSE(*log.entry(a.id(), 2));
  auto got = log.entry(a.id(), 1);
  ASSERT_TRUE(got.isOk() && *got);
  EXPECT_EQ((*got)->hash, e1.hash);
  EXPECT_EQ((*got)->payload, e1.payload);
  EXPECT_EQ(log.network(), net());
}

// Trust is decided first (protocol/acceptance.h): nothing of an author this
// store does not accept is stored, listed or frozen, and its bytes are not
// checked at all, so a forged or foreign entry of a stranger is untrusted.
TYPED_TEST(LogStoreContract, UntrustedAuthorsAreRefusedBeforeAnyOtherCheck) {
  this->backend_.explicitTrust();
  LogStore& log = this->log();
  SimAuthor a(net()), stranger(net()), elsewhere(networkId("elsewhere"));
  this->backend_.trust(a.id());
  Entry s1 = stranger.next(1);
  Entry forged = s1;
  forged.signature[0] ^= 1;
  Entry noPayload = s1;
  noPayload.payload.reset();
  EXPECT_EQ(outcomes(log, {a.next(1), s1, forged, noPayload, stranger.sibling(5, Hash{}, 1),
                           elsewhere.next(1)}),
            (std::vector<Outcome>{Outcome::kAccepted, Outcome::kUntrusted, Outcome::kUntrusted,
                                  Outcome::kUntrusted, Outcome::kUntrusted, Outcome::kUntrusted}));
  EXPECT_FALSE(log.accepts(stranger.id()));
  EXPECT_EQ(log.head(stranger.id())->seq, 0u);
  auto heads = log.heads();
  ASSERT_TRUE(heads.isOk());
  ASSERT_EQ(heads->size(), 1u);
  EXPECT_EQ((*heads)[0].author, a.id());
  // A proof of a stranger's fork is neither stored nor relayed.
  EXPECT_EQ(*log.recordFork(proofAt(stranger, 1)), false);
  EXPECT_FALSE(log.frozen(stranger.id()));
}

// Store an entry, remove trust in its author, replay it: untrusted, in both
// stores. What was stored stays, but is no longer offered or extended, and
// trusting the author again picks up where it stopped.
TYPED_TEST(LogStoreContract, DistrustedAuthorsEntriesAreRefusedEvenAsExactCopies) {
  this->backend_.explicitTrust();
  LogStore& log = this->log();
  SimAuthor a(net());
  this->backend_.trust(a.id());
  Entry a1 = a.next(1), a2 = a.next(2), a3 = a.next(3);
  ASSERT_EQ(outcomes(log, {a1, a2}),
            (std::vector<Outcome>{Outcome::kAccepted, Outcome::kAccepted}));
  this->backend_.distrust(a.id());
  Entry forged = a3;
  forged.signature[0] ^= 1;
  EXPECT_EQ(outcomes(log, {a1, a2, a3, forged, a.sibling(1, Hash{}, 9)}),
            (std::vector<Outcome>{Outcome::kUntrusted, Outcome::kUntrusted, Outcome::kUntrusted,
                                  Outcome::kUntrusted, Outcome::kUntrusted}));
  EXPECT_EQ(log.head(a.id())->seq, 2u);
  EXPECT_TRUE(*log.entry(a.id(), 1));
  EXPECT_TRUE(log.heads()->empty());
  EXPECT_FALSE(log.frozen(a.id()));  // the sibling proved nothing here
  EXPECT_EQ(*log.recordFork(proofAt(a, 1)), false);
  EXPECT_FALSE(log.frozen(a.id()));

  this->backend_.trust(a.id());
  EXPECT_EQ(outcomes(log, {a1, a3}),
            (std::vector<Outcome>{Outcome::kDuplicate, Outcome::kAccepted}));
  EXPECT_EQ(log.heads()->size(), 1u);
}

// A frozen author that is then distrusted: untrusted wins, and its proof is
// kept but not offered; trusted again, it is frozen as before.
TYPED_TEST(LogStoreContract, FrozenAuthorThatIsDistrustedIsUntrusted) {
  this->backend_.explicitTrust();
  LogStore& log = this->log();
  SimAuthor a(net());
  this->backend_.trust(a.id());
  Entry a1 = a.next(1), a2 = a.next(2);
  EXPECT_EQ(outcomes(log, {a1, a.sibling(1, Hash{}, 9)}),
            (std::vector<Outcome>{Outcome::kAccepted, Outcome::kFork}));
  ASSERT_TRUE(log.frozen(a.id()));
  auto proof = log.forkProof(a.id());

  this->backend_.distrust(a.id());
  EXPECT_EQ(outcomes(log, {a1, a2}),
            (std::vector<Outcome>{Outcome::kUntrusted, Outcome::kUntrusted}));
  EXPECT_TRUE(log.heads()->empty());
  EXPECT_EQ(*log.recordFork(proofAt(a, 2)), false);
  EXPECT_EQ(log.forkProof(a.id()), proof);

  this->backend_.trust(a.id());
  EXPECT_EQ(outcomes(log, {a1, a2}), (std::vector<Outcome>{Outcome::kDuplicate, Outcome::kFrozen}));
  auto heads = log.heads();
  ASSERT_TRUE(heads.isOk());
  EXPECT_EQ(*heads, (std::vector<AuthorHead>{{a.id(), 1, a1.hash, true}}));
}

// The same session over either store: a peer that asks for the entries of
// an author this node no longer accepts gets none of them, nor its fork
// proof, although the store still holds them (SyncSession::onWant).
TYPED_TEST(LogStoreContract, WantForADistrustedAuthorIsAnsweredWithNothing) {
  this->backend_.explicitTrust();
  LogStore& log = this->log();
  SimAuthor a(net()), b(net());
  this->backend_.trust(a.id());
  this->backend_.trust(b.id());
  Entry a1 = a.next(1), a2 = a.next(2), b1 = b.next(1);
  ASSERT_EQ(outcomes(log, {a1, a2, a.sibling(2, a1.hash, 9), b1}),
            (std::vector<Outcome>{Outcome::kAccepted, Outcome::kAccepted, Outcome::kFork,
                                  Outcome::kAccepted}));
  this->backend_.distrust(a.id());

  SyncSession session(log, SyncConfig{});
  session.onConnected(0);
  Effects hello = session.onMessage(Hello{kProtocolVersion, net(), true}, 0);
  ASSERT_EQ(session.state(), SessionState::kOpen);
  EXPECT_TRUE(hello.send.empty());
  Effects none = session.onMessage(Want{a.id(), 1, 2}, 0);
  EXPECT_TRUE(none.send.empty()) << messageName(none.send[0]);
  // A trusted author's Want is answered, so the session is not merely mute.
  Effects some = session.onMessage(Want{b.id(), 1, 1}, 0);
  ASSERT_EQ(some.send.size(), 1u);
  const auto* entries = std::get_if<Entries>(&some.send[0]);
  ASSERT_TRUE(entries);
  EXPECT_EQ(entries->entries, std::vector<WireEntry>{toWire(b1)});
  EXPECT_EQ(session.state(), SessionState::kOpen);
}

// What only the RocksDB store has: state that outlives the process.
class StoreLogTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(initCrypto().isOk()); }

  // Closes the store, runs `change` on the raw database, and reopens it.
  void tamper(const std::function<void(rocksdb::DB&, rocksdb::ColumnFamilyHandle*)>& change) {
    db_.log.reset();
    db_.store.reset();
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::Options(), db_.dir / "db", &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), db_.dir / "db", cfs, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    rocksdb::ColumnFamilyHandle* forks = nullptr;
    for (auto* h : handles) forks = h->GetName() == "forks" ? h : forks;
    change(*db, forks);
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    db.reset();
    db_.reopen();
  }

  StoreBackend db_;
};

TEST_F(StoreLogTest, ForkAndFreezeSurviveReopen) {
  SimAuthor a(net()), b(net());
  Entry a1 = a.next(1), a2 = a.next(2);
  ASSERT_EQ(outcomes(*db_.log, {a1, a.sibling(1, Hash{}, 7)}),
            (std::vector<Outcome>{Outcome::kAccepted, Outcome::kFork}));
  ForkProof fromPeer = proofAt(b, 4);
  ASSERT_TRUE(*db_.log->recordFork(fromPeer));
  auto proofOfA = db_.log->forkProof(a.id());
  db_.reopen();
  EXPECT_TRUE(db_.log->frozen(a.id()));
  EXPECT_TRUE(db_.log->frozen(b.id()));
  EXPECT_EQ(db_.log->forkProof(a.id()), proofOfA);
  EXPECT_EQ(db_.log->forkProof(b.id()), fromPeer);
  EXPECT_EQ(outcome(*db_.log, a2), Outcome::kFrozen);
  EXPECT_EQ(outcome(*db_.log, a1), Outcome::kDuplicate);
  EXPECT_EQ(db_.log->heads()->size(), 2u);
  EXPECT_EQ(*db_.log->recordFork(proofAt(b, 5)), false);
}

TEST_F(StoreLogTest, VerifyChecksStoredForkProofs) {
  SimAuthor a(net()), b(net());
  ASSERT_TRUE(*db_.log->recordFork(proofAt(a, 1)));
  auto ok = verifyStore(*db_.store);
  ASSERT_TRUE(ok.isOk()) << ok.status().message();
  EXPECT_EQ(ok->forks, 1u);

  // A valid proof filed under another author would freeze that author.
  std::string value = encodeForkValue(proofAt(a, 2));
  tamper([&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
    ASSERT_TRUE(db.Put({}, cf, std::string(asChars(b.id())), value).ok());
  });
  EXPECT_TRUE(db_.log->frozen(b.id()));
  auto wrong = verifyStore(*db_.store);
  ASSERT_FALSE(wrong.isOk());
  EXPECT_NE(wrong.status().message().find("forks: " + toHex(b.id()) + ": the proof is of another"),
            std::string::npos)
      << wrong.status().message();

  ForkProof same = proofAt(b, 1);
  same.b = same.a;
  tamper([&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
    ASSERT_TRUE(db.Put({}, cf, std::string(asChars(b.id())), encodeForkValue(same)).ok());
  });
  auto bad = verifyStore(*db_.store);
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find("the two headers are the same"), std::string::npos)
      << bad.status().message();

  tamper([&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
    ASSERT_TRUE(db.Put({}, cf, std::string(asChars(b.id())), "short").ok());
  });
  EXPECT_FALSE(verifyStore(*db_.store).isOk());
}

TEST_F(StoreLogTest, DatabaseWithoutTheForksFamilyOpens) {
  SimAuthor a(net());
  ASSERT_EQ(outcome(*db_.log, a.next(1)), Outcome::kAccepted);
  // A database from before the family existed: RocksDB adds it at open.
  tamper([&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
    ASSERT_TRUE(db.DropColumnFamily(cf).ok());
  });
  EXPECT_EQ(db_.log->head(a.id())->seq, 1u);
  EXPECT_FALSE(db_.log->frozen(a.id()));
  EXPECT_TRUE(verifyStore(*db_.store).isOk());
}

// Two sync sessions, each over its own RocksDB store, exchanging encoded
// messages in order until nothing is in flight.
struct StorePair {
  SyncConfig config{1000, 2000, 8, 65536};
  StoreBackend node[2];
  std::vector<std::unique_ptr<SyncSession>> session;
  std::deque<std::pair<int, Bytes>> queue;  // (receiver, bytes)
  bool dropped = false;
  int64_t now = 0;

  StorePair() {
    for (auto& n : node) session.push_back(std::make_unique<SyncSession>(*n.log, config));
  }
  void handle(int from, Effects fx) {
    for (const Message& m : fx.send) queue.emplace_back(1 - from, encodeMessage(m));
    dropped = dropped || fx.disconnect.has_value();
  }
  // Delivers until quiescent, then runs one anti-entropy round, twice.
  void settle() {
    handle(0, session[0]->onConnected(now));
    handle(1, session[1]->onConnected(now));
    for (int round = 0; round < 2; ++round) {
      for (int limit = 10000; !queue.empty() && limit > 0; --limit) {
        auto [to, bytes] = std::move(queue.front());
        queue.pop_front();
        handle(to, session[to]->onBytes(bytes, now));
      }
      now += 3000;
      for (int side : {0, 1}) handle(side, session[side]->onTick(now));
    }
  }
};

TEST_F(StoreLogTest, TwoSessionsOverTwoStoresConverge) {
  StorePair p;
  SimAuthor a(net()), b(net()), c(net());
  std::vector<Entry> ea, eb;
  for (int i = 0; i < 300; ++i) ea.push_back(a.nextRetract(i));  // more than one Want
  for (int i = 0; i < 5; ++i) eb.push_back(b.next(i));
  Entry c1 = c.next(1);
  Entry c2 = c.next(2);
  Entry c2Other = c.sibling(2, c1.hash, 9);
  ASSERT_EQ(outcomes(*p.node[0].log, ea).back(), Outcome::kAccepted);
  ASSERT_EQ(outcomes(*p.node[1].log, eb).back(), Outcome::kAccepted);
  ASSERT_EQ(outcomes(*p.node[0].log, {c1, c2}).back(), Outcome::kAccepted);
  ASSERT_EQ(outcomes(*p.node[1].log, {c1, c2Other}).back(), Outcome::kAccepted);
  for (auto& n : p.node) {
    for (const SimAuthor* x : {&a, &b, &c}) ASSERT_TRUE(n.store->trust(x->id(), "").isOk());
  }

  p.settle();
  EXPECT_FALSE(p.dropped);
  // Identical heads, except that each store keeps its own branch of the
  // frozen author: neither replaces a stored entry.
  std::vector<AuthorHead> heads[2];
  for (int side : {0, 1}) {
    auto h = p.node[side].log->heads();
    ASSERT_TRUE(h.isOk());
    ASSERT_EQ(h->size(), 3u);
    for (AuthorHead& head : *h) {
      EXPECT_EQ(head.forked, head.author == c.id());
      if (head.forked) head.hash = Hash{};
      heads[side].push_back(head);
    }
  }
  EXPECT_EQ(heads[0], heads[1]);
  EXPECT_EQ(p.node[1].log->head(a.id())->seq, 300u);
  EXPECT_EQ(p.node[0].log->head(b.id())->seq, 5u);
  // The equivocating author is frozen on both sides, each store keeping
  // its own branch and a proof that verifies.
  for (auto& n : p.node) {
    EXPECT_TRUE(n.log->frozen(c.id()));
    EXPECT_TRUE(checkForkProof(*n.log->forkProof(c.id()), net()).isOk());
    auto report = verifyStore(*n.store);
    ASSERT_TRUE(report.isOk()) << report.status().message();
    EXPECT_EQ(report->forks, 1u);
  }
}

// Needs and experiences are entries like cases: a sync session carries
// them, and each store derives the same needs, retractions and links.
TEST_F(StoreLogTest, NeedsAndExperiencesTravelBetweenStores) {
  StorePair p;
  SimAuthor a(net()), b(net());
  auto payload = [](Kind kind, const std::string& json) {
    auto bytes = recordFromJson(kind, json);
    EXPECT_TRUE(bytes.isOk()) << bytes.status().message();
    return bytes.isOk() ? *bytes : Bytes{};
  };
  const std::string ref = toHex(a.id()) + "/c-1";
  Entry a1 = a.next(1);  // the case c-1
  std::vector<Entry> eb = {
      b.nextWith(Kind::kNeed, payload(Kind::kNeed, R"({"id":"flom","title":"Flom","need":"V"})"),
                 2),
      b.nextWith(Kind::kNeed, payload(Kind::kNeed, R"({"id":"vei","title":"Vei","need":"V"})"), 3),
      b.nextWith(Kind::kExperience,
                 payload(Kind::kExperience, R"({"id":"bruk","case":")" + ref + R"(","text":"T"})"),
                 4),
      b.nextWith(Kind::kRetract, encodeRetract({"vei", false, Kind::kNeed}), 5)};
  for (auto& n : p.node) {
    for (const SimAuthor* x : {&a, &b}) ASSERT_TRUE(n.store->trust(x->id(), "").isOk());
  }
  ASSERT_EQ(outcomes(*p.node[0].log, {a1}).back(), Outcome::kAccepted);
  ASSERT_EQ(outcomes(*p.node[1].log, eb).back(), Outcome::kAccepted);

  p.settle();
  EXPECT_FALSE(p.dropped);
  for (auto& n : p.node) {
    auto flom = n.store->recordState(Kind::kNeed, CaseKey{b.id(), "flom"});
    auto vei = n.store->recordState(Kind::kNeed, CaseKey{b.id(), "vei"});
    ASSERT_TRUE(flom.isOk() && *flom && vei.isOk() && *vei);
    EXPECT_FALSE((*flom)->retracted);
    EXPECT_TRUE((*vei)->retracted);
    auto links = n.store->linksTo(CaseKey{a.id(), "c-1"});
    ASSERT_TRUE(links.isOk());
    ASSERT_EQ(links->size(), 1u);
    EXPECT_EQ((*links)[0].relation, "experience");
    EXPECT_EQ((*links)[0].source.author, b.id());
    EXPECT_EQ((*links)[0].source.id, "bruk");
    auto report = verifyStore(*n.store);
    ASSERT_TRUE(report.isOk()) << report.status().message();
    EXPECT_EQ(report->entries, 5u);
  }
}

}  // namespace
}  // namespace allmenning
