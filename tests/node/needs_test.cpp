// Node: needs and experiences published, shown, retracted and listed, with
// two nodes whose logs are handed from one store to the other.
#include <gtest/gtest.h>

#include "node/node.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

using testing::TempDir;

std::string needJson(const std::string& id, const std::string& title) {
  return Json{{"id", id}, {"title", title}, {"need", "Vi trenger varsel i tide."}}.dump();
}

std::string experienceJson(const std::string& id, const std::string& caseRef,
                           const std::string& text = "Løsningen virket hos oss også.") {
  return Json{{"id", id}, {"case", caseRef}, {"text", text}}.dump();
}

class NeedsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(initCrypto().isOk());
    lom_ = make("lom", "Lom kommune");
    vaga_ = make("vaga", "Vågå kommune");
    ASSERT_TRUE(lom_ && vaga_);
    ASSERT_TRUE(lom_->trustKey(vaga_->id(), "Vågå").isOk());
    ASSERT_TRUE(vaga_->trustKey(lom_->id(), "Lom").isOk());
  }

  std::unique_ptr<Node> make(const std::string& dir, const std::string& name) {
    InitOptions o;
    o.profile.name = name;
    EXPECT_TRUE(Node::init(dir_ / dir, o, clock_).isOk());
    auto n = Node::open(dir_ / dir, clock_);
    EXPECT_TRUE(n.isOk()) << n.status().message();
    return n.isOk() ? std::move(*n) : nullptr;
  }

  // Hands every entry of `from`'s own log to `to`, as a sync would.
  void transfer(Node& from, Node& to) {
    std::vector<Entry> entries;
    for (uint64_t s = 1; s <= from.store().head(from.id())->seq; ++s) {
      entries.push_back(**from.store().entry(from.id(), s));
    }
    auto r = to.store().apply(entries, true, clock_());
    ASSERT_TRUE(r.isOk()) << r.status().message();
  }

  PutResult put(Node& node, Kind kind, const std::string& json) {
    auto r = node.put(kind, json);
    EXPECT_TRUE(r.isOk()) << r.status().message();
    return r.isOk() ? *r : PutResult{};
  }

  std::string ref(Node& node, const std::string& id) { return toHex(node.id()) + "/" + id; }

  TempDir dir_;
  int64_t now_ = 1700000000000;
  Clock clock_ = [this] { return ++now_; };
  std::unique_ptr<Node> lom_, vaga_;
};

TEST_F(NeedsTest, PutShowAndRetractANeed) {
  PutResult first = put(*lom_, Kind::kNeed, needJson("flom", "Flomvarsel"));
  EXPECT_EQ(first.seq, 2u);  // seq 1 is the profile
  EXPECT_EQ(caseRef(first.key), ref(*lom_, "flom"));
  EXPECT_TRUE(put(*lom_, Kind::kNeed, needJson("flom", "Flomvarsel")).unchanged);
  EXPECT_EQ(put(*lom_, Kind::kNeed, needJson("flom", "Flomvarsel for bekker")).seq, 3u);

  auto shown = lom_->showNeed(first.key);
  ASSERT_TRUE(shown.isOk()) << shown.status().message();
  EXPECT_EQ((*shown)["need"], ref(*lom_, "flom"));
  EXPECT_EQ((*shown)["authorName"], "Lom kommune");
  EXPECT_EQ((*shown)["seq"], 3);
  EXPECT_EQ((*shown)["signature"], "verified");
  EXPECT_EQ((*shown)["chain"], "verified");
  EXPECT_EQ((*shown)["record"]["title"], "Flomvarsel for bekker");
  EXPECT_EQ(lom_->needRecord(first.key).value()["title"], "Flomvarsel for bekker");

  // The retract names the kind: no case "flom" exists to retract.
  EXPECT_EQ(lom_->retract(Kind::kCase, first.key).exitCode(), 1);
  ASSERT_TRUE(lom_->retract(Kind::kNeed, first.key).isOk());
  EXPECT_EQ(lom_->retract(Kind::kNeed, first.key).exitCode(), 1);
  shown = lom_->showNeed(first.key);
  ASSERT_TRUE(shown.isOk()) << shown.status().message();
  EXPECT_EQ((*shown)["retracted"], true);
  EXPECT_EQ((*shown)["seq"], 3);  // the last published version stays visible
  EXPECT_EQ((*shown)["record"]["title"], "Flomvarsel for bekker");
  EXPECT_EQ(lom_->needRecord(first.key).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(lom_->showNeed(CaseKey{lom_->id(), "other"}).status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(lom_->verify({}).isOk());
}

TEST_F(NeedsTest, ForEachNeedListsLiveNeedsOfEveryAuthor) {
  put(*lom_, Kind::kNeed, needJson("flom", "Flomvarsel"));
  put(*lom_, Kind::kNeed, needJson("ras", "Rasvarsel"));
  put(*vaga_, Kind::kNeed, needJson("vei", "Veitelling"));
  ASSERT_TRUE(lom_->retract(Kind::kNeed, CaseKey{lom_->id(), "ras"}).isOk());
  ASSERT_NO_FATAL_FAILURE(transfer(*vaga_, *lom_));
  std::set<std::string> titles;
  Status st = lom_->forEachNeed([&](const CaseKey& key, const Json& record) {
    EXPECT_EQ(record["id"], key.id);
    titles.insert(record["title"].get<std::string>());
    return Status::ok();
  });
  ASSERT_TRUE(st.isOk()) << st.message();
  EXPECT_EQ(titles, (std::set<std::string>{"Flomvarsel", "Veitelling"}));
  EXPECT_EQ(lom_->needRecord(CaseKey{vaga_->id(), "vei"}).value()["title"], "Veitelling");
  // The callback's refusal ends the walk and is returned.
  EXPECT_EQ(lom_->forEachNeed([](const CaseKey&, const Json&) { return Status::refused("stop"); })
                .message(),
            "stop");
}

TEST_F(NeedsTest, ExperienceAboutOwnCaseIsRefusedAndAMissingCaseIsAWarning) {
  put(*lom_, Kind::kCase, testing::caseJson("flom"));
  const uint64_t head = lom_->store().head(lom_->id())->seq;
  auto own = lom_->put(Kind::kExperience, experienceJson("egen", ref(*lom_, "flom")));
  ASSERT_FALSE(own.isOk());
  EXPECT_EQ(own.status().exitCode(), 2);
  EXPECT_TRUE(own.status().message().starts_with("case: " + ref(*lom_, "flom") +
                                                 " is this node's own case"))
      << own.status().message();
  EXPECT_EQ(lom_->store().head(lom_->id())->seq, head);

  PutResult early = put(*vaga_, Kind::kExperience, experienceJson("bruk", ref(*lom_, "flom")));
  EXPECT_NE(early.warning.find("holds no case " + ref(*lom_, "flom") + " yet"), std::string::npos)
      << early.warning;
  ASSERT_NO_FATAL_FAILURE(transfer(*lom_, *vaga_));
  EXPECT_EQ(
      put(*vaga_, Kind::kExperience, experienceJson("bruk", ref(*lom_, "flom"), "Nytt")).warning,
      "");
  ASSERT_TRUE(lom_->retractCase(CaseKey{lom_->id(), "flom"}).isOk());
  ASSERT_NO_FATAL_FAILURE(transfer(*lom_, *vaga_));
  EXPECT_NE(put(*vaga_, Kind::kExperience, experienceJson("bruk", ref(*lom_, "flom"), "Tredje"))
                .warning.find("is retracted"),
            std::string::npos);
}

TEST_F(NeedsTest, ShowCaseListsExperiencesAndLinkingCases) {
  put(*lom_, Kind::kCase, testing::caseJson("flom"));
  std::string longText;
  for (int i = 0; i < 30; ++i) longText += "Linje  nummer\n" + std::to_string(i) + " ";
  put(*vaga_, Kind::kExperience, experienceJson("bruk", ref(*lom_, "flom"), longText));
  Json derived = Json::parse(testing::caseJson("flom-vaga"));
  derived["related"] = {{{"case", ref(*lom_, "flom")}, {"relationship", "derived-from"}}};
  put(*vaga_, Kind::kCase, derived.dump());
  ASSERT_NO_FATAL_FAILURE(transfer(*vaga_, *lom_));

  auto shown = lom_->showCase(CaseKey{lom_->id(), "flom"}, false);
  ASSERT_TRUE(shown.isOk()) << shown.status().message();
  const Json& experiences = (*shown)["experiences"];
  ASSERT_EQ(experiences.size(), 1u);
  EXPECT_EQ(experiences[0]["experience"], ref(*vaga_, "bruk"));
  EXPECT_EQ(experiences[0]["authorName"], "Vågå");  // the name Lom trusted it with
  EXPECT_EQ(experiences[0]["profileName"], "Vågå kommune");
  EXPECT_EQ(experiences[0]["trust"], "trusted");
  EXPECT_EQ(experiences[0]["id"], "bruk");
  std::string excerpt = experiences[0]["excerpt"];
  EXPECT_TRUE(excerpt.starts_with("Linje nummer 0 Linje nummer 1 ")) << excerpt;
  EXPECT_EQ(excerpt.size(), 160u + 3u);  // ASCII: 160 characters, then "..."
  EXPECT_TRUE(excerpt.ends_with("...")) << excerpt;
  const Json& linked = (*shown)["linkedFrom"];
  ASSERT_EQ(linked.size(), 1u);
  EXPECT_EQ(linked[0]["case"], ref(*vaga_, "flom-vaga"));
  EXPECT_EQ(linked[0]["relationship"], "derived-from");
  EXPECT_EQ(linked[0]["title"], "Flomvarsling flom-vaga");

  // Retracting the experience takes it off the list.
  ASSERT_TRUE(vaga_->retract(Kind::kExperience, CaseKey{vaga_->id(), "bruk"}).isOk());
  ASSERT_NO_FATAL_FAILURE(transfer(*vaga_, *lom_));
  EXPECT_TRUE(lom_->showCase(CaseKey{lom_->id(), "flom"}, false).value()["experiences"].empty());
  EXPECT_TRUE(lom_->verify({}).isOk());
}

}  // namespace
}  // namespace allmenning
