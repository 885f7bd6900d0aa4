// Trust and vouches: which authors a store accepts, at rest and over sync.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <deque>
#include <filesystem>

#include "protocol/sync.h"
#include "storage/store_log.h"
#include "storage/verify.h"
#include "tests/sim/sim_author.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

using testing::SimAuthor;
using testing::TempDir;

const Hash& net() {
  static const Hash h = networkId("trust-test");
  return h;
}

struct Db {
  Db() { reopen(Store::Mode::kCreate); }
  void reopen(Store::Mode mode = Store::Mode::kExisting) {
    log.reset();
    store.reset();
    auto s = Store::open(dir / "db", net(), mode);
    if (!s.isOk()) throw std::runtime_error(s.status().message());  // a test bug
    store = std::move(*s);
    log = std::make_unique<StoreLog>(*store, [] { return int64_t{1'700'000'000'000}; });
  }
  Outcome apply(Entry e) {
    auto r = log->apply({std::move(e)});
    EXPECT_TRUE(r.isOk());
    return r.isOk() ? (*r)[0].outcome : Outcome::kInvalid;
  }
  TempDir dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<StoreLog> log;
};

Entry vouchFor(SimAuthor& voucher, const PublicKey& key) {
  return voucher.nextWith(Kind::kVouch, encodeVouch({key, "Vouched kommune", "", "3434"}), 1);
}

class TrustTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(initCrypto().isOk()); }
};

TEST_F(TrustTest, OnlyTrustedAuthorsAreStoredAndListed) {
  Db db;
  SimAuthor a(net()), b(net());
  ASSERT_TRUE(db.store->trust(a.id(), "A").isOk());
  EXPECT_EQ(db.apply(a.next(1)), Outcome::kAccepted);
  Entry b1 = b.next(1);
  EXPECT_EQ(db.apply(b1), Outcome::kUntrusted);
  EXPECT_EQ(db.store->head(b.id())->seq, 0u);
  // A fork proof of an author not accepted is neither stored nor relayed.
  EXPECT_FALSE(*db.log->recordFork(forkProofOf(b1, b.sibling(1, Hash{}, 2))));
  EXPECT_FALSE(db.store->frozen(b.id()));

  ASSERT_TRUE(db.store->trust(b.id(), "B").isOk());
  EXPECT_EQ(db.apply(b1), Outcome::kAccepted);
  db.reopen();  // trust is durable
  EXPECT_TRUE(db.store->trusts(b.id()));
  ASSERT_TRUE(*db.store->distrust(b.id()));
  EXPECT_FALSE(*db.store->distrust(b.id()));
  EXPECT_EQ(db.apply(b.next(2)), Outcome::kUntrusted);
  // What was stored stays and verifies, but is no longer offered to peers.
  EXPECT_EQ(db.store->head(b.id())->seq, 1u);
  auto heads = db.log->heads();
  ASSERT_TRUE(heads.isOk());
  ASSERT_EQ(heads->size(), 1u);
  EXPECT_EQ((*heads)[0].author, a.id());
  EXPECT_TRUE(verifyStore(*db.store).isOk());
}

TEST_F(TrustTest, VouchOfADirectlyTrustedAuthorAdmitsOneLevel) {
  Db db;
  SimAuthor county(net()), kommune(net()), friendOfKommune(net());
  ASSERT_TRUE(db.store->trust(county.id(), "County").isOk());
  // The vouch and the vouched author's first entry in one batch.
  auto r = db.log->apply({vouchFor(county, kommune.id()), kommune.next(1)});
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ((*r)[0].outcome, Outcome::kAccepted);
  EXPECT_EQ((*r)[1].outcome, Outcome::kAccepted);
  EXPECT_EQ(db.store->vouchersOf(kommune.id()), std::vector<PublicKey>{county.id()});
  // A vouched author's own vouch does not chain.
  EXPECT_EQ(db.apply(vouchFor(kommune, friendOfKommune.id())), Outcome::kAccepted);
  EXPECT_EQ(db.apply(friendOfKommune.next(1)), Outcome::kUntrusted);
  db.reopen();
  EXPECT_TRUE(db.store->accepts(kommune.id()));
  EXPECT_FALSE(db.store->accepts(friendOfKommune.id()));
  // Distrusting the voucher withdraws what its vouch gave.
  ASSERT_TRUE(*db.store->distrust(county.id()));
  EXPECT_FALSE(db.store->accepts(kommune.id()));
  EXPECT_TRUE(verifyStore(*db.store).isOk());
}

// One voucher admits at most max_vouched_per_voucher keys: the first ones
// it vouched for, also in the batch that carries the vouch, and the same
// after a restart, though a repeated vouch moves the stored seq.
TEST_F(TrustTest, AVoucherAdmitsAtMostTheCapTheFirstKeys) {
  Db db;
  std::vector<std::string> warnings;
  auto warn = [&](std::string_view line) { warnings.emplace_back(line); };
  ASSERT_TRUE(db.store->setMaxVouchedPerVoucher(5, warn).isOk());
  SimAuthor county(net());
  std::deque<SimAuthor> keys;
  for (int i = 0; i < 8; ++i) keys.emplace_back(net());
  ASSERT_TRUE(db.store->trust(county.id(), "County").isOk());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(db.apply(vouchFor(county, keys[i].id())), Outcome::kAccepted);
  }
  // Keys 3..7 in one batch, each with its first entry: 3 and 4 reach the cap.
  std::vector<Entry> batch;
  for (int i = 3; i < 8; ++i) {
    batch.push_back(vouchFor(county, keys[i].id()));
    batch.push_back(keys[i].next(1));
  }
  auto r = db.log->apply(std::move(batch));
  ASSERT_TRUE(r.isOk());
  for (int i = 3; i < 8; ++i) {
    EXPECT_EQ((*r)[2 * (i - 3)].outcome, Outcome::kAccepted) << i;  // the vouch is stored
    EXPECT_EQ((*r)[2 * (i - 3) + 1].outcome, i < 5 ? Outcome::kAccepted : Outcome::kUntrusted) << i;
  }
  // Vouching again for an admitted key takes no second place.
  EXPECT_EQ(db.apply(vouchFor(county, keys[0].id())), Outcome::kAccepted);
  auto check = [&] {
    for (int i = 0; i < 8; ++i) EXPECT_EQ(db.store->accepts(keys[i].id()), i < 5) << i;
    EXPECT_EQ(db.store->admittedBy(county.id()), 5u);
  };
  check();
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("80 %"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[1].find("reached the cap"), std::string::npos) << warnings[1];
  db.reopen();
  ASSERT_TRUE(db.store->setMaxVouchedPerVoucher(5).isOk());
  check();
  EXPECT_EQ(db.store->vouchersOf(keys[7].id()), std::vector<PublicKey>{county.id()});
  EXPECT_TRUE(verifyStore(*db.store).isOk());
  // Raising the cap admits the next keys in the voucher's order.
  ASSERT_TRUE(db.store->setMaxVouchedPerVoucher(6).isOk());
  EXPECT_TRUE(db.store->accepts(keys[5].id()));
  EXPECT_FALSE(db.store->accepts(keys[6].id()));
}

TEST_F(TrustTest, VerifyFindsADamagedVouchIndex) {
  Db db;
  SimAuthor county(net()), kommune(net());
  ASSERT_TRUE(db.store->trust(county.id(), "County").isOk());
  ASSERT_EQ(db.apply(vouchFor(county, kommune.id())), Outcome::kAccepted);
  ASSERT_TRUE(verifyStore(*db.store).isOk());
  // A planted vouch would admit an author nobody trusted.
  db.store.reset();
  db.log.reset();
  {
    std::vector<rocksdb::ColumnFamilyDescriptor> d;
    std::vector<rocksdb::ColumnFamilyHandle*> h;
    std::vector<std::string> names;
    rocksdb::DB::ListColumnFamilies(rocksdb::Options(), db.dir / "db", &names);
    for (auto& n : names) d.emplace_back(n, rocksdb::ColumnFamilyOptions());
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), db.dir / "db", d, &h, &raw).ok());
    SimAuthor stranger(net());
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] != "vouches") continue;
      std::string key(asChars(stranger.id()));
      key += asChars(county.id());
      ASSERT_TRUE(raw->Put(rocksdb::WriteOptions(), h[i], key, std::string(8, '\0')).ok());
    }
    for (auto* x : h) raw->DestroyColumnFamilyHandle(x);
    delete raw;
  }
  db.reopen();
  auto report = verifyStore(*db.store);
  ASSERT_FALSE(report.isOk());
  EXPECT_NE(report.status().message().find("vouches"), std::string::npos)
      << report.status().message();
}

// Two sessions over two stores, delivering in order until quiet.
struct Pair {
  SyncConfig config{1000, 2000, 8, 65536};
  Db node[2];
  std::vector<std::unique_ptr<SyncSession>> session;
  std::deque<std::pair<int, Bytes>> queue;
  bool dropped = false;
  int64_t now = 0;
  Pair() {
    for (auto& n : node) session.push_back(std::make_unique<SyncSession>(*n.log, config));
  }
  void handle(int from, Effects fx) {
    for (const Message& m : fx.send) queue.emplace_back(1 - from, encodeMessage(m));
    dropped = dropped || fx.disconnect.has_value();
  }
  void deliver() {
    for (int limit = 10000; !queue.empty() && limit > 0; --limit) {
      auto [to, bytes] = std::move(queue.front());
      queue.pop_front();
      handle(to, session[to]->onBytes(bytes, now));
    }
  }
};

TEST_F(TrustTest, SyncSkipsUntrustedAuthorsAndFetchesThemOnceVouched) {
  Pair p;
  SimAuthor county(net()), kommune(net());
  for (auto& n : p.node) ASSERT_TRUE(n.store->trust(county.id(), "County").isOk());
  ASSERT_TRUE(p.node[0].store->trust(kommune.id(), "Kommune").isOk());
  ASSERT_EQ(p.node[0].apply(county.next(1)), Outcome::kAccepted);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(p.node[0].apply(kommune.next(i)), Outcome::kAccepted);

  p.handle(0, p.session[0]->onConnected(p.now));
  p.handle(1, p.session[1]->onConnected(p.now));
  p.deliver();
  EXPECT_FALSE(p.dropped);
  EXPECT_EQ(p.node[1].store->head(county.id())->seq, 1u);
  EXPECT_EQ(p.node[1].store->head(kommune.id())->seq, 0u);
  // Node 0 sees that node 1 lacks the kommune's three entries; node 1 does
  // not count them as missing, since it does not accept them.
  ASSERT_TRUE(p.session[0]->lag().has_value());
  EXPECT_EQ(p.session[0]->lag()->behind, 3u);
  EXPECT_EQ(p.session[1]->lag()->ahead, 0u);

  // The county vouches for the kommune; the push makes node 1 fetch its log.
  Entry vouch = vouchFor(county, kommune.id());
  ASSERT_EQ(p.node[0].apply(vouch), Outcome::kAccepted);
  p.handle(0, p.session[0]->onLocalAccepted({vouch}, p.now));
  p.deliver();
  EXPECT_FALSE(p.dropped);
  EXPECT_EQ(p.node[1].store->head(kommune.id())->seq, 3u);
  EXPECT_EQ(p.session[0]->lag()->behind, 0u);
  EXPECT_TRUE(verifyStore(*p.node[1].store).isOk());
}

}  // namespace
}  // namespace allmenning
