// Needs, experiences and the links family: records addressed by (author, id)
// per kind, reverse references to cases kept in step with every version and
// retraction, and verify catching a links or needs family that strays.
#include "storage/links.h"

#include <gtest/gtest.h>

#include "protocol/record_json.h"
#include "storage/keys.h"
#include "tests/storage/store_fixture.h"

namespace allmenning {
namespace {

using Json = nlohmann::ordered_json;

std::string refOf(const SecretKey& key, const std::string& id) {
  return toHex(key.publicKey()) + "/" + id;
}

class LinksTest : public StoreTest {
 protected:
  Entry record(const SecretKey& key, Kind kind, const Json& doc) {
    auto payload = recordFromJsonValue(kind, doc);
    EXPECT_TRUE(payload.isOk()) << payload.status().message();
    return next(key, kind, payload.isOk() ? *payload : Bytes{});
  }
  Entry need(const SecretKey& key, const std::string& id, const std::string& title = "Flom") {
    return record(key, Kind::kNeed, {{"id", id}, {"title", title}, {"need", "Varsel i tide"}});
  }
  Entry experience(const SecretKey& key, const std::string& id, const std::string& caseRef) {
    return record(key, Kind::kExperience, {{"id", id}, {"case", caseRef}, {"text", "Det virket"}});
  }
  // A case whose related list names each (ref, relationship) given.
  Entry relatedCase(const SecretKey& key, const std::string& id,
                    const std::vector<std::pair<std::string, std::string>>& related) {
    Json doc = Json::parse(testing::caseJson(id));
    for (const auto& [ref, relationship] : related) {
      doc["related"].push_back({{"case", ref}, {"relationship", relationship}});
    }
    return record(key, Kind::kCase, doc);
  }
  Entry retract(const SecretKey& key, const std::string& id, Kind target) {
    return next(key, Kind::kRetract, encodeRetract({id, false, target}));
  }

  // The links to alice's case `id`, as "relation <author-name>/<id>".
  std::vector<std::string> linksTo(const std::string& id) {
    auto links = store_->linksTo(CaseKey{alice_->publicKey(), id});
    EXPECT_TRUE(links.isOk()) << links.status().message();
    std::vector<std::string> out;
    for (const auto& l : links.isOk() ? *links : std::vector<Link>{}) {
      std::string who = l.source.author == alice_->publicKey() ? "alice" : "bob";
      out.push_back(l.relation + " " + who + "/" + l.source.id);
    }
    return out;
  }

  void expectVerifies() {
    auto r = verifyStore(*store_);
    EXPECT_TRUE(r.isOk()) << r.status().message();
  }
};

TEST_F(LinksTest, ExperienceIsListedUnderItsCaseEvenBeforeTheCaseArrives) {
  const std::string flood = refOf(*alice_, "flood");
  apply({experience(*bob_, "reuse", flood)});
  EXPECT_EQ(linksTo("flood"), std::vector<std::string>{"experience bob/reuse"});
  EXPECT_FALSE(*store_->caseState(CaseKey{alice_->publicKey(), "flood"}));
  apply(
      {caseEntry(*alice_, testing::caseJson("flood")), caseEntry(*alice_, testing::caseJson("x"))});
  EXPECT_EQ(linksTo("flood"), std::vector<std::string>{"experience bob/reuse"});
  EXPECT_TRUE(linksTo("x").empty());
  expectVerifies();

  // A new version about another case moves the link; both in one batch too.
  apply({experience(*bob_, "reuse", refOf(*alice_, "x")), experience(*bob_, "more", flood),
         experience(*bob_, "more", flood)});
  EXPECT_EQ(linksTo("flood"), std::vector<std::string>{"experience bob/more"});
  EXPECT_EQ(linksTo("x"), std::vector<std::string>{"experience bob/reuse"});
  // Retracting the experience drops its link; retracting the case does not
  // drop what others wrote about it.
  apply({retract(*bob_, "reuse", Kind::kExperience), retract(*alice_, "flood", Kind::kCase)});
  EXPECT_TRUE(linksTo("x").empty());
  EXPECT_EQ(linksTo("flood"), std::vector<std::string>{"experience bob/more"});
  auto state = store_->recordState(Kind::kExperience, CaseKey{bob_->publicKey(), "reuse"});
  ASSERT_TRUE(state.isOk() && *state);
  EXPECT_TRUE((*state)->retracted);
  expectVerifies();
}

TEST_F(LinksTest, RelatedCasesAreListedWithTheirRelationship) {
  const std::string flood = refOf(*alice_, "flood");
  apply({caseEntry(*alice_, testing::caseJson("flood")),
         relatedCase(*bob_, "copy", {{flood, "derived-from"}, {flood, "same-need"}}),
         relatedCase(*alice_, "flood-2", {{flood, "follow-up"}})});
  EXPECT_EQ(linksTo("flood"),
            (std::vector<std::string>{"derived-from bob/copy", "follow-up alice/flood-2",
                                      "same-need bob/copy"}));
  // An update keeps only what the new version says.
  apply({relatedCase(*bob_, "copy", {{flood, "prior"}})});
  EXPECT_EQ(linksTo("flood"),
            (std::vector<std::string>{"follow-up alice/flood-2", "prior bob/copy"}));
  apply({caseEntry(*alice_, testing::caseJson("flood-2")), retract(*bob_, "copy", Kind::kCase)});
  EXPECT_TRUE(linksTo("flood").empty());
  expectVerifies();
}

TEST_F(LinksTest, NeedsHaveTheirOwnIdsAndRetractsNameTheKind) {
  apply({caseEntry(*alice_, testing::caseJson("flood")), need(*alice_, "flood", "Behov 1"),
         need(*alice_, "flood", "Behov 2"), need(*bob_, "roads")});
  const CaseKey aliceFlood{alice_->publicKey(), "flood"};
  auto needState = store_->recordState(Kind::kNeed, aliceFlood);
  ASSERT_TRUE(needState.isOk() && *needState);
  EXPECT_EQ((*needState)->seq, 3u);  // the latest version wins
  auto live = [&] {
    std::vector<std::string> ids;
    EXPECT_TRUE(store_
                    ->forEachLive(Kind::kNeed,
                                  [&](const CaseKey& k, const CaseState&) {
                                    ids.push_back(k.id);
                                    return Status::ok();
                                  })
                    .isOk());
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  EXPECT_EQ(live(), (std::vector<std::string>{"flood", "roads"}));

  // Retracting the need leaves the case of the same id alone.
  apply({retract(*alice_, "flood", Kind::kNeed)});
  EXPECT_TRUE((*store_->recordState(Kind::kNeed, aliceFlood))->retracted);
  EXPECT_FALSE((*store_->caseState(aliceFlood))->retracted);
  EXPECT_EQ(live(), std::vector<std::string>{"roads"});
  // A retract of a need this node never saw adds nothing.
  apply({retract(*bob_, "unknown", Kind::kNeed)});
  EXPECT_FALSE(*store_->recordState(Kind::kNeed, CaseKey{bob_->publicKey(), "unknown"}));
  expectVerifies();
  reopen();
  EXPECT_EQ(live(), std::vector<std::string>{"roads"});
}

TEST_F(LinksTest, VerifyCatchesATamperedLinkOrNeedState) {
  const std::string flood = refOf(*alice_, "flood");
  apply({caseEntry(*alice_, testing::caseJson("flood")), experience(*bob_, "reuse", flood),
         need(*bob_, "roads")});
  expectVerifies();
  const std::string real =
      keys::link(alice_->publicKey(), "flood", kExperienceRelation, bob_->publicKey(), "reuse");
  const std::string forged =
      keys::link(alice_->publicKey(), "flood", "derived-from", bob_->publicKey(), "reuse");

  tamper([&](rocksdb::DB& db, Handles& cf) { db.Put({}, cf["links"], forged, ""); });
  EXPECT_EQ(linksTo("flood"),
            (std::vector<std::string>{"derived-from bob/reuse", "experience bob/reuse"}));
  expectVerifyFails("links: unexpected key " + toHex(alice_->publicKey()) +
                    "/flood <- derived-from <- " + toHex(bob_->publicKey()) + "/reuse");
  tamper([&](rocksdb::DB& db, Handles& cf) { db.Delete({}, cf["links"], forged); });
  expectVerifies();

  tamper([&](rocksdb::DB& db, Handles& cf) { db.Delete({}, cf["links"], real); });
  expectVerifyFails("links holds 0 keys but the logs call for 1");
  tamper([&](rocksdb::DB& db, Handles& cf) { db.Put({}, cf["links"], real, ""); });
  expectVerifies();

  tamper([&](rocksdb::DB& db, Handles& cf) {
    db.Put({}, cf["needs"], keys::caseKey(bob_->publicKey(), "roads"),
           keys::caseValue(3, /*retracted=*/true, 0));
  });
  expectVerifyFails("needs: " + toHex(bob_->publicKey()) + "/roads does not match the log");
}

TEST_F(LinksTest, MalformedLinkKeyIsReportedNotTrusted) {
  apply({caseEntry(*alice_, testing::caseJson("flood"))});
  tamper([&](rocksdb::DB& db, Handles& cf) {
    db.Put({}, cf["links"], keys::linksPrefix(alice_->publicKey(), "flood") + "experience", "");
  });
  auto links = store_->linksTo(CaseKey{alice_->publicKey(), "flood"});
  ASSERT_FALSE(links.isOk());
  EXPECT_EQ(links.status().message(), "links: malformed key");
}

TEST(CaseKeyOfRef, ParsesOnlyWholeCaseRefs) {
  const std::string hex(64, 'a');
  auto key = caseKeyOfRef(hex + "/flom-1");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->id, "flom-1");
  EXPECT_EQ(key->author[0], 0xaa);
  EXPECT_FALSE(caseKeyOfRef("flom-1"));
  EXPECT_FALSE(caseKeyOfRef(hex + "/"));
  EXPECT_FALSE(caseKeyOfRef(hex + "/Flom"));
  EXPECT_FALSE(caseKeyOfRef(hex.substr(2) + "/flom"));
  EXPECT_FALSE(caseKeyOfRef(std::string(64, 'g') + "/flom"));
}

}  // namespace
}  // namespace allmenning
