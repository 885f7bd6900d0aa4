// The fixed entries the sync fuzz target plays with: two authors' valid,
// signed logs and one equivocating sibling, built from fixed keys so every
// run (and the seed corpus) sees the same bytes.
#pragma once

#include <string>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "protocol/case_json.h"
#include "protocol/entry.h"
#include "protocol/records.h"

namespace allmenning::fuzz {

inline const Hash& syncNetwork() {
  static const Hash h = networkId("fuzz");
  return h;
}

struct SyncPool {
  static constexpr size_t kLogA = 8;  // entries of author A: pool[0..7] = seq 1..8
  static constexpr size_t kLogB = 3;  // entries of author B: pool[8..10]
  std::unique_ptr<SecretKey> a = fixedKey("fuzz-sync-a");
  std::unique_ptr<SecretKey> b = fixedKey("fuzz-sync-b");
  PublicKey c = fixedKey("fuzz-sync-c")->publicKey();  // an author with no entries
  std::vector<Entry> entries;                          // A's log, B's log, then A's fork

  SyncPool() {
    append(*a, kLogA);
    append(*b, kLogB);
    // A second entry of A at seq 3: equivocation.
    entries.push_back(
        signEntry(*a, header(*a, 3, entries[1].hash), encodeRetract({"other", true})));
  }

  // The author picked by `n`: A, B, C, or a key no one holds.
  PublicKey author(uint8_t n) const {
    switch (n % 4) {
      case 0:
        return a->publicKey();
      case 1:
        return b->publicKey();
      case 2:
        return c;
    }
    PublicKey k{};
    k.fill(0xab);
    return k;
  }

 private:
  static Header header(const SecretKey& key, uint64_t seq, const Hash& prev) {
    Header h;
    h.network = syncNetwork();
    h.author = key.publicKey();
    h.seq = seq;
    h.prev = prev;
    h.timestamp = 1'700'000'000'000 + static_cast<int64_t>(seq);
    return h;
  }

  void append(const SecretKey& key, size_t count) {
    Hash prev{};
    for (uint64_t seq = 1; seq <= count; ++seq) {
      Header h = header(key, seq, prev);
      Bytes payload;
      if (seq % 3 == 0) {
        h.kind = Kind::kRetract;
        payload = encodeRetract({"c-" + std::to_string(seq - 1), false});
      } else {
        auto c = caseFromJson(R"({"id":"c-)" + std::to_string(seq) +
                              R"(","title":"Flomvarsling","buyers":[{"name":"Skjåk kommune",)"
                              R"("kommunenummer":"3433","role":"lead"}],)"
                              R"("procedure":"pre-commercial","cpv":["90700000-4"],)"
                              R"("sector":"emergency","status":"completed"})");
        if (!c.isOk()) broken("the pool's case does not validate");
        payload = *c;
      }
      entries.push_back(signEntry(key, h, std::move(payload)));
      prev = entries.back().hash;
    }
  }
};

inline const SyncPool& syncPool() {
  initOnce();
  static const SyncPool pool;
  return pool;
}

}  // namespace allmenning::fuzz
