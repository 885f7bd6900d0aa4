// need match: needs written in other words than the cases they should find.
#include <gtest/gtest.h>

#include <filesystem>

#include "node/node.h"
#include "protocol/record_json.h"
#include "storage/store_log.h"
#include "tests/sim/sim_author.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

// Other cases in the same sectors, sharing everyday words with the needs.
const char* const kDistractors[][3] = {
    {"emergency", "Nytt nødnett for brannvesenet",
     "Brannvesenet trenger bedre samband når de rykker ut til hus og veier."},
    {"emergency", "Beredskapslager for kommunen",
     "Kommunen skal ha utstyr klart ved kraftig regn og strømbrudd."},
    {"health-care", "Digital timebestilling hos fastlegen",
     "Pasienter vil bestille time uten å ringe, og legene vil bruke mindre tid på telefon."},
    {"health-care", "Matlevering til hjemmeboende eldre",
     "Sykepleierne bruker tid på å kjøre mat; vi ser etter en leverandør som tar over."},
    {"education", "Nettbrett til elevene på mellomtrinnet",
     "Elevene trenger egne nettbrett, og skolene vil ha felles innkjøp."},
    {"education", "Skyss til skolene i distriktet",
     "Elever på små skoler har lang vei, og kommunen kjøper skyss."},
    {"transport", "Nye busser på fylkesveiene",
     "Fylket kjøper elektriske busser til rutene langs fylkesveiene om vinteren."},
    {"transport", "Brøyting av gang- og sykkelveier",
     "Veiene må være åpne om vinteren, og manuelle rutiner er dyre."},
    {"building", "Energisparing i kommunale bygg",
     "Nye vinduer og dører i skoler og sykehjem skal kutte strømforbruket."},
    {"building", "Riving av gammelt rådhus",
     "Rådhuset skal rives, og kommunen trenger en entreprenør til riving og bortkjøring."},
};

struct Pair {
  const char* target;  // the sample case id the need should find
  const char* sector;
  const char* title;
  const char* need;
};

const Pair kPairs[] = {
    {"flomvarsling-ottadalen", "emergency", "Beskjed før elva går over sine bredder",
     "Bekkene våre stiger raskt ved kraftig regn, og vi trenger beskjed tidlig nok til å sikre "
     "veier og hus mot flommer."},
    {"kontaktlos-pasientmonitor", "health-care", "Måle pusten til pasienter uten ledninger",
     "Sykepleierne bruker mye tid på å telle åndedrett og puls for hånd; vi ser etter sensorer "
     "som gjør det automatisk."},
    {"utstyrsdeling-skoler", "education", "Låne verktøy på tvers av skolene",
     "Hver skole har dyre maskiner som står ubrukt store deler av året; skolene bør kunne låne "
     "av hverandre."},
    {"trafikkdata-counting-hero", "transport", "Telle lastebiler og varebiler uten intervjuer",
     "Vi mangler tall på hvor mye næringstrafikk som går på fylkesveiene, og manuelle tellinger "
     "er dyre."},
    {"markedsplass-ombruk-byggematerialer", "building", "Bruke dører og stål fra riving om igjen",
     "Når vi river skoler og sykehjem, kastes materialer som kunne vært brukt i nye bygg. Vi "
     "trenger et sted å selge og kjøpe dem."},
    {"snoskredvarsling-fiber", "transport", "Vite når snøskred går over fjellveien",
     "Om vinteren stenger ras veien, og overbygg er for dyrt. Vi ser etter en måte å oppdage "
     "skredene med en gang."},
    {"tunnel-evakuering-trafsys", "transport", "Få bilistene trygt ut av tunnelen ved brann",
     "I røyk finner ikke folk nødutgangene. Vi trenger noe som leder dem ut."},
};

class MatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(initCrypto().isOk());
    InitOptions o;
    o.profile.name = "Lom kommune";
    ASSERT_TRUE(Node::init(dir_ / "home", o, systemClock()).isOk());
    auto n = Node::open(dir_ / "home", systemClock());
    ASSERT_TRUE(n.isOk()) << n.status().message();
    node_ = std::move(*n);
    for (const auto& f :
         fs::recursive_directory_iterator(fs::path(ALLMENNING_SHARED_DIR) / "data/cases")) {
      if (f.path().extension() != ".json") continue;
      auto r = node_->putCase(testing::readFile(f.path()));
      ASSERT_TRUE(r.isOk()) << f.path() << ": " << r.status().message();
    }
    int i = 0;
    for (const auto& d : kDistractors) {
      Json c{{"id", "annen-" + std::to_string(i++)},
             {"sector", d[0]},
             {"title", d[1]},
             {"need", d[2]},
             {"procedure", "open"},
             {"status", "completed"}};
      ASSERT_TRUE(node_->putCase(c.dump()).isOk());
    }
  }

  TempDir dir_;
  std::unique_ptr<Node> node_;
};

TEST_F(MatchTest, NeedsInOtherWordsFindTheirCaseInTheTopThree) {
  int first = 0;
  for (const Pair& p : kPairs) {
    Json need{{"title", p.title}, {"need", p.need}, {"sector", p.sector}};
    auto rows = node_->matchNeed(need, 3);
    ASSERT_TRUE(rows.isOk()) << rows.status().message();
    std::string want = toHex(node_->id()) + "/" + p.target;
    auto at =
        std::find_if(rows->begin(), rows->end(), [&](const Json& r) { return r["case"] == want; });
    ASSERT_NE(at, rows->end()) << p.target << " not in the top 3:\n" << rows->dump(2);
    first += at == rows->begin();
    EXPECT_FALSE((*at)["why"]["words"].empty()) << p.target << ": no shared words explained";
    EXPECT_EQ((*at)["why"]["sector"], p.sector);
  }
  std::printf("need match: %d of %zu needs rank their case first\n", first,
              sizeof kPairs / sizeof kPairs[0]);
}

TEST_F(MatchTest, SharedCpvRanksAndIsExplained) {
  Json c{{"id", "drift-av-varsling"},
         {"title", "Kjøp av tjeneste"},
         {"procedure", "open"},
         {"status", "planning"},
         {"cpv", {"90711000-0"}}};
  ASSERT_TRUE(node_->putCase(c.dump()).isOk());
  Json need{{"title", "Miljøovervåking"}, {"need", "Noe helt annet."}, {"cpv", {"90713000-8"}}};
  auto rows = node_->matchNeed(need, 5);
  ASSERT_TRUE(rows.isOk());
  ASSERT_FALSE(rows->empty());
  EXPECT_EQ((*rows)[0]["case"], toHex(node_->id()) + "/drift-av-varsling");
  EXPECT_EQ((*rows)[0]["why"]["cpv"]["digits"], 4);
  EXPECT_EQ((*rows)[0]["why"]["cpv"]["case"], "90711000-0");
  EXPECT_TRUE((*rows)[0]["why"]["words"].empty());
}

// A need received from a peer is matched like one's own.
TEST_F(MatchTest, ANeedFromAPeerIsMatchedToo) {
  testing::SimAuthor peer(node_->store().network());
  ASSERT_TRUE(node_->trustKey(peer.id(), "Vågå kommune").isOk());
  Json need{{"id", "varsel-elver"},
            {"title", "Beskjed før bekkene flommer over"},
            {"need", "Vi trenger varsler for små vassdrag i bratt terreng."},
            {"sector", "emergency"}};
  auto payload = recordFromJson(Kind::kNeed, need.dump());
  ASSERT_TRUE(payload.isOk()) << payload.status().message();
  StoreLog log(node_->store(), systemClock());
  auto out = log.apply({peer.nextWith(Kind::kNeed, *payload, 1700000000000)});
  ASSERT_TRUE(out.isOk());
  ASSERT_EQ(out->front().outcome, Outcome::kAccepted);
  auto record = node_->needRecord(CaseKey{peer.id(), "varsel-elver"});
  ASSERT_TRUE(record.isOk()) << record.status().message();
  auto rows = node_->matchNeed(*record, 3);
  ASSERT_TRUE(rows.isOk());
  ASSERT_FALSE(rows->empty());
  EXPECT_EQ((*rows)[0]["case"], toHex(node_->id()) + "/flomvarsling-ottadalen");
}

}  // namespace
}  // namespace allmenning
