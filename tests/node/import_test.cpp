// Import: refused files write nothing; accepted ones keep their authors.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <random>
#include <tuple>

#include "node/import_index.h"
#include "node/node.h"
#include "protocol/case_json.h"
#include "protocol/records.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

using testing::TempDir;

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(initCrypto().isOk());
    InitOptions o;
    o.profile.name = "Lom kommune";
    ASSERT_TRUE(Node::init(dir_ / "home", o, clock_).isOk());
    auto n = Node::open(dir_ / "home", clock_);
    ASSERT_TRUE(n.isOk()) << n.status().message();
    node_ = std::move(*n);
    ASSERT_TRUE(node_->trustKey(other_->publicKey(), "Other").isOk());
    ASSERT_TRUE(node_->trustKey(third_->publicKey(), "Third").isOk());
  }

  // A signed entry of `other_`'s log at `seq` after `prev`, as an export line.
  std::string line(uint64_t seq, const Hash& prev, Kind kind, Bytes payload, Hash* hash = nullptr) {
    return lineOf(*other_, seq, prev, kind, std::move(payload), hash);
  }

  std::string lineOf(const SecretKey& key, uint64_t seq, const Hash& prev, Kind kind, Bytes payload,
                     Hash* hash = nullptr) {
    Header h;
    h.network = networkId("allmenning");
    h.author = key.publicKey();
    h.seq = seq;
    h.prev = prev;
    h.kind = kind;
    h.timestamp = 1700000000000;
    Entry e = signEntry(key, h, std::move(payload));
    if (hash) *hash = e.hash;
    Json j{{"header", toBase64(e.headerBytes)},
           {"signature", toHex(e.signature)},
           {"payload", toBase64(*e.payload)}};
    return j.dump() + "\n";
  }

  Bytes casePayload(const std::string& id) { return *caseFromJson(testing::caseJson(id)); }

  Result<ImportReport> import(const std::string& text) {
    testing::writeFile(dir_ / "in.jsonl", text);
    return node_->importJsonl(dir_ / "in.jsonl", [](const std::string&) {}, {});
  }

  uint64_t otherHead() { return node_->store().head(other_->publicKey())->seq; }

  TempDir dir_;
  int64_t now_ = 1700000000000;
  Clock clock_ = [this] { return ++now_; };
  std::unique_ptr<Node> node_;
  std::unique_ptr<SecretKey> other_ = SecretKey::generate();
  std::unique_ptr<SecretKey> third_ = SecretKey::generate();
};

TEST_F(ImportTest, ChainOfAnotherAuthorIsStoredUnchanged) {
  Hash h1, h2;
  std::string text = line(1, Hash{}, Kind::kCase, casePayload("a"), &h1);
  text += line(2, h1, Kind::kCase, casePayload("b"), &h2);
  text += line(1, Hash{}, Kind::kCase, casePayload("a"));  // a replay within the file
  auto r = import(text);
  ASSERT_TRUE(r.isOk()) << r.status().message();
  EXPECT_EQ(r->stored, 2u);
  EXPECT_EQ(r->duplicates, 1u);
  EXPECT_EQ(node_->store().head(other_->publicKey())->hash, h2);
}

// A second entry at a seq proves the author equivocated: as from a peer,
// the proof is stored and the author frozen, and the rest is imported.
TEST_F(ImportTest, ForkInTheFileIsRecordedAndFreezesItsAuthor) {
  Hash h1, h2b;
  std::string text = line(1, Hash{}, Kind::kCase, casePayload("a"), &h1);
  text += line(2, h1, Kind::kCase, casePayload("b"));
  text += line(2, h1, Kind::kCase, casePayload("c"), &h2b);  // a second seq 2
  text += line(3, h2b, Kind::kCase, casePayload("d"));       // on the second branch
  text += lineOf(*third_, 1, Hash{}, Kind::kCase, casePayload("e"));
  auto r = import(text);
  ASSERT_TRUE(r.isOk()) << r.status().message();
  EXPECT_EQ(r->stored, 3u);  // a, b and the third author's e
  EXPECT_EQ(r->frozen, 2u);
  ASSERT_EQ(r->forks.size(), 1u);
  EXPECT_EQ(r->forks[0], "author " + toHex(other_->publicKey()) +
                             " signed two entries at seq 2 (line 3): the fork proof is stored and "
                             "the author frozen");
  EXPECT_TRUE(node_->store().frozen(other_->publicKey()));
  auto proof = node_->store().forkProof(other_->publicKey());
  ASSERT_TRUE(proof.isOk() && proof->has_value());
  EXPECT_EQ(otherHead(), 2u);
  EXPECT_EQ(node_->store().head(third_->publicKey())->seq, 1u);
}

// The fork is against what the store holds, not within the file.
TEST_F(ImportTest, ForkAgainstTheStoreIsRecorded) {
  Hash h1;
  std::string text = line(1, Hash{}, Kind::kCase, casePayload("a"), &h1);
  text += line(2, h1, Kind::kCase, casePayload("b"));
  ASSERT_TRUE(import(text).isOk());
  auto r = import(line(2, h1, Kind::kCase, casePayload("c")));
  ASSERT_TRUE(r.isOk()) << r.status().message();
  EXPECT_EQ(r->forks.size(), 1u);
  EXPECT_TRUE(node_->store().frozen(other_->publicKey()));
}

// A bad line still imports nothing, and so records no proof either.
TEST_F(ImportTest, ForkBesideAnInvalidLineWritesNothing) {
  Hash h1;
  std::string text = line(1, Hash{}, Kind::kCase, casePayload("a"), &h1);
  text += line(2, h1, Kind::kCase, casePayload("b"));
  text += line(2, h1, Kind::kCase, casePayload("c"));
  text += "{\"header\": 1}\n";
  auto r = import(text);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find(":4: entry has no payload"), std::string::npos)
      << r.status().message();
  EXPECT_FALSE(node_->store().frozen(other_->publicKey()));
  EXPECT_EQ(otherHead(), 0u);
}

// An author's entries in any order: they are checked and applied by seq.
TEST_F(ImportTest, ReverseOrderedFileImportsWhole) {
  Hash h1, h2;
  std::string l1 = line(1, Hash{}, Kind::kCase, casePayload("a"), &h1);
  std::string l2 = line(2, h1, Kind::kCase, casePayload("b"), &h2);
  std::string l3 = line(3, h2, Kind::kCase, casePayload("c"));
  std::string e1 = lineOf(*third_, 1, Hash{}, Kind::kCase, casePayload("e"));
  auto r = import(l3 + e1 + l2 + l1);
  ASSERT_TRUE(r.isOk()) << r.status().message();
  EXPECT_EQ(r->stored, 4u);
  EXPECT_EQ(otherHead(), 3u);
  EXPECT_TRUE(node_->verify({}).isOk());
}

// Bare records imported twice, or again after an interruption, publish
// each unchanged record once: the rule of `case put`.
TEST_F(ImportTest, BareRecordsImportedAgainPublishNothingTwice) {
  std::string first = testing::caseJson("a") + "\n" + testing::caseJson("b") + "\n";
  std::string all = first + testing::caseJson("c") + "\n";
  ASSERT_TRUE(import(first).isOk());  // as if the import of `all` had stopped here
  uint64_t head = node_->store().head(node_->id())->seq;
  auto r = import(all);
  ASSERT_TRUE(r.isOk()) << r.status().message();
  EXPECT_EQ(r->stored, 1u);
  EXPECT_EQ(r->duplicates, 2u);
  EXPECT_EQ(node_->store().head(node_->id())->seq, head + 1);
  r = import(all + testing::caseJson("c") + "\n");  // and a repeat within one file
  ASSERT_TRUE(r.isOk()) << r.status().message();
  EXPECT_EQ(r->stored, 0u);
  EXPECT_EQ(r->duplicates, 4u);
  EXPECT_EQ(node_->store().head(node_->id())->seq, head + 1);
}

// The index spills sorted runs to disk and merges them: the order is the
// same as in memory, whatever the file's order.
TEST(LineIndexTest, RunsOnDiskMergeIntoOneOrder) {
  TempDir dir;
  std::mt19937 rng(testing::testSeed());
  std::vector<IndexedLine> lines;
  for (uint64_t n = 1; n <= 500; ++n) {
    IndexedLine l{n % 7 != 0, {}, rng() % 50, n, n * 100};
    if (l.entry) l.author[0] = static_cast<uint8_t>(rng() % 4);
    lines.push_back(l);
  }
  std::shuffle(lines.begin(), lines.end(), rng);
  for (size_t runLines : {size_t{1000}, size_t{3}}) {  // all in memory; 167 runs, merged twice
    LineIndex index(dir / "index", runLines);
    for (const auto& l : lines) ASSERT_TRUE(index.add(l).isOk());
    ASSERT_TRUE(index.finish().isOk());
    std::vector<IndexedLine> out;
    ASSERT_TRUE(index
                    .forEach([&](const IndexedLine& l) {
                      out.push_back(l);
                      return Status::ok();
                    })
                    .isOk());
    ASSERT_EQ(out.size(), lines.size());
    auto key = [](const IndexedLine& l) { return std::tuple(!l.entry, l.author, l.seq, l.line); };
    for (size_t i = 1; i < out.size(); ++i) EXPECT_LT(key(out[i - 1]), key(out[i])) << i;
    for (const auto& l : out) EXPECT_EQ(l.offset, l.line * 100);
    EXPECT_EQ(std::filesystem::exists(dir / "index"), runLines == 3);
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "index"));
}

TEST_F(ImportTest, GapWritesNothing) {
  Hash h1, h2;
  std::string first = line(1, Hash{}, Kind::kCase, casePayload("a"), &h1);
  line(2, h1, Kind::kCase, casePayload("b"), &h2);
  auto r = import(first + line(3, h2, Kind::kCase, casePayload("c")));
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("gap"), std::string::npos) << r.status().message();
  EXPECT_EQ(otherHead(), 0u);
}

TEST_F(ImportTest, NonRegularFileIsRefused) {
  ASSERT_EQ(::mkfifo((dir_ / "fifo").c_str(), 0600), 0);
  auto r = node_->importJsonl(dir_ / "fifo", [](const std::string&) {}, {});
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().exitCode(), 2);
  EXPECT_NE(r.status().message().find("not a regular file"), std::string::npos);
}

TEST_F(ImportTest, BareRecordsPassTheSameGateAsCasePut) {
  auto r =
      import(R"({"id":"x","title":"First","title":"Second","procedure":"open","status":"planning"})"
             "\n");
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("duplicate key"), std::string::npos) << r.status().message();
}

TEST_F(ImportTest, EntryWithoutPayloadIsRefusedClearly) {
  Json j = Json::parse(line(1, Hash{}, Kind::kCase, casePayload("a")));
  j["payload"] = nullptr;
  auto r = import(j.dump() + "\n");
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("no payload"), std::string::npos) << r.status().message();
}

TEST_F(ImportTest, OverlongLineIsRefusedWithoutReadingItWhole) {
  std::string text = line(1, Hash{}, Kind::kCase, casePayload("a"));
  text += std::string(3 << 20, 'x') + "\n";
  auto r = import(text);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find(":2: line longer than 1 MiB"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(otherHead(), 0u);
}

TEST_F(ImportTest, NulByteInsideALineIsNotCutOff) {
  std::string text = line(1, Hash{}, Kind::kCase, casePayload("a"));
  text.insert(text.size() - 1, std::string("\0garbage", 8));
  auto r = import(text);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(otherHead(), 0u);
}

TEST_F(ImportTest, RetractionOfAnUnknownCaseCreatesNoCase) {
  auto r = import(line(1, Hash{}, Kind::kRetract, encodeRetract({"never-seen", false})));
  ASSERT_TRUE(r.isOk()) << r.status().message();
  EXPECT_EQ(otherHead(), 1u);
  auto state = node_->store().caseState(CaseKey{other_->publicKey(), "never-seen"});
  ASSERT_TRUE(state.isOk());
  EXPECT_FALSE(state->has_value());
}

TEST_F(ImportTest, UntrustedAuthorWritesNothing) {
  ASSERT_TRUE(node_->distrustKey(other_->publicKey()).isOk());
  Hash h1;
  std::string text = line(1, Hash{}, Kind::kCase, casePayload("a"), &h1);
  text += line(2, h1, Kind::kCase, casePayload("b"));
  auto r = import(text);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().exitCode(), 2);
  EXPECT_NE(r.status().message().find(":1: author " + toHex(other_->publicKey()) +
                                      " is not trusted by this node"),
            std::string::npos)
      << r.status().message();
  EXPECT_EQ(otherHead(), 0u);
}

// The vouch sits after the entries it admits: the file's order is the
// exporter's (by key), not the order trust needs.
TEST_F(ImportTest, VouchLaterInTheFileAdmitsItsAuthor) {
  ASSERT_TRUE(node_->distrustKey(other_->publicKey()).isOk());
  auto voucher = SecretKey::generate();
  ASSERT_TRUE(node_->trustKey(voucher->publicKey(), "Fylke").isOk());
  Hash h1;
  std::string text = line(1, Hash{}, Kind::kCase, casePayload("a"), &h1);
  text += line(2, h1, Kind::kCase, casePayload("b"));
  VouchRecord v{other_->publicKey(), "Other kommune", "", "3434"};
  text += lineOf(*voucher, 1, Hash{}, Kind::kVouch, encodeVouch(v));
  auto r = import(text);
  ASSERT_TRUE(r.isOk()) << r.status().message();
  EXPECT_EQ(r->stored, 3u);
  EXPECT_EQ(otherHead(), 2u);
  auto shown = node_->showCase(CaseKey{other_->publicKey(), "b"}, false);
  ASSERT_TRUE(shown.isOk()) << shown.status().message();
  ASSERT_EQ((*shown)["vouchedBy"].size(), 1u);
  EXPECT_EQ((*shown)["vouchedBy"][0]["key"], toHex(voucher->publicKey()));
  EXPECT_TRUE(node_->verify({}).isOk());
}

// A vouch counts only when its author is trusted directly.
TEST_F(ImportTest, VouchByAnUntrustedAuthorAdmitsNothing) {
  ASSERT_TRUE(node_->distrustKey(other_->publicKey()).isOk());
  auto stranger = SecretKey::generate();
  VouchRecord v{other_->publicKey(), "Other kommune", "", "3434"};
  std::string text = lineOf(*stranger, 1, Hash{}, Kind::kVouch, encodeVouch(v));
  text += line(1, Hash{}, Kind::kCase, casePayload("a"));
  auto r = import(text);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(otherHead(), 0u);
  EXPECT_EQ(node_->store().head(stranger->publicKey())->seq, 0u);
}

}  // namespace
}  // namespace allmenning
