// The fixture of the store tests: a Store in a temp dir, authors that sign
// entries in order, and a way to change the raw database behind its back.
#pragma once

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "protocol/case_json.h"
#include "protocol/records.h"
#include "storage/store.h"
#include "storage/verify.h"
#include "tests/test_util.h"

namespace allmenning {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(initCrypto().isOk());
    reopen();
  }

  void reopen() {
    store_.reset();
    auto s = Store::open(dir_ / "db", network_,
                         created_ ? Store::Mode::kExisting : Store::Mode::kCreate);
    created_ = true;
    ASSERT_TRUE(s.isOk()) << s.status().message();
    store_ = std::move(*s);
  }

  // Signs the next entry of `key`'s log as tracked in heads_.
  // The author is trusted first: these tests are about everything else.
  Entry next(const SecretKey& key, Kind kind, Bytes payload) {
    EXPECT_TRUE(store_->trust(key.publicKey(), "").isOk());
    Head& head = heads_[key.publicKey()];
    Header h;
    h.network = network_;
    h.author = key.publicKey();
    h.seq = head.seq + 1;
    h.prev = head.hash;
    h.kind = kind;
    h.timestamp = ++clock_;
    Entry e = signEntry(key, h, std::move(payload));
    head = Head{e.header.seq, e.hash};
    return e;
  }

  Entry caseEntry(const SecretKey& key, const std::string& json) {
    auto payload = caseFromJson(json);
    EXPECT_TRUE(payload.isOk()) << payload.status().message();
    return next(key, Kind::kCase, *payload);
  }

  std::vector<ApplyOutcome> apply(std::vector<Entry> entries) {
    auto r = store_->apply(std::move(entries), true, ++received_);
    EXPECT_TRUE(r.isOk()) << r.status().message();
    return r.isOk() ? *r : std::vector<ApplyOutcome>{};
  }

  using Handles = std::map<std::string, rocksdb::ColumnFamilyHandle*>;

  // Closes the store, lets `change` alter the raw database behind its back,
  // and reopens it.
  void tamper(const std::function<void(rocksdb::DB&, Handles&)>& change) {
    store_.reset();
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    std::vector<std::string> names;
    rocksdb::DB::ListColumnFamilies(rocksdb::Options(), dir_ / "db", &names);
    for (auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), dir_ / "db", cfs, &handles, &db).ok());
    Handles byName;
    for (auto* h : handles) byName[h->GetName()] = h;
    change(*db, byName);
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
    reopen();
  }

  // Expects verify to fail with a message containing `what`.
  void expectVerifyFails(const std::string& what) {
    auto r = verifyStore(*store_);
    ASSERT_FALSE(r.isOk()) << "verify passed; expected: " << what;
    EXPECT_NE(r.status().message().find(what), std::string::npos) << r.status().message();
  }

  std::vector<std::string> ids(const SearchFilter& f) {
    auto r = store_->search(f);
    EXPECT_TRUE(r.isOk()) << r.status().message();
    std::vector<std::string> out;
    for (const auto& k : r->items) out.push_back(k.id);
    std::sort(out.begin(), out.end());
    return out;
  }

  testing::TempDir dir_;
  Hash network_ = networkId("test");
  std::unique_ptr<Store> store_;
  bool created_ = false;
  int64_t received_ = 0;
  std::map<PublicKey, Head> heads_;
  int64_t clock_ = 1700000000000;
  std::unique_ptr<SecretKey> alice_ = SecretKey::generate();
  std::unique_ptr<SecretKey> bob_ = SecretKey::generate();
};

}  // namespace allmenning
