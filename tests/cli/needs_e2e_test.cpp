// End-to-end tests of `need` and `experience` with the real binary: two
// bodies, Lom and Vågå, the example files in deploy/examples, and `case show`
// listing what Vågå wrote about Lom's case once Lom imported Vågå's log.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/cli/running_node.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;
using testing::describe;
using testing::ProcessResult;
using testing::readFile;
using testing::TempDir;
using testing::words;
using testing::writeFile;

const fs::path kExamples = fs::path(ALLMENNING_SOURCE_DIR) / "deploy/examples";
const fs::path kNeedFile = kExamples / "needs/fjernavlesning-vannmalere.json";
const fs::path kExperienceFile = kExamples / "experiences/erfaring-flomvarsling-vaga.json";
const fs::path kLomCase = kExamples / "flomvarsling-sma-vassdrag.json";
const fs::path kOtherCase = kExamples / "flomvarsling-drift-skjak-lom.json";

ordered_json jsonOf(const fs::path& file) { return ordered_json::parse(readFile(file)); }

class NeedsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lom_ = init("lom", "Lom kommune", "3434");
    vaga_ = init("vaga", "Vågå kommune", "3435");
  }

  // Creates a home and returns its key.
  std::string init(const std::string& name, const std::string& body, const std::string& k) {
    EXPECT_EQ(cli(name, {"init", "--name", body, "--kommunenummer", k}).exitCode, 0);
    auto r = cli(name, {"id"});
    EXPECT_EQ(r.exitCode, 0) << describe(r);
    return r.out.substr(0, 64);
  }

  ProcessResult cli(const std::string& home, std::vector<std::string> args) {
    args.insert(args.begin(), {"--home", dir_ / home});
    return testing::runCli(args);
  }

  // Writes `doc` to a file of its own and returns the path.
  std::string file(const std::string& name, const ordered_json& doc) {
    writeFile(dir_ / name, doc.dump(2));
    return dir_ / name;
  }

  std::string exportAll(const std::string& home) {
    return cli(home, {"export", "--format", "jsonl"}).out;
  }

  TempDir dir_;
  std::string lom_, vaga_;
};

TEST_F(NeedsCliTest, NeedPutShowAndRetract) {
  const ordered_json need = jsonOf(kNeedFile);
  const std::string ref = vaga_ + "/" + need["id"].get<std::string>();
  auto r = cli("vaga", {"need", "put", kNeedFile});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  EXPECT_EQ(r.out, ref + "\n");
  EXPECT_EQ(r.err, "published as seq 2\n");
  r = cli("vaga", {"need", "put", kNeedFile});
  EXPECT_EQ(r.err, "unchanged: identical to seq 2\n");

  r = cli("vaga", {"need", "show", need["id"], "--json"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  ordered_json shown = ordered_json::parse(r.out);
  EXPECT_EQ(shown["need"], ref);
  EXPECT_EQ(shown["authorName"], "Vågå kommune");
  EXPECT_EQ(shown["seq"], 2);
  EXPECT_EQ(shown["signature"], "verified");
  EXPECT_EQ(shown["record"], need);  // every field, in the file's order

  r = cli("vaga", {"need", "show", ref});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  EXPECT_TRUE(r.out.starts_with("need             " + ref + "\n")) << r.out;
  EXPECT_NE(r.out.find("\ntitle            " + need["title"].get<std::string>() + "\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\ncpv              38421100-3, 65500000-8\n"), std::string::npos);
  EXPECT_NE(r.out.find("\nsignature        verified\n"), std::string::npos);

  r = cli("vaga", {"need", "retract", need["id"]});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  EXPECT_EQ(r.out, "retracted " + ref + "\n");
  r = cli("vaga", {"need", "show", need["id"]});
  EXPECT_NE(r.out.find("\nretracted        yes"), std::string::npos) << r.out;
  EXPECT_EQ(cli("vaga", {"need", "retract", need["id"]}).exitCode, 1);
  EXPECT_EQ(cli("vaga", {"need", "show", "no-such-need"}).exitCode, 1);
  EXPECT_EQ(cli("vaga", {"verify"}).exitCode, 0);
}

TEST_F(NeedsCliTest, BadNeedOrExperienceIsRefusedNamingTheFieldAndWritesNothing) {
  const std::string before = exportAll("vaga");
  ordered_json need = jsonOf(kNeedFile);
  need["buyers"][0]["orgnr"] = "964949205";  // 964949204 with a wrong check digit
  auto r = cli("vaga", {"need", "put", file("bad-need.json", need)});
  EXPECT_EQ(r.exitCode, 2) << describe(r);
  EXPECT_NE(r.err.find("buyers[0].orgnr: 964949205 fails the MOD11 check"), std::string::npos)
      << r.err;
  need = jsonOf(kNeedFile);
  need.erase("need");
  r = cli("vaga", {"need", "put", file("no-need.json", need)});
  EXPECT_EQ(r.exitCode, 2) << describe(r);
  EXPECT_NE(r.err.find("need: is required"), std::string::npos) << r.err;

  ordered_json experience = jsonOf(kExperienceFile);
  experience["case"] = "abc/flomvarsling-sma-vassdrag";
  r = cli("vaga", {"experience", "put", file("bad-ref.json", experience)});
  EXPECT_EQ(r.exitCode, 2) << describe(r);
  EXPECT_NE(r.err.find(R"(case: "abc/flomvarsling-sma-vassdrag" is not a case reference)"),
            std::string::npos)
      << r.err;
  // An experience is about another body's case.
  experience["case"] = vaga_ + "/egen-sak";
  r = cli("vaga", {"experience", "put", file("own.json", experience)});
  EXPECT_EQ(r.exitCode, 2) << describe(r);
  EXPECT_NE(r.err.find("is this node's own case"), std::string::npos) << r.err;
  EXPECT_EQ(exportAll("vaga"), before);
}

TEST_F(NeedsCliTest, CaseShowListsExperiencesAndCasesLinkingToIt) {
  ASSERT_EQ(cli("lom", {"case", "put", kLomCase}).exitCode, 0);
  const std::string lomCase = lom_ + "/" + jsonOf(kLomCase)["id"].get<std::string>();

  // Vågå writes about Lom's case before it holds it: a warning, not a refusal.
  ordered_json experience = jsonOf(kExperienceFile);
  experience["case"] = lomCase;
  auto r = cli("vaga", {"experience", "put", file("experience.json", experience)});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  const std::string experienceRef = vaga_ + "/" + experience["id"].get<std::string>();
  EXPECT_EQ(r.out, experienceRef + "\n");
  EXPECT_NE(r.err.find("warning: this node holds no case " + lomCase + " yet"), std::string::npos)
      << r.err;
  ordered_json derived = jsonOf(kOtherCase);
  derived["id"] = "flomvarsling-vaga";
  derived["related"] = {{{"case", lomCase}, {"relationship", "derived-from"}}};
  ASSERT_EQ(cli("vaga", {"case", "put", file("derived.json", derived)}).exitCode, 0);

  writeFile(dir_ / "vaga.jsonl", exportAll("vaga"));
  ASSERT_EQ(cli("lom", {"trust", "add", vaga_, "--name", "Vågå"}).exitCode, 0);
  r = cli("lom", {"import", "--format", "jsonl", dir_ / "vaga.jsonl"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);

  r = cli("lom", {"case", "show", lomCase, "--json"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  ordered_json shown = ordered_json::parse(r.out);
  ASSERT_EQ(shown["experiences"].size(), 1u) << r.out;
  const ordered_json& x = shown["experiences"][0];
  EXPECT_EQ(x["experience"], experienceRef);
  EXPECT_EQ(x["authorName"], "Vågå");  // as Lom's operator named it
  EXPECT_EQ(x["profileName"], "Vågå kommune");
  EXPECT_EQ(x["nameDiffers"], true);
  EXPECT_EQ(x["id"], experience["id"]);
  const std::string excerpt = x["excerpt"];
  EXPECT_TRUE(excerpt.starts_with("Vågå kommune tok i bruk varslingstjenesten")) << excerpt;
  EXPECT_TRUE(excerpt.ends_with("...")) << excerpt;
  ASSERT_EQ(shown["linkedFrom"].size(), 1u) << r.out;
  EXPECT_EQ(shown["linkedFrom"][0]["case"], vaga_ + "/flomvarsling-vaga");
  EXPECT_EQ(shown["linkedFrom"][0]["relationship"], "derived-from");
  EXPECT_EQ(shown["linkedFrom"][0]["title"], derived["title"]);

  r = cli("lom", {"case", "show", jsonOf(kLomCase)["id"]});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  // Lom trusted Vågå as "Vågå"; its own profile says "Vågå kommune".
  const std::string who = "Vågå (trusted) [its profile says \"Vågå kommune\"]";
  EXPECT_NE(r.out.find("\nexperiences\n  " + who + ": " + experienceRef + "\n    " + excerpt),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\nlinked from\n  derived-from  " + vaga_ + "/flomvarsling-vaga\n    " +
                       derived["title"].get<std::string>() + " (" + who + ")\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(cli("lom", {"verify"}).exitCode, 0);

  // Once retracted, the experience leaves the list.
  ASSERT_EQ(cli("vaga", {"experience", "retract", experience["id"]}).exitCode, 0);
  writeFile(dir_ / "vaga.jsonl", exportAll("vaga"));
  ASSERT_EQ(cli("lom", {"import", "--format", "jsonl", dir_ / "vaga.jsonl"}).exitCode, 0);
  r = cli("lom", {"case", "show", lomCase, "--json"});
  EXPECT_TRUE(ordered_json::parse(r.out)["experiences"].empty()) << r.out;
}

// `need list` and `need search` read every live need this node holds, its
// own and its peers'; `experience show` prints an experience whole.
TEST_F(NeedsCliTest, NeedListSearchAndExperienceShow) {
  const fs::path floodNeed = kExamples / "needs/varsel-flom-sma-elver.json";
  ASSERT_EQ(cli("vaga", {"need", "put", kNeedFile}).exitCode, 0);
  ASSERT_EQ(cli("vaga", {"need", "put", floodNeed}).exitCode, 0);
  ASSERT_EQ(cli("lom", {"case", "put", kLomCase}).exitCode, 0);
  ordered_json experience = jsonOf(kExperienceFile);
  experience["case"] = lom_ + "/" + jsonOf(kLomCase)["id"].get<std::string>();
  ASSERT_EQ(cli("vaga", {"experience", "put", file("experience.json", experience)}).exitCode, 0);
  ASSERT_EQ(cli("vaga", {"need", "retract", "fjernavlesning-vannmalere"}).exitCode, 0);
  ASSERT_EQ(cli("vaga", {"need", "put",
                         file("second.json",
                              [&] {
                                ordered_json n = jsonOf(kNeedFile);
                                n["id"] = "fjernavlesning-2";
                                return n;
                              }())})
                .exitCode,
            0);
  // Lom holds Vågå's log.
  writeFile(dir_ / "vaga.jsonl", exportAll("vaga"));
  ASSERT_EQ(cli("lom", {"trust", "add", vaga_, "--name", "Vågå"}).exitCode, 0);
  ASSERT_EQ(cli("lom", {"import", "--format", "jsonl", dir_ / "vaga.jsonl"}).exitCode, 0);

  auto r = cli("lom", {"need", "list", "--json"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  ordered_json rows = ordered_json::parse(r.out);
  ASSERT_EQ(rows.size(), 2u) << "the retracted need is not listed: " << r.out;
  EXPECT_EQ(rows[0]["need"], vaga_ + "/fjernavlesning-2");
  EXPECT_EQ(rows[0]["authorName"], "Vågå");  // the name Lom trusted it with
  EXPECT_EQ(rows[0]["profileName"], "Vågå kommune");
  EXPECT_EQ(rows[0]["trust"], "trusted");
  EXPECT_EQ(rows[1]["need"], vaga_ + "/varsel-flom-sma-elver");
  EXPECT_EQ(rows[1]["sector"], "emergency");
  r = cli("lom", {"need", "list"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  EXPECT_NE(
      r.out.find(vaga_ + "/varsel-flom-sma-elver\n    " +
                 jsonOf(floodNeed)["title"].get<std::string>() +
                 "\n    Vågå (trusted) [its profile says \"Vågå kommune\"] | emergency | updated "),
      std::string::npos)
      << r.out;
  EXPECT_TRUE(r.out.ends_with("\n2 needs\n")) << r.out;
  EXPECT_EQ(
      ordered_json::parse(cli("lom", {"need", "list", "--sector", "water-waste", "--json"}).out)
          .size(),
      1u);
  EXPECT_EQ(ordered_json::parse(cli("lom", {"need", "list", "--cpv", "907", "--json"}).out).size(),
            1u);
  EXPECT_TRUE(
      ordered_json::parse(cli("lom", {"need", "list", "--author", lom_, "--json"}).out).empty());

  // Words in any inflection, and as the last part of a compound.
  r = cli("lom", {"need", "search", "vannmåleren", "--json"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  rows = ordered_json::parse(r.out);
  ASSERT_EQ(rows.size(), 1u) << r.out;
  EXPECT_EQ(rows[0]["need"], vaga_ + "/fjernavlesning-2");
  r = cli("lom", {"need", "search", "avlesning", "bekkene", "--json"});
  EXPECT_TRUE(ordered_json::parse(r.out).empty()) << "every word must match: " << r.out;
  r = cli("lom", {"need", "search", "bekkene"});
  EXPECT_TRUE(r.out.ends_with("\n1 need\n")) << r.out;
  EXPECT_EQ(cli("lom", {"need", "search"}).exitCode, 2);
  EXPECT_EQ(cli("lom", {"need", "list", "--cpv", "x"}).exitCode, 2);

  // The whole text, every line of it, and the case it is about.
  const std::string ref = vaga_ + "/" + experience["id"].get<std::string>();
  r = cli("lom", {"experience", "show", ref, "--json"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  ordered_json shown = ordered_json::parse(r.out);
  EXPECT_EQ(shown["experience"], ref);
  EXPECT_EQ(shown["signature"], "verified");
  EXPECT_EQ(shown["record"]["text"], experience["text"]);
  EXPECT_EQ(shown["record"]["results"], experience["results"]);
  EXPECT_EQ(shown["about"]["case"], experience["case"]);
  EXPECT_EQ(shown["about"]["title"], jsonOf(kLomCase)["title"]);
  r = cli("lom", {"experience", "show", ref});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  std::string text = experience["text"];
  EXPECT_NE(r.out.find(text.substr(text.rfind(' ') + 1)), std::string::npos)
      << "the end of the text is shown: " << r.out;
  EXPECT_NE(r.out.find(experience["results"].get<std::string>()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nabout            " + jsonOf(kLomCase)["title"].get<std::string>()),
            std::string::npos)
      << r.out;
  // Vågå holds no such case: the experience still shows.
  r = cli("vaga", {"experience", "show", experience["id"], "--json"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  EXPECT_TRUE(ordered_json::parse(r.out)["about"].is_null());
  EXPECT_EQ(cli("lom", {"experience", "show", vaga_ + "/no-such"}).exitCode, 1);
}

TEST_F(NeedsCliTest, HelpAndUsage) {
  for (std::string cmd :
       {"need", "need put", "need show", "need list", "need search", "need retract", "experience",
        "experience put", "experience show", "experience retract"}) {
    auto r = testing::runCli(words(cmd + " --help"));
    EXPECT_EQ(r.exitCode, 0) << describe(r);
    EXPECT_NE(r.out.find("Usage: allmenning " + cmd), std::string::npos) << r.out;
  }
  EXPECT_EQ(cli("vaga", {"need"}).exitCode, 2);
  EXPECT_EQ(cli("vaga", {"need", "show"}).exitCode, 2);
  EXPECT_EQ(cli("vaga", {"need", "show", "Not_An_Id"}).exitCode, 2);
  EXPECT_EQ(cli("vaga", {"experience", "put", dir_ / "missing.json"}).exitCode, 2);
  EXPECT_EQ(cli("vaga", {"experience", "retract", "no-such"}).exitCode, 1);
}

}  // namespace
}  // namespace allmenning
