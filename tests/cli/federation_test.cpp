// Federation across real processes on loopback: A - hub - B, each node an
// `allmenning run` driven through its admin socket by the CLI.
#include "tests/cli/federation.h"

#include <gtest/gtest.h>

#include <future>
#include <map>
#include <set>
#include <thread>

#include "node/net/p2p_node.h"
#include "protocol/memory_log.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

using namespace std::chrono_literals;
using testing::FedJson;
using testing::FedNode;
using testing::TempDir;
using testing::waitUntil;

// author -> head seq, as `status` shows it.
std::map<std::string, uint64_t> headsOf(const FedNode& n) {
  std::map<std::string, uint64_t> out;
  FedJson s = n.status();
  if (s.is_null() || s.is_discarded()) return out;
  for (const auto& a : s["authors"]) out[a["key"]] = a["seq"].get<uint64_t>();
  return out;
}

size_t connectionsOf(const FedNode& n) {
  FedJson s = n.status();
  return s.is_null() || s.is_discarded() ? 0 : s["connections"].size();
}

bool hasFork(const FedNode& n, const std::string& author) {
  FedJson s = n.status();
  if (s.is_null() || s.is_discarded()) return false;
  for (const auto& f : s["forks"]) {
    if (f["author"] == author) return true;
  }
  return false;
}

class FederationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(initCrypto().isOk());
    for (FedNode* n : line()) ASSERT_EQ(n->key().size(), 64u) << n->name() << " did not init";
    testing::trustEachOther(line());
    ASSERT_TRUE(testing::connect(a_, hub_));
    ASSERT_TRUE(testing::connect(b_, hub_));
  }

  std::vector<FedNode*> line() { return {&a_, &hub_, &b_}; }

  void startLine() {
    for (FedNode* n : line()) {
      ASSERT_TRUE(n->start()) << n->name() << " did not start:\n"
                              << n->log() << testing::describe(n->cli({"status", "--json"}));
    }
    ASSERT_TRUE(waitUntil([&] { return connectionsOf(hub_) == 2; }, 10s))
        << "A and B did not connect to the hub:\n"
        << hub_.log();
  }

  // Writes a case file and publishes it at `n`; returns its ref.
  std::string put(FedNode& n, const std::string& id, const std::string& status = "completed") {
    std::string file = dir_ / (id + "-" + status + ".json");
    testing::writeFile(file, testing::caseJson(id, status));
    auto r = n.cli({"case", "put", file});
    EXPECT_EQ(r.exitCode, 0) << testing::describe(r);
    return r.out.substr(0, r.out.find('\n'));
  }

  TempDir dir_;
  FedNode a_{dir_.path(), "a", "3434"};
  FedNode hub_{dir_.path(), "hub", "3400"};
  FedNode b_{dir_.path(), "b", "3433"};
};

TEST_F(FederationTest, PutUpdateAndRetractAtAReachB) {
  ASSERT_NO_FATAL_FAILURE(startLine());
  std::string ref = put(a_, "flom-1");
  auto took = waitUntil([&] { return b_.show(ref).has_value(); }, 2s);
  ASSERT_TRUE(took) << "not at B within 2 s\nhub log:\n" << hub_.log();
  std::printf("put at A shown at B after %lld ms\n", static_cast<long long>(took->count()));
  EXPECT_EQ(*a_.show(ref), *b_.show(ref));  // identical, signature and all
  // B's full-text index took the case in the same path that stored it; the
  // title says "Flomvarsling", so the compound's head finds it.
  auto found = [&](const FedNode& n) {
    return n.cli({"search", "varsling", "--json"}).out.find(ref) != std::string::npos;
  };
  EXPECT_TRUE(found(b_));

  ASSERT_EQ(put(a_, "flom-1", "implementation"), ref);
  EXPECT_TRUE(waitUntil(
      [&] {
        auto c = b_.show(ref);
        return c && (*c)["record"]["status"] == "implementation";
      },
      2s))
      << "the update did not reach B";

  ASSERT_EQ(a_.cli({"case", "retract", ref}).exitCode, 0);
  EXPECT_TRUE(waitUntil(
      [&] {
        auto c = b_.show(ref);
        return c && (*c)["retracted"] == true;
      },
      2s))
      << "the retraction did not reach B";
  EXPECT_EQ(b_.show(ref, true), a_.show(ref, true));
  EXPECT_FALSE(found(b_)) << "a retracted case left B's search results";
  for (FedNode* n : line()) EXPECT_EQ(n->cli({"verify"}).exitCode, 0) << n->name();
}

// Needs and experiences are entries like cases: pushed through the hub, and
// an experience written at B shows under A's case at A.
TEST_F(FederationTest, NeedsAndExperiencesReachEveryNode) {
  ASSERT_NO_FATAL_FAILURE(startLine());
  std::string caseRef = put(a_, "flom-1");
  std::string file = dir_ / "need.json";
  testing::writeFile(file, R"({"id":"flom","title":"Flomvarsel","need":"Bekken flommer"})");
  auto r = b_.cli({"need", "put", file});
  ASSERT_EQ(r.exitCode, 0) << testing::describe(r);
  std::string needRef = r.out.substr(0, r.out.find('\n'));
  file = dir_ / "experience.json";
  testing::writeFile(file,
                     FedJson{{"id", "bruk"}, {"case", caseRef}, {"text", "Det virket"}}.dump());
  r = b_.cli({"experience", "put", file});
  ASSERT_EQ(r.exitCode, 0) << testing::describe(r);
  std::string experienceRef = r.out.substr(0, r.out.find('\n'));

  auto experiencesAt = [&](const FedNode& n) {
    auto shown = n.cli({"case", "show", caseRef, "--json"});
    if (shown.exitCode != 0) return FedJson::array();
    return FedJson::parse(shown.out)["experiences"];
  };
  EXPECT_TRUE(waitUntil([&] { return experiencesAt(a_).size() == 1; }, 2s))
      << "the experience did not reach A\nhub log:\n"
      << hub_.log();
  EXPECT_EQ(experiencesAt(a_)[0]["experience"], experienceRef);
  for (FedNode* n : {&a_, &hub_}) {
    EXPECT_TRUE(waitUntil(
        [&] {
          return n->cli({"need", "show", needRef}).exitCode == 0;
        },
        2s))
        << "the need did not reach " << n->name();
  }
  ASSERT_EQ(b_.cli({"need", "retract", needRef}).exitCode, 0);
  EXPECT_TRUE(waitUntil(
      [&] {
        auto shown = a_.cli({"need", "show", needRef, "--json"});
        return shown.exitCode == 0 && FedJson::parse(shown.out)["retracted"] == true;
      },
      2s))
      << "the retraction did not reach A";
  for (FedNode* n : line()) EXPECT_EQ(n->cli({"verify"}).exitCode, 0) << n->name();
}

// `status` on a running node: who is connected, with traffic and lag; every
// author with its name, head and last update; the configured peers.
TEST_F(FederationTest, StatusShowsConnectionsAuthorsAndPeers) {
  ASSERT_NO_FATAL_FAILURE(startLine());
  std::string ref = put(a_, "status-sak");
  ASSERT_TRUE(waitUntil([&] { return b_.show(ref).has_value(); }, 5s));
  uint64_t seqA = a_.seqOf(a_.key());
  ASSERT_GT(seqA, 0u);
  // The hub learns each peer's heads on connect; lag is known from then on.
  ASSERT_TRUE(waitUntil(
      [&] {
        FedJson s = hub_.status();
        if (s.is_null() || s["connections"].size() != 2) return false;
        for (const auto& c : s["connections"]) {
          if (c["ahead"].is_null() || c["behind"].is_null()) return false;
        }
        return true;
      },
      5s));
  FedJson s = hub_.status();
  std::set<std::string> keys;
  for (const auto& c : s["connections"]) {
    keys.insert(c["key"].get<std::string>());
    EXPECT_EQ(c["direction"], "in");
    EXPECT_NE(c["address"].get<std::string>().find("127.0.0.1:"), std::string::npos);
    EXPECT_FALSE(c["since"].get<std::string>().empty());
    EXPECT_GT(c["bytesIn"].get<uint64_t>(), 0u);
    EXPECT_GT(c["bytesOut"].get<uint64_t>(), 0u);
  }
  EXPECT_EQ(keys, (std::set<std::string>{a_.key(), b_.key()}));
  bool sawA = false;
  for (const auto& a : s["authors"]) {
    if (a["key"] != a_.key()) continue;
    sawA = true;
    EXPECT_EQ(a["authorName"], "a");  // as B's operator named it with trust add
    EXPECT_EQ(a["profileName"], "a kommune");
    EXPECT_EQ(a["seq"].get<uint64_t>(), seqA);
    EXPECT_EQ(a["trust"], "trusted");
    EXPECT_EQ(a["lastUpdate"].get<std::string>().size(), 20u);  // 2026-11-23T21:00:00Z
  }
  EXPECT_TRUE(sawA);

  std::string text = a_.cli({"status"}).out;
  EXPECT_NE(text.find("connections (1)\n  " + hub_.key()), std::string::npos) << text;
  EXPECT_NE(text.find("peers (1)\n  " + hub_.key() + "  " + hub_.address() + "  connected"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("a kommune"), std::string::npos) << text;
  EXPECT_NE(text.find("forks (0)"), std::string::npos) << text;
}

TEST_F(FederationTest, NodesConvergeAfterTheHubRestarts) {
  ASSERT_NO_FATAL_FAILURE(startLine());
  ASSERT_TRUE(hub_.stop());
  std::string fromA = put(a_, "skred-a");
  std::string fromB = put(b_, "skred-b");
  EXPECT_FALSE(b_.show(fromA).has_value());
  ASSERT_TRUE(hub_.start());
  auto took = waitUntil(
      [&] {
        auto h = headsOf(hub_);
        return h.size() == 3 && headsOf(a_) == h && headsOf(b_) == h;
      },
      5s);
  ASSERT_TRUE(took) << "no convergence within 5 s of the restart\nA:\n" << a_.log();
  std::printf("converged %lld ms after the hub restarted\n", static_cast<long long>(took->count()));
  EXPECT_TRUE(b_.show(fromA).has_value());
  EXPECT_TRUE(a_.show(fromB).has_value());
}

TEST_F(FederationTest, UntrustedAuthorsCasesReachBOnlyOnceVouchedFor) {
  FedNode c{dir_.path(), "c", "3435"};
  ASSERT_EQ(hub_.cli({"trust", "add", c.key()}).exitCode, 0);  // the hub trusts C, B does not
  ASSERT_TRUE(testing::connect(c, hub_));
  ASSERT_NO_FATAL_FAILURE(startLine());
  ASSERT_TRUE(c.start());
  std::string untrusted = put(c, "fra-ukjent");
  ASSERT_TRUE(waitUntil([&] { return hub_.show(untrusted).has_value(); }, 5s));
  // Something A publishes afterwards reaches B, so B has synced past C's case.
  std::string later = put(a_, "etter");
  ASSERT_TRUE(waitUntil([&] { return b_.show(later).has_value(); }, 5s));
  EXPECT_FALSE(b_.show(untrusted).has_value());
  EXPECT_EQ(headsOf(b_).count(c.key()), 0u);
  EXPECT_EQ(connectionsOf(b_), 1u) << "B must stay connected: the hub did nothing wrong";

  // B trusts the hub, so the hub's vouch admits C there, and B fetches the
  // case it refused before.
  ASSERT_EQ(hub_.cli({"vouch", c.key(), "--name", "c kommune", "--kommunenummer", "3435"}).exitCode,
            0);
  ASSERT_TRUE(waitUntil([&] { return b_.show(untrusted).has_value(); }, 5s))
      << "the vouched-for case did not reach B";
  auto shown = b_.cli({"case", "show", untrusted, "--json"});
  FedJson j = FedJson::parse(shown.out);
  EXPECT_EQ(j["trust"], "vouched");
  ASSERT_EQ(j["vouchedBy"].size(), 1u);
  EXPECT_EQ(j["vouchedBy"][0]["key"], hub_.key());
  EXPECT_NE(b_.cli({"case", "show", untrusted}).out.find("vouched for by hub"), std::string::npos);
  EXPECT_EQ(b_.cli({"verify"}).exitCode, 0);
}

// A relay that serves every case entry with one payload byte changed, and
// never pushes: B only gets entries from it by asking.
class AlteringLog : public LogStore {
 public:
  explicit AlteringLog(const Hash& network) : inner_(network) {}
  const Hash& network() const override { return inner_.network(); }
  Result<std::vector<AuthorHead>> heads() const override { return inner_.heads(); }
  Result<std::vector<AuthorHead>> headsAfter(const std::optional<PublicKey>& after,
                                             size_t limit) const override {
    return inner_.headsAfter(after, limit);
  }
  Result<Head> head(const PublicKey& a) const override { return inner_.head(a); }
  Result<std::optional<Entry>> entry(const PublicKey& a, uint64_t seq) const override {
    auto e = inner_.entry(a, seq);
    if (e.isOk() && *e && (*e)->payload && (*e)->header.kind == Kind::kCase) {
      (*e)->payload->back() ^= 0x01;
    }
    return e;
  }
  Result<std::vector<ApplyOutcome>> apply(std::vector<Entry> entries) override {
    auto r = inner_.apply(std::move(entries));
    if (r.isOk()) {
      for (auto& o : *r) {
        if (o.outcome == Outcome::kAccepted) o.outcome = Outcome::kDuplicate;  // no honest push
      }
    }
    return r;
  }
  Result<bool> recordFork(const ForkProof& p) override { return inner_.recordFork(p); }
  bool frozen(const PublicKey& a) const override { return inner_.frozen(a); }
  bool accepts(const PublicKey& a) const override { return inner_.accepts(a); }
  std::optional<ForkProof> forkProof(const PublicKey& a) const override {
    return inner_.forkProof(a);
  }

 private:
  MemoryLog inner_;
};

TEST_F(FederationTest, CaseWhosePayloadARelayAlteredNeverReachesB) {
  ASSERT_NO_FATAL_FAILURE(startLine());
  ASSERT_EQ(b_.cli({"peer", "remove", hub_.key()}).exitCode, 0);
  ASSERT_TRUE(waitUntil([&] { return connectionsOf(b_) == 0; }, 5s));
  std::string ref = put(a_, "endret-underveis");
  auto aKey = fromHexFixed<32>(a_.key());
  ASSERT_TRUE(aKey);
  uint64_t aSeq = headsOf(a_)[a_.key()];

  // The relay fetches A's log from the hub like any peer.
  auto identity = SecretKey::generate();
  AlteringLog log(networkId("allmenning"));
  P2PConfig config;
  config.peers.push_back({"127.0.0.1", static_cast<uint16_t>(std::stoi(hub_.address().substr(10))),
                          *fromHexFixed<32>(hub_.key())});
  config.log = [](std::string_view) {};
  P2PNode relay(*identity, networkId("allmenning"), log, {}, config);
  ASSERT_TRUE(relay.start().isOk());
  std::thread io([&] { relay.run(); });
  auto relaySeq = [&] {
    std::promise<uint64_t> seq;
    relay.post([&] { seq.set_value(log.head(*aKey)->seq); });
    return seq.get_future().get();
  };
  EXPECT_TRUE(waitUntil([&] { return relaySeq() == aSeq; }, 5s)) << "the relay did not sync";

  std::string relayAt = "127.0.0.1:" + std::to_string(relay.localPort());
  ASSERT_EQ(b_.cli({"peer", "add", relayAt, toHex(identity->publicKey())}).exitCode, 0);
  EXPECT_TRUE(waitUntil([&] { return b_.log().find("kind=misbehaved") != std::string::npos; }, 5s))
      << "B did not drop the relay:\n"
      << b_.log();
  EXPECT_FALSE(b_.show(ref).has_value());
  EXPECT_EQ(b_.cli({"verify"}).exitCode, 0);
  relay.stop();
  io.join();

  // From an honest peer the same case arrives intact.
  ASSERT_EQ(b_.cli({"peer", "remove", toHex(identity->publicKey())}).exitCode, 0);
  ASSERT_TRUE(testing::connect(b_, hub_));
  ASSERT_TRUE(waitUntil([&] { return b_.show(ref).has_value(); }, 5s));
  EXPECT_EQ(*b_.show(ref), *a_.show(ref));
}

TEST_F(FederationTest, EquivocationShowsAsAForkOnEveryNode) {
  FedNode e{dir_.path(), "e", "3437"};
  FedNode twin{dir_.path(), "e-twin", e};  // the same key, a second process
  for (FedNode* n : line()) ASSERT_EQ(n->cli({"trust", "add", e.key()}).exitCode, 0);
  ASSERT_TRUE(testing::connect(e, hub_));
  ASSERT_TRUE(testing::connect(twin, b_));
  // Both sign a seq 2, each a different case.
  put(e, "versjon-en");
  put(twin, "versjon-to");
  ASSERT_NO_FATAL_FAILURE(startLine());
  ASSERT_TRUE(e.start());
  ASSERT_TRUE(twin.start());
  for (FedNode* n : {&a_, &hub_, &b_, &e, &twin}) {
    EXPECT_TRUE(waitUntil([&] { return hasFork(*n, e.key()); }, 10s))
        << n->name() << " shows no fork:\n"
        << n->cli({"status"}).out;
  }
  for (FedNode* n : {&a_, &hub_, &b_}) EXPECT_EQ(n->cli({"verify"}).exitCode, 0) << n->name();
}

}  // namespace
}  // namespace allmenning
