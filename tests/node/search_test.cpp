// Full-text search through the node: stemming, compounds, filters, ranking,
// retraction, rebuild, catch-up after a crash, and entries from peers.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "node/node.h"
#include "storage/store_log.h"
#include "tests/sim/sim_author.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

SearchFilter textQuery(std::string text) {
  SearchFilter f;
  f.text = std::move(text);
  f.limit = 1000;
  return f;
}

class SearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(initCrypto().isOk());
    InitOptions o;
    o.profile.name = "Lom kommune";
    ASSERT_TRUE(Node::init(home(), o, clock_).isOk());
    reopen();
  }

  std::string home() const { return dir_ / "home"; }

  void reopen() {
    node_.reset();
    lines_.clear();
    auto n = Node::open(home(), clock_, [this](std::string_view l) { lines_.emplace_back(l); });
    ASSERT_TRUE(n.isOk()) << n.status().message();
    node_ = std::move(*n);
  }

  // Publishes a case with `fields` over a minimal valid record; returns its id.
  std::string put(const std::string& id, const Json& fields) {
    Json c{{"id", id}, {"title", "Sak " + id}, {"procedure", "open"}, {"status", "completed"}};
    c.update(fields);
    auto r = node_->putCase(c.dump());
    EXPECT_TRUE(r.isOk()) << id << ": " << r.status().message();
    return id;
  }

  // Case ids of a search, in result order.
  std::vector<std::string> ids(SearchFilter f) {
    auto rows = node_->search(f);
    EXPECT_TRUE(rows.isOk()) << rows.status().message();
    std::vector<std::string> out;
    if (!rows.isOk()) return out;
    for (const auto& r : (*rows)["cases"]) {
      std::string ref = r["case"];
      out.push_back(ref.substr(ref.find('/') + 1));
    }
    return out;
  }
  std::vector<std::string> ids(const std::string& text) {
    SearchFilter f;
    f.text = text;
    return ids(f);
  }
  std::set<std::string> idSet(const SearchFilter& f) {
    auto v = ids(f);
    return {v.begin(), v.end()};
  }

  TempDir dir_;
  int64_t now_ = 1700000000000;  // 2023-11-14
  Clock clock_ = [this] { return now_ += 1000; };
  std::unique_ptr<Node> node_;
  std::vector<std::string> lines_;
};

TEST_F(SearchTest, OtherInflectionsFindTheCase) {
  put("tunnel", {{"summary", "Lyd viser veien ut av tunneler ved brann."}});
  put("skole", {{"need", "Skoler deler utstyr de sjelden bruker."}});
  put("annet", {{"summary", "Ingenting om det."}});
  EXPECT_EQ(ids("tunnelen"), std::vector<std::string>{"tunnel"});
  EXPECT_EQ(ids("tunnel"), std::vector<std::string>{"tunnel"});
  EXPECT_EQ(ids("skolene"), std::vector<std::string>{"skole"});
  EXPECT_EQ(ids("skolen utstyret"), std::vector<std::string>{"skole"});  // every word
  auto both = node_->search(textQuery("skolene tunnelen"));              // no case holds both
  ASSERT_TRUE(both.isOk());
  EXPECT_EQ((*both)["full"], 0);
  EXPECT_EQ((*both)["total"], 2);
  EXPECT_TRUE(ids("flyplass").empty());
}

TEST_F(SearchTest, APartOfACompoundFindsTheCase) {
  put("flom", {{"title", "Bedre flomvarsling i bratte vassdrag"}});
  put("skred", {{"summary", "Fiberkabler gir snøskredvarsling langs veien."}});
  put("ord", {{"summary", "Varsling av innbyggere på SMS."}});
  put("annet", {{"summary", "Skredsikring med overbygg."}});
  auto found = ids("varsling");
  EXPECT_EQ(std::set<std::string>(found.begin(), found.end()),
            (std::set<std::string>{"flom", "skred", "ord"}));
  EXPECT_EQ(found.front(), "ord") << "the whole word outranks a compound head";
  EXPECT_EQ(ids("varslingen").size(), 3u);
  EXPECT_EQ(ids("skredvarsling"), std::vector<std::string>{"skred"});
  auto rows = node_->search(textQuery("varsling"));
  ASSERT_TRUE(rows.isOk());
  for (const auto& r : (*rows)["cases"]) {
    EXPECT_NE(r["snippet"].get<std::string>().find("arsling]"), std::string::npos) << r;
  }
}

TEST_F(SearchTest, ATitleMatchRanksAboveALessonsMatch) {
  put("a-dypt", {{"title", "Felles innkjøp av kontorrekvisita"},
                 {"summary", "Kommunene kjøpte papir og penner sammen for hele regionen."},
                 {"lessons_learned", "Neste gang vil vi også ta med brøyting i samme avtale."}});
  put("b-tittel", {{"title", "Brøyting med sensorer på kommunale veier"},
                   {"summary", "Kommunene kjøpte en tjeneste for hele regionen."}});
  EXPECT_EQ(ids("brøyting"), (std::vector<std::string>{"b-tittel", "a-dypt"}));
}

TEST_F(SearchTest, EachFilterWithTextReturnsExactlyTheExpectedSet) {
  const char* procedures[] = {"open", "pre-commercial", "innovation-partnership"};
  const char* sectors[] = {"emergency", "transport", "education"};
  const char* statuses[] = {"planning", "completed", "failed"};
  const char* cpvs[] = {"90700000-4", "72000000-5", "71000000-8"};
  const char* kommuner[] = {"3433", "3434", "0301"};
  std::mt19937 rng(7);
  std::vector<Json> model;
  for (int i = 0; i < 60; ++i) {
    Json c{{"id", "sak-" + std::to_string(i)},
           {"procedure", procedures[rng() % 3]},
           {"sector", sectors[rng() % 3]},
           {"status", statuses[rng() % 3]},
           {"cpv", {cpvs[rng() % 3]}},
           {"buyers", {{{"name", "Kommune"}, {"kommunenummer", kommuner[rng() % 3]}}}},
           {"started", std::to_string(2018 + rng() % 4) + "-03-01"},
           {"summary", rng() % 2 ? "Felles beredskap for flommer." : "Annen tekst."}};
    c["ended"] = std::to_string(std::stoi(c["started"].get<std::string>().substr(0, 4)) +
                                static_cast<int>(rng() % 3)) +
                 "-06-30";
    put(c["id"], c);
    model.push_back(c);
  }
  auto expect = [&](const SearchFilter& f, const std::function<bool(const Json&)>& keep) {
    std::set<std::string> want;
    for (const Json& c : model) {
      if (c["summary"] == "Felles beredskap for flommer." && keep(c)) want.insert(c["id"]);
    }
    EXPECT_EQ(idSet(f), want);
    return want.size();
  };
  SearchFilter f = textQuery("flommen");
  for (const char* p : procedures) {
    auto g = f;
    g.procedure = p;
    expect(g, [&](const Json& c) { return c["procedure"] == p; });
  }
  for (const char* s : sectors) {
    auto g = f;
    g.sector = s;
    expect(g, [&](const Json& c) { return c["sector"] == s; });
  }
  for (const char* s : statuses) {
    auto g = f;
    g.status = s;
    expect(g, [&](const Json& c) { return c["status"] == s; });
  }
  for (std::string cpv : {"7", "72", "907", "71000000-8"}) {
    auto g = f;
    g.cpvPrefix = cpv;
    expect(g, [&](const Json& c) { return c["cpv"][0].get<std::string>().starts_with(cpv); });
  }
  for (const char* k : kommuner) {
    auto g = f;
    g.kommune = k;
    expect(g, [&](const Json& c) { return c["buyers"][0]["kommunenummer"] == k; });
  }
  size_t inYears = 0;
  for (int year = 2016; year <= 2025; ++year) {
    auto g = f;
    g.year = year;
    inYears += expect(g, [year](const Json& c) {
      return std::stoi(c["started"].get<std::string>()) <= year &&
             year <= std::stoi(c["ended"].get<std::string>());
    });
  }
  EXPECT_GT(inYears, 30u) << "cases span several years each";
  auto g = f;
  g.author = node_->id();
  g.sector = "emergency";
  g.status = "completed";
  EXPECT_GT(expect(g,
                   [](const Json& c) {
                     return c["sector"] == "emergency" && c["status"] == "completed";
                   }),
            0u);
  g = SearchFilter{};  // --year alone
  g.year = 2019;
  g.limit = 1000;
  std::set<std::string> want;
  for (const Json& c : model) {
    if (std::stoi(c["started"].get<std::string>()) <= 2019 &&
        2019 <= std::stoi(c["ended"].get<std::string>())) {
      want.insert(c["id"]);
    }
  }
  EXPECT_EQ(idSet(g), want);
}

// A case with a start and no end is still running: it belongs to every
// year from its start on, with words and without.
TEST_F(SearchTest, AnOpenEndedCaseRunsInEveryYearFromItsStart) {
  put("lopende", {{"started", "2025-03-01"}, {"summary", "Flom i elvene."}});
  put("avsluttet", {{"started", "2025-03-01"}, {"ended", "2025-12-31"}, {"summary", "Flom."}});
  put("slutt", {{"ended", "2024-06-30"}, {"summary", "Flom i fjor."}});
  auto inYear = [&](int year, const std::string& text) {
    SearchFilter f = textQuery(text);
    f.year = year;
    return idSet(f);
  };
  for (const std::string text : {"", "flom"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(inYear(2024, text), std::set<std::string>{"slutt"});
    EXPECT_EQ(inYear(2025, text), (std::set<std::string>{"lopende", "avsluttet"}));
    EXPECT_EQ(inYear(2026, text), std::set<std::string>{"lopende"});
    EXPECT_EQ(inYear(2090, text), std::set<std::string>{"lopende"});
  }
}

// A page is at most `limit` rows after `offset`; every page gives the total,
// from the RocksDB path (no words) and from the index (words) alike.
TEST_F(SearchTest, APageSaysHowManyMatchInAll) {
  for (int i = 0; i < 60; ++i) {
    put("sak-" + std::to_string(i), {{"sector", "emergency"}, {"summary", "Flomvarsling."}});
  }
  put("annen", {{"sector", "transport"}, {"summary", "Veg."}});
  SearchFilter byWords = textQuery("varsling"), byFilter;
  byWords.limit = 50;
  byFilter.sector = "emergency";
  for (SearchFilter f : {byWords, byFilter}) {
    SCOPED_TRACE(f.text);
    auto first = node_->search(f);
    ASSERT_TRUE(first.isOk()) << first.status().message();
    EXPECT_EQ((*first)["total"], 60);
    EXPECT_EQ((*first)["offset"], 0);
    EXPECT_EQ((*first)["cases"].size(), 50u);
    f.offset = 50;
    auto second = node_->search(f);
    ASSERT_TRUE(second.isOk()) << second.status().message();
    EXPECT_EQ((*second)["total"], 60);
    EXPECT_EQ((*second)["offset"], 50);
    EXPECT_EQ((*second)["cases"].size(), 10u);
    std::set<std::string> all;
    for (const auto* page : {&*first, &*second}) {
      for (const auto& r : (*page)["cases"]) all.insert(r["case"].get<std::string>());
    }
    EXPECT_EQ(all.size(), 60u) << "the pages do not overlap";
    f.offset = 60;
    auto past = node_->search(f);
    ASSERT_TRUE(past.isOk());
    EXPECT_EQ((*past)["total"], 60);
    EXPECT_TRUE((*past)["cases"].empty());
  }
}

TEST_F(SearchTest, RetractedAndReplacedTextDisappears) {
  put("a", {{"summary", "Droner inspiserer bruer."}});
  put("b", {{"summary", "Droner leverer blodprøver."}});
  EXPECT_EQ(ids("droner").size(), 2u);
  ASSERT_TRUE(node_->retractCase({node_->id(), "a"}).isOk());
  EXPECT_EQ(ids("droner"), std::vector<std::string>{"b"});
  put("b", {{"summary", "Roboter leverer blodprøver."}});  // a new version
  EXPECT_TRUE(ids("droner").empty());
  EXPECT_EQ(ids("roboter"), std::vector<std::string>{"b"});
  reopen();  // and so it stays once committed
  EXPECT_TRUE(ids("droner").empty());
  EXPECT_EQ(ids("roboter"), std::vector<std::string>{"b"});
}

// A case with a run of letters longer than any index term is still indexed
// by its other words, and a query for such a run finds nothing, without error.
TEST_F(SearchTest, AnOverlongWordNeitherBreaksIndexingNorSearch) {
  std::string longWord(300, 'a');
  put("lang", {{"summary", "Droner over fjorden " + longWord + " i vinter."}});
  EXPECT_EQ(ids("droner"), std::vector<std::string>{"lang"});
  EXPECT_TRUE(ids(longWord).empty());
  auto some = node_->search(textQuery("droner " + longWord));
  ASSERT_TRUE(some.isOk());
  EXPECT_EQ((*some)["full"], 0);
  EXPECT_EQ((*some)["unmatched"], Json::array({longWord}));
  put("etter", {{"summary", "Droner igjen."}});  // the index still takes entries
  EXPECT_EQ(ids("droner").size(), 2u);
}

// Rebuilding from the database gives the same answers, and a node whose
// index lags (a crash before the index commit) catches up at open.
TEST_F(SearchTest, DeletedOrStaleIndexIsRebuiltWithTheSameResults) {
  for (int i = 0; i < 30; ++i) {
    put("sak-" + std::to_string(i),
        {{"summary", i % 3 ? "Felles flomvarsling for kommunene." : "Varsling av flom i elver."},
         {"sector", i % 2 ? "emergency" : "environment"}});
  }
  ASSERT_TRUE(node_->retractCase({node_->id(), "sak-4"}).isOk());
  auto answers = [this] {
    std::vector<Json> out;
    SearchFilter emergency = textQuery("flom"), year;
    emergency.sector = "emergency";
    year.year = 2023;
    year.limit = 1000;
    for (const SearchFilter& f : {textQuery("varsling"), emergency, year}) {
      auto rows = node_->search(f);
      EXPECT_TRUE(rows.isOk());
      out.push_back(rows.isOk() ? *rows : Json());
    }
    return out;
  };
  auto before = answers();
  ASSERT_EQ(before[0]["cases"].size(), 29u);

  node_.reset();
  fs::remove_all(home() + "/search");
  reopen();
  ASSERT_FALSE(lines_.empty());
  EXPECT_EQ(lines_.front().rfind("search index: building from 32 entries", 0), 0u) << lines_[0];
  EXPECT_EQ(answers(), before);

  // An index left behind by a crash: the copy taken before the last puts.
  node_.reset();
  fs::copy(home() + "/search", dir_ / "old-search", fs::copy_options::recursive);
  reopen();
  put("sak-ny", {{"summary", "Varsling ved ras."}});
  ASSERT_TRUE(node_->retractCase({node_->id(), "sak-5"}).isOk());
  before = answers();
  node_.reset();
  fs::remove_all(home() + "/search");
  fs::rename(dir_ / "old-search", home() + "/search");
  reopen();
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0], "search index: applying 2 entries it lacks");
  EXPECT_EQ(answers(), before);
  EXPECT_EQ(ids("ras"), std::vector<std::string>{"sak-ny"});
}

// Damage under the open index, found by a query and then by an update: the
// node reports it once, sets the folder aside, rebuilds it and answers.
// Enough cases that the tables span many blocks, most of them not cached.
TEST_F(SearchTest, DamageFoundWhileTheIndexIsOpenCostsARebuild) {
  std::string lines;
  for (int i = 0; i < 600; ++i) {
    std::string n = std::to_string(i);
    lines += Json{{"id", "sak-" + n},
                  {"title", "Sak " + n + " om varsling"},
                  {"procedure", "open"},
                  {"status", "completed"},
                  {"summary", "Varsling av flom i vassdrag " + n + " og elv e" + n + "."}}
                 .dump() +
             "\n";
  }
  testing::writeFile(dir_ / "cases.jsonl", lines);
  auto imported = node_->importJsonl(
      dir_ / "cases.jsonl", [](const std::string&) {}, [](uint64_t) {});
  ASSERT_TRUE(imported.isOk()) << imported.status().message();
  auto before = ids(textQuery("flom"));
  ASSERT_EQ(before.size(), 600u);
  const std::string damaged = "search index: the files in " + home() + "/search are damaged (";
  auto expectReported = [&] {
    ASSERT_EQ(lines_.size(), 3u) << ::testing::PrintToString(lines_);
    EXPECT_EQ(lines_[0].rfind(damaged, 0), 0u) << lines_[0];
    EXPECT_NE(lines_[0].find("Error: "), std::string::npos) << lines_[0];
    EXPECT_NE(lines_[0].find("; moved it to " + home() + "/search.damaged-"), std::string::npos);
    EXPECT_EQ(lines_[1].rfind("search index: building from", 0), 0u) << lines_[1];
    lines_.clear();
  };
  lines_.clear();
  for (const char* table : {"postlist.glass", "docdata.glass", "termlist.glass"}) {
    testing::zeroIndexTable(home() + "/search/" + table);
  }
  EXPECT_EQ(ids(textQuery("flom")), before);
  expectReported();

  testing::zeroIndexTable(home() + "/search/postlist.glass");
  testing::zeroIndexTable(home() + "/search/termlist.glass");
  put("sak-7", {{"summary", "Ny tekst om ras."}});
  expectReported();  // by the update, before any search
  EXPECT_EQ(ids(textQuery("flom")).size(), 599u);
  EXPECT_EQ(ids("ras"), std::vector<std::string>{"sak-7"});
  EXPECT_TRUE(lines_.empty());
  size_t aside = 0;
  for (const auto& e : fs::directory_iterator(home())) {
    aside += e.path().filename().string().starts_with("search.damaged-");
  }
  EXPECT_EQ(aside, 1u);
}

// Entries from a peer reach the index in the same path that stores them.
TEST_F(SearchTest, CasesFromPeersAreFoundAsSoonAsStored) {
  testing::SimAuthor peer(node_->store().network());
  ASSERT_TRUE(node_->trustKey(peer.id(), "Vågå kommune").isOk());
  StoreLog log(node_->store(), clock_);
  Json c{{"id", "fra-vaga"},
         {"title", "Snøskredvarsling for fjellovergang"},
         {"procedure", "open"},
         {"status", "planning"}};
  auto payload = caseFromJson(c.dump());
  ASSERT_TRUE(payload.isOk());
  auto out = log.apply({peer.nextWith(Kind::kCase, *payload, now_)});
  ASSERT_TRUE(out.isOk());
  ASSERT_EQ(out->front().outcome, Outcome::kAccepted);
  auto page = node_->search(textQuery("varsling"));
  ASSERT_TRUE(page.isOk());
  const Json& rows = (*page)["cases"];
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["case"], toHex(peer.id()) + "/fra-vaga");
  // No profile from Vågå yet: the name is the one it was trusted with.
  EXPECT_EQ(rows[0]["authorName"], "Vågå kommune");
  EXPECT_EQ(rows[0]["nameSource"], "trust");
  EXPECT_EQ(rows[0]["profileName"], nullptr);
  auto retract = encodeRetract({"fra-vaga", false});
  ASSERT_TRUE(log.apply({peer.nextWith(Kind::kRetract, retract, now_)}).isOk());
  EXPECT_TRUE(ids("varsling").empty());
}

// Issue 15, point 2: æ, ø and å typed as their ASCII stand-ins find the
// case; a case that spells the word as typed ranks first.
TEST_F(SearchTest, AsciiStandInsOfAeOeAaFindTheCase) {
  put("skred", {{"summary",
                 "Et varslingssystem for snøskred, testet i Holmbuktura utenfor "
                 "Tromsø."}});
  put("flom", {{"summary", "Flommen i 2018 kostet Skjåk kommune alene 160 millioner kroner."}});
  put("annet", {{"summary", "Brøyting med sensorer."}});
  EXPECT_EQ(ids("snoskred"), std::vector<std::string>{"skred"});
  EXPECT_EQ(ids("snoeskred"), std::vector<std::string>{"skred"});
  EXPECT_EQ(ids("Tromso"), std::vector<std::string>{"skred"});
  EXPECT_EQ(ids("Skjak"), std::vector<std::string>{"flom"});
  EXPECT_EQ(ids("skjaak kommune"), std::vector<std::string>{"flom"});
  EXPECT_EQ(ids("Skja\xcc\x8ak"), std::vector<std::string>{"flom"}) << "NFC";
  auto rows = node_->search(textQuery("Tromso"));
  ASSERT_TRUE(rows.isOk());
  EXPECT_NE((*rows)["cases"][0]["snippet"].get<std::string>().find("[Tromsø]"), std::string::npos)
      << (*rows)["cases"][0];
}

TEST_F(SearchTest, AnExactAeOeAaMatchRanksAboveAFoldedOne) {
  put("ascii", {{"title", "Ny bro i Tromso"}, {"summary", "Bro over sundet."}});
  put("exact", {{"title", "Ny bro i Tromsø"}, {"summary", "Bro over sundet."}});
  put("annet1", {{"summary", "Brøyting i Bodø."}});
  put("annet2", {{"summary", "Brøyting i Alta."}});
  EXPECT_EQ(ids("Tromsø"), (std::vector<std::string>{"exact", "ascii"}));
  EXPECT_EQ(ids("Tromso"), (std::vector<std::string>{"ascii", "exact"}));
}

// Issue 15, point 6: a query with a word no case holds still answers, with
// the cases holding the other words below every full match, and says which
// word matched nothing.
TEST_F(SearchTest, PartialMatchesRankBelowFullOnesAndUnmatchedWordsAreNamed) {
  put("full", {{"summary", "Varsling av flom i små og bratte vassdrag."}});
  put("flom", {{"title", "Flomvarsling for Skjåk"}, {"tags", {"flom", "vassdrag"}}});
  put("skred", {{"summary", "Fiberkabler gir snøskredvarsling langs veien."}});
  auto r = node_->search(textQuery("flom varsling"));
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ((*r)["full"], 2);  // "full" and "flom" (varsling as a head)
  std::vector<std::string> got = ids(textQuery("flom varsling vassdrag"));
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got.back(), "skred") << "one word of three ranks last";
  // A title and tags full of "flom" still rank below the case holding every word.
  got = ids(textQuery("flom vassdrag bratte"));
  EXPECT_EQ(got, (std::vector<std::string>{"full", "flom"}));
  auto none = node_->search(textQuery("flom gressklipping"));
  ASSERT_TRUE(none.isOk());
  EXPECT_EQ((*none)["full"], 0);
  EXPECT_EQ((*none)["unmatched"], Json::array({"gressklipping"}));
  EXPECT_EQ((*none)["cases"][0]["partial"], true);
  auto paged = textQuery("flom vassdrag bratte");
  paged.offset = 1;
  paged.limit = 1;
  EXPECT_EQ(ids(paged), std::vector<std::string>{"flom"}) << "paging runs on into the partial ones";
}

TEST_F(SearchTest, QuotedPhrasesAndExcludedWords) {
  put("sma", {{"summary", "Flomvarsling for små og bratte vassdrag i Nord-Gudbrandsdal."}});
  put("drift", {{"summary", "Varsling for små vassdrag fungerer i test; nå trengs drift."}});
  put("skred", {{"summary", "Snøskredvarsling langs fylkesveier."}});
  EXPECT_EQ(ids("\"små vassdrag\""), std::vector<std::string>{"drift"});
  EXPECT_EQ(ids("\"Små vassdragene\""), std::vector<std::string>{"drift"}) << "stems";
  EXPECT_EQ(ids("\"vassdrag små\"").size(), 0u);
  auto v = ids("varsling -drift");
  EXPECT_EQ(std::set<std::string>(v.begin(), v.end()), (std::set<std::string>{"sma", "skred"}));
  EXPECT_EQ(ids("varsling -fylkesveiene -drift"), std::vector<std::string>{"sma"}) << "stems";
  EXPECT_EQ(ids("nord-gudbrandsdal"), std::vector<std::string>{"sma"}) << "a hyphen inside a word";
  auto r = node_->search(textQuery("\"bratte fjell\" -drift"));
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ((*r)["unmatched"], Json::array({"\"bratte fjell\""}));
}

// Issue 15, point 4: a typo that finds nothing is searched as the index's
// own spelling of the word, and the answer says so; a replaced or retracted
// case's words are no longer offered.
TEST_F(SearchTest, ATypoIsSearchedAsTheIndexSpellsTheWord) {
  put("flom", {{"title", "Bedre flomvarsling i bratte vassdrag"}});
  put("bok", {{"summary", "Selvbetjent bibliotek med meråpent utlån."}});
  auto r = node_->search(textQuery("flomvarslig"));
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ((*r)["corrections"],
            Json::parse(R"([{"typed": "flomvarslig", "searched": "flomvarsling"}])"));
  EXPECT_EQ(ids("flomvarslig"), std::vector<std::string>{"flom"});
  EXPECT_NE((*r)["cases"][0]["snippet"].get<std::string>().find("[flomvarsling]"),
            std::string::npos);
  EXPECT_EQ(ids("biblotek"), std::vector<std::string>{"bok"});
  auto exact = node_->search(textQuery("bibliotek"));
  ASSERT_TRUE(exact.isOk());
  EXPECT_TRUE((*exact)["corrections"].empty()) << "a word the index holds is not corrected";
  put("bok", {{"summary", "Selvbetjent utlån av bøker."}});  // replaced: no "bibliotek"
  EXPECT_TRUE(ids("biblotek").empty());
  ASSERT_TRUE(node_->retractCase({node_->id(), "flom"}).isOk());
  EXPECT_TRUE(ids("flomvarslig").empty());
  // "skile" is one edit from "skule" and from "skole". Two cases said "skule"
  // before they were replaced; had their words stayed in the spelling list,
  // the more frequent "skule" would win and find nothing.
  put("nyn1", {{"summary", "Skule i Vågå."}});
  put("nyn2", {{"summary", "Skule i Lom."}});
  put("nyn1", {{"summary", "Barnehage i Vågå."}});
  put("nyn2", {{"summary", "Barnehage i Lom."}});
  put("bm", {{"summary", "Skole i Skjåk."}});
  EXPECT_EQ(ids("skile"), std::vector<std::string>{"bm"});
}

}  // namespace
}  // namespace allmenning
