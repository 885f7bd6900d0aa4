// The full-text index at volume: synthetic cases with Norwegian-like text.
//
//   search_bench [CASES] [DIR]   (default 1000000 cases, a temporary folder)
//
// Reports the indexing rate (entries through SearchIndex::apply, the path
// the node uses, including payload decoding), the latency of two-word
// queries with a CPV filter (p50, p99 over 1,000 queries, each a fresh
// Enquire), and the size of the index on disk. It asserts nothing.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "protocol/case_json.h"
#include "search/search_index.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

// Words of the kind procurement cases use; compounds are made from pairs.
const char* const kWords[] = {
    "flom",        "skred",     "snø",      "vei",       "tunnel",     "skole",     "barnehage",
    "sykehjem",    "helse",     "omsorg",   "varsling",  "sensor",     "drift",     "vedlikehold",
    "brøyting",    "belysning", "vann",     "avløp",     "energi",     "solcelle",  "batteri",
    "bygg",        "material",  "ombruk",   "avfall",    "transport",  "buss",      "ferje",
    "lading",      "elbil",     "sykkel",   "parkering", "trafikk",    "måling",    "data",
    "plattform",   "tjeneste",  "løsning",  "innbygger", "pasient",    "lege",      "sykepleier",
    "trygghet",    "alarm",     "kamera",   "drone",     "inspeksjon", "bru",       "kai",
    "havn",        "fiske",     "landbruk", "skog",      "brann",      "redning",   "beredskap",
    "klima",       "utslipp",   "støy",     "luft",      "kvalitet",   "læring",    "nettbrett",
    "kantine",     "mat",       "innkjøp",  "avtale",    "leverandør", "marked",    "dialog",
    "konkurranse", "utvikling", "test",     "pilot",     "gevinst",    "kostnad",   "tid",
    "region",      "fylke",     "kommune",  "samarbeid", "kompetanse", "opplæring", "digital"};
const char* const kFill[] = {"og", "for", "med", "som", "til", "av", "i", "på", "ble", "har"};
const char* const kCpv[] = {"90700000-4", "72000000-5", "71000000-8", "45000000-7",
                            "33100000-1", "34100000-8", "31500000-1", "48000000-8",
                            "79400000-8", "85100000-0", "50000000-5", "09300000-2"};
const char* const kProcedures[] = {"open", "pre-commercial", "innovation-partnership",
                                   "competitive-dialogue", "market-consultation"};
const char* const kStatuses[] = {"planning", "tendering", "development", "completed"};
constexpr size_t kWordCount = sizeof kWords / sizeof kWords[0];

class TextGen {
 public:
  explicit TextGen(uint64_t seed) : rng_(seed) {}
  std::string word() {
    size_t a = pick(kWordCount);
    if (rng_() % 4 == 0) return std::string(kWords[a]) + kWords[pick(kWordCount)];  // compound
    return kWords[a];
  }
  std::string sentence(size_t words) {
    std::string s;
    for (size_t i = 0; i < words; ++i) {
      if (!s.empty()) s += ' ';
      s += rng_() % 3 == 0 ? kFill[pick(10)] : word();
    }
    return s + ".";
  }
  size_t pick(size_t n) { return rng_() % n; }

 private:
  std::mt19937_64 rng_;
};

Entry syntheticCase(TextGen& gen, const PublicKey& author, uint64_t seq) {
  Json c{{"id", "sak-" + std::to_string(seq)},
         {"title", gen.sentence(6)},
         {"summary", gen.sentence(30)},
         {"need", gen.sentence(20)},
         {"lessons_learned", gen.sentence(20)},
         {"procedure", kProcedures[gen.pick(5)]},
         {"status", kStatuses[gen.pick(4)]},
         {"cpv", {kCpv[gen.pick(12)]}},
         {"tags", {gen.word(), "tema " + std::to_string(seq % 50)}}};
  Entry e;
  e.header.author = author;
  e.header.seq = seq;
  e.header.kind = Kind::kCase;
  e.header.timestamp = 1700000000000 + static_cast<int64_t>(seq) * 1000;
  auto payload = caseFromJson(c.dump());
  if (!payload.isOk()) {
    std::fprintf(stderr, "search_bench: %s\n", payload.status().message().c_str());
    std::exit(1);
  }
  e.payload = std::move(*payload);
  return e;
}

uint64_t sizeOf(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& f : fs::recursive_directory_iterator(dir)) {
    if (f.is_regular_file()) n += f.file_size();
  }
  return n;
}

int index(search::SearchIndex& idx, uint64_t cases) {
  TextGen gen(1);
  PublicKey author{};
  author[0] = 1;
  auto start = Clock::now();
  for (uint64_t seq = 1; seq <= cases; ++seq) {
    Status st = idx.apply(syntheticCase(gen, author, seq));
    if (st.isOk() && seq % 50000 == 0) st = idx.commit();
    if (!st.isOk()) {
      std::fprintf(stderr, "search_bench: %s\n", st.message().c_str());
      return 1;
    }
    if (seq % 100000 == 0) {
      double s = std::chrono::duration<double>(Clock::now() - start).count();
      std::fprintf(stderr, "indexed %llu cases, %.0f cases/s\n",
                   static_cast<unsigned long long>(seq), static_cast<double>(seq) / s);
    }
  }
  if (!idx.commit().isOk()) return 1;
  double s = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("indexing: %llu cases in %.1f s, %.0f cases/s\n",
              static_cast<unsigned long long>(cases), s, static_cast<double>(cases) / s);
  return 0;
}

void queries(search::SearchIndex& idx) {
  TextGen gen(99);
  std::vector<double> ms;
  size_t hits = 0;
  for (int i = 0; i < 1000; ++i) {
    SearchFilter f;
    f.cpvPrefix = std::string(kCpv[gen.pick(12)]).substr(0, 2);
    std::string text =
        std::string(kWords[gen.pick(kWordCount)]) + " " + kWords[gen.pick(kWordCount)];
    auto start = Clock::now();
    f.limit = 20;
    auto r = idx.query(text, f);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    if (r.isOk()) hits += r->page.items.size();
  }
  std::sort(ms.begin(), ms.end());
  std::printf(
      "query (two words, CPV prefix filter, top 20): p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
      "%.1f hits per query on average\n",
      ms[ms.size() / 2], ms[ms.size() * 99 / 100], ms.back(),
      static_cast<double>(hits) / static_cast<double>(ms.size()));
}

}  // namespace
}  // namespace allmenning

int main(int argc, char** argv) {
  using namespace allmenning;
  uint64_t cases = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  if (cases == 0) {
    std::fprintf(stderr, "usage: search_bench [CASES] [DIR]\n");
    return 2;
  }
  testing::TempDir tmp;
  std::string dir = argc > 2 ? argv[2] : tmp / "search";
  auto idx = search::SearchIndex::open(dir);
  if (!idx.isOk()) {
    std::fprintf(stderr, "search_bench: %s\n", idx.status().message().c_str());
    return 1;
  }
  auto held = (*idx)->documents();
  if (held.isOk() && *held == 0 && index(**idx, cases) != 0) return 1;
  queries(**idx);
  auto documents = (*idx)->documents();
  if (!documents.isOk()) {
    std::fprintf(stderr, "search_bench: %s\n", documents.status().message().c_str());
    return 1;
  }
  std::printf("index: %zu documents, %.2f GB on disk in %s\n", *documents,
              static_cast<double>(sizeOf(dir)) / 1e9, dir.c_str());
  return 0;
}
