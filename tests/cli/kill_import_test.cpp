// Crash safety of `allmenning import`: the import is SIGKILLed at random
// moments, some during pass 1 (validation, nothing written yet) and most
// during pass 2 (durable batches). Every case ref it printed before dying
// must be in the database afterwards, `verify` must pass, and the node's own
// log must have no gap in its seqs. Each run goes on where the last one
// stopped: a case already stored is not published again, so no case is
// printed twice and the log ends with exactly one version of each.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "tests/cli/process.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using testing::BackgroundProcess;
using testing::describe;
using testing::ProcessResult;
using testing::TempDir;

constexpr int kCases = 6000;
constexpr int kRounds = 20;
// Most ids a killed round waits for before it kills: small enough that the
// rounds do not finish the file between them, so most kills land mid-import.
constexpr int kMaxIdsBeforeKill = 600;
// Longest sleep of a round that kills by time alone. Pass 1 over the file
// takes about 0.2 s, so these kills land in pass 1 or in the first batches.
constexpr int kMaxEarlyKillMs = 250;
// Every kEarlyEvery-th round kills by time alone; the others first wait for
// some ids, so most kills land after ids were printed.
constexpr int kEarlyEvery = 4;

const std::vector<std::string> kWords = testing::words(
    "kommunen anskaffelsen innovasjon leverandøren løsningen brukerne tjenesten velferdsteknologi "
    "sensorer digital plattform ombruk klimagassutslipp tunnelen skolene helsetjenesten vannverket "
    "flomvarsel dialog markedet behovet gevinster utprøving pilot kostnader bærekraft sikkerhet "
    "trafikken bygget driften ansatte pasientene innbyggerne får gjennom med for og på til i år");
const std::vector<std::string> kProcedures = {"open", "innovation-partnership", "pre-commercial",
                                              "market-consultation"};
const std::vector<std::string> kStatuses = {"planning", "tendering", "development", "completed"};
const std::vector<std::string> kSectors = {"health-care", "building", "transport", "education"};
const std::vector<std::string> kCpv = {"72000000-5", "90700000-4", "71000000-8", "33100000-1"};
const std::vector<std::string> kKommuner = {"0301", "4601", "5001", "3433", "1103"};

template <typename T>
const T& pick(const std::vector<T>& v, std::mt19937& rng) {
  return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
}

int uniform(int lo, int hi, std::mt19937& rng) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

std::string sentence(size_t n, std::mt19937& rng) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += (i ? " " : "") + pick(kWords, rng);
  return out;
}

std::string caseId(int i) {
  char id[16];
  std::snprintf(id, sizeof id, "gen-%06d", i);
  return id;
}

// A valid case record of a few hundred bytes.
json syntheticCase(int i, std::mt19937& rng) {
  json buyer = {{"name", "Testkommune " + std::to_string(i % 97)},
                {"kommunenummer", pick(kKommuner, rng)},
                {"role", "lead"}};
  return {{"id", caseId(i)},
          {"title", "Syntetisk sak " + std::to_string(i) + ": " + sentence(4, rng)},
          {"summary", sentence(30, rng) + "."},
          {"need", sentence(12, rng) + "."},
          {"buyers", json::array({buyer})},
          {"procedure", pick(kProcedures, rng)},
          {"cpv", json::array({pick(kCpv, rng)})},
          {"sector", pick(kSectors, rng)},
          {"status", pick(kStatuses, rng)}};
}

using testing::testSeed;  // ALLMENNING_TEST_SEED replays a run

class KillImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::cout << "seed " << seed_ << " (ALLMENNING_TEST_SEED=" << seed_ << " replays it)\n";
    RecordProperty("seed", std::to_string(seed_));
    auto r = cli({"init", "--name", "Testkommune"});
    ASSERT_EQ(r.exitCode, 0) << describe(r);
    r = cli({"id"});
    ASSERT_EQ(r.exitCode, 0) << describe(r);
    author_ = r.out.substr(0, 64);
    std::ofstream out(file_, std::ios::binary);
    for (int i = 1; i <= kCases; ++i) out << syntheticCase(i, rng_).dump() << '\n';
    ASSERT_TRUE(out.good());
  }

  ProcessResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), {ALLMENNING_BINARY, "--home", home_});
    return testing::runProcess(args);
  }

  // Records one printed ref; it must name one of our generated cases, and
  // one that no import printed before (a stored case is not published again).
  void addPrinted(const std::string& line) {
    std::string prefix = author_ + "/gen-";
    EXPECT_TRUE(line.starts_with(prefix) && line.size() == prefix.size() + 6) << line;
    bool fresh = durable_.insert(line.substr(std::min(line.size(), prefix.size() - 4))).second;
    EXPECT_TRUE(fresh) << line << " was printed by an earlier import";
  }

  // Starts an import, kills it at a random moment, and returns how many refs
  // it printed. Returns -1 when it was not killed but finished by itself.
  int killOneImport(bool early) {
    BackgroundProcess p({ALLMENNING_BINARY, "--home", home_, "import", "--format", "jsonl", file_},
                        dir_ / "import.err");
    EXPECT_TRUE(p.started());
    int printed = 0;
    std::string line;
    if (early) {
      std::this_thread::sleep_for(milliseconds(uniform(0, kMaxEarlyKillMs, rng_)));
    } else {
      int want = uniform(1, kMaxIdsBeforeKill, rng_);
      for (; printed < want && p.readLine(&line, std::chrono::seconds(60)); ++printed) {
        addPrinted(line);
      }
      std::this_thread::sleep_for(milliseconds(uniform(0, 30, rng_)));
    }
    p.kill(SIGKILL);
    // Lines already in the pipe were printed before the kill: they count.
    for (; p.readLine(&line, std::chrono::seconds(60)); ++printed) addPrinted(line);
    EXPECT_TRUE(p.atEnd());
    int status = p.wait();
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) return printed;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "import failed: status " << status << "\n"
        << testing::readFile(dir_ / "import.err");
    return -1;
  }

  // Exports the node and checks that the own log has seqs 1..N without a
  // gap and holds every case in durable_; `versions` gets the number of
  // case entries in it.
  void checkNode(size_t* versions = nullptr) {
    auto v = cli({"verify"});
    EXPECT_EQ(v.exitCode, 0) << describe(v);
    auto r = cli({"export", "--format", "jsonl"});
    ASSERT_EQ(r.exitCode, 0) << describe(r);
    std::set<std::string> stored;
    std::vector<uint64_t> seqs;
    for (const auto& line : testing::linesOf(r.out)) {
      json e = json::parse(line);
      ASSERT_EQ(e["author"], author_) << "only this node's own log was written";
      seqs.push_back(e["seq"]);
      if (e["kind"] == "case") stored.insert(e["record"]["id"].get<std::string>());
      if (e["kind"] == "case" && versions) ++*versions;
    }
    std::sort(seqs.begin(), seqs.end());
    for (size_t i = 0; i < seqs.size(); ++i) {
      ASSERT_EQ(seqs[i], i + 1) << "the log has a gap or a duplicate seq";
    }
    std::vector<std::string> lost;
    for (const auto& id : durable_) {
      if (stored.count(id) == 0) lost.push_back(id);
    }
    EXPECT_TRUE(lost.empty()) << lost.size() << " printed cases are missing, first " << lost[0];
  }

  unsigned seed_ = testSeed();
  std::mt19937 rng_{seed_};
  TempDir dir_;
  std::string home_ = dir_ / "node";
  std::string file_ = dir_ / "cases.jsonl";
  std::string author_;
  std::set<std::string> durable_;  // case ids printed by any import so far
};

TEST_F(KillImportTest, PrintedCasesSurviveSigkill) {
  SCOPED_TRACE("seed " + std::to_string(seed_));
  int beforeAnyId = 0, afterSomeIds = 0, finished = 0;
  for (int round = 1; round <= kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int printed = killOneImport(round % kEarlyEvery == 1);
    if (printed < 0) {
      ++finished;
    } else {
      ++(printed == 0 ? beforeAnyId : afterSomeIds);
    }
    ASSERT_NO_FATAL_FAILURE(checkNode());
    if (HasFailure()) return;
  }
  std::cout << "kills before any id was printed: " << beforeAnyId
            << ", after some: " << afterSomeIds << ", imports that finished: " << finished << "; "
            << durable_.size() << " distinct cases printed\n";
  // A floor on the workload, not a safety check: on a loaded machine some
  // rounds finish the file or die before their first id, so this asks only
  // that a quarter of the kills landed mid-import.
  EXPECT_GE(afterSomeIds, kRounds / 4);

  // The last run stores what is left, and nothing twice.
  auto r = cli({"import", "--format", "jsonl", file_});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  for (const auto& line : testing::linesOf(r.out)) addPrinted(line);
  size_t versions = 0;
  checkNode(&versions);
  EXPECT_EQ(versions, static_cast<size_t>(kCases)) << "one version of each case";
  r = cli({"import", "--format", "jsonl", file_});
  EXPECT_EQ(r.out, "") << "a complete import again publishes nothing";
}

}  // namespace
}  // namespace allmenning
