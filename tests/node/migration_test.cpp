// The store in tests/data/format-1-home was written by the last build of
// storage format 1 (tests/data/make-format-1-home.sh). Every later build must
// open it, migrate it, and read all it holds: no change may strand an old node.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "node/node.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

namespace fs = std::filesystem;

class MigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(initCrypto().isOk());
    fs::copy(std::string(ALLMENNING_SOURCE_DIR) + "/tests/data/format-1-home", home(),
             fs::copy_options::recursive);
    ::chmod((home() + "/key").c_str(), 0600);  // git keeps no file modes
  }
  std::string home() const { return dir_ / "home"; }

  testing::TempDir dir_;
  Clock clock_ = [] { return int64_t{1765000000000}; };
};

TEST_F(MigrationTest, FormatOneStoreOpensAndReadsEveryEntryAndCase) {
  std::vector<std::string> lines;
  auto node = Node::open(home(), clock_, [&](std::string_view l) { lines.emplace_back(l); });
  ASSERT_TRUE(node.isOk()) << node.status().message();
  std::string said;
  for (const auto& l : lines) said += l + "\n";
  EXPECT_NE(said.find("migrating format 1 -> 2"), std::string::npos) << said;
  EXPECT_TRUE(fs::exists(home() + "/db.format-1/CURRENT")) << "the copy kept for a rollback";

  // The same entries, byte for byte, as the old build exported.
  std::ostringstream exported;
  ASSERT_TRUE((*node)->exportJsonl(exported).isOk());
  std::string old =
      testing::readFile(std::string(ALLMENNING_SOURCE_DIR) + "/tests/data/format-1-home.jsonl");
  EXPECT_EQ(exported.str(), old);
  // Every case the old build held, live or retracted, shows.
  std::set<std::string> cases;
  std::istringstream in(old);
  for (std::string line; std::getline(in, line);) {
    Json j = Json::parse(line);
    if (j["kind"] != "case") continue;
    auto author = fromHexFixed<32>(j["author"].get<std::string>());
    ASSERT_TRUE(author);
    std::string id = j["record"]["id"].get<std::string>();
    auto shown = (*node)->showCase(CaseKey{*author, id}, /*history=*/true);
    EXPECT_TRUE(shown.isOk()) << id << ": " << shown.status().message();
    cases.insert(id);
  }
  EXPECT_EQ(cases.size(), 6u);
  auto found = (*node)->search(SearchFilter{});
  ASSERT_TRUE(found.isOk());
  EXPECT_EQ((*found)["total"], 5u) << found->dump();  // one of the six is retracted
  EXPECT_TRUE((*node)->verify({}).isOk());
  auto hold = (*node)->authoringHold();
  EXPECT_FALSE(hold.isOk() && hold->has_value()) << "an upgrade in place is no copy";

  // Migrated once: the next open finds the current format.
  node->reset();
  lines.clear();
  ASSERT_TRUE(
      Node::open(home(), clock_, [&](std::string_view l) { lines.emplace_back(l); }).isOk());
  EXPECT_TRUE(lines.empty() || lines.front().find("storage:") == std::string::npos);
}

}  // namespace
}  // namespace allmenning
