// Writes the seed corpus of every fuzz target: valid frames, handshakes,
// messages, entries and sync sessions, built from the fixed keys the targets
// use, so the fuzzer starts from inputs that reach deep. The output is the
// same on every run; fuzz/make_corpus.sh runs it.
//
//   fuzz_make_corpus OUT_DIR RECORD_JSON_FILES...
//
// Each JSON file (needs and experiences; the kind is taken from the name of
// its folder) becomes the payload of an entry seed.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fuzz/fuzz_util.h"
#include "fuzz/sync_pool.h"
#include "node/admin_wire.h"
#include "node/intent.h"
#include "protocol/framing.h"
#include "protocol/record_json.h"
#include "protocol/sync.h"

using namespace allmenning;
using fuzz::Writer;

namespace {

namespace fs = std::filesystem;

void write(const fs::path& dir, const std::string& name, const Bytes& data) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!out) fuzz::broken("cannot write a seed");
}

void writeText(const fs::path& dir, const std::string& name, const std::string& text) {
  write(dir, name, Bytes(text.begin(), text.end()));
}

std::vector<Message> sampleMessages() {
  const auto& pool = fuzz::syncPool();
  const auto& e = pool.entries;
  return {
      Hello{kProtocolVersion, fuzz::syncNetwork(), false},
      Hello{kProtocolVersion, fuzz::syncNetwork(), true},
      Heads{
          {{e[7].header.author, 8, e[7].hash, false}, {e[10].header.author, 3, e[10].hash, true}}},
      Want{pool.a->publicKey(), 1, 8},
      Entries{{toWire(e[0]), toWire(e[1]), toWire(e[8])}},
      Entries{{WireEntry{e[2].headerBytes, e[2].signature, std::nullopt}}},
      forkProofOf(e[2], e[11]),
      PeerError{ErrorCode::kBadEntry, "entry refused"},
      Ping{42},
      Pong{42},
      UnknownMessage{12},
  };
}

void frameSeeds(const fs::path& dir) {
  auto msgs = sampleMessages();
  Writer all;
  all.u8(0);
  for (size_t i = 0; i < msgs.size(); ++i) {
    // Ops 0 and 1 seal; op >> 2 is where the frame is split.
    all.u8(static_cast<uint8_t>((i % 8) << 2)).chunk(encodeMessage(msgs[i]));
  }
  write(dir, "messages", all.data());
  Writer small;
  small.u8(0).u8(0).chunk(Bytes{}).u8(4).chunk(Bytes{'a', 'b', 'c'}).u8(2).chunk(Bytes(8, 0));
  write(dir, "empty-small-raw", small.data());
  Writer flipped;
  flipped.u8(0).u8(0).chunk(Bytes(64, 1)).u8(3 | (20 << 2)).chunk(Bytes(64, 2));
  write(dir, "flipped", flipped.data());
}

void handshakeSeeds(const fs::path& dir) {
  for (uint8_t flags = 0; flags < 4; ++flags) {
    Writer whole, bytewise;
    whole.u8(flags).u8(0).u16(0xffff);
    bytewise.u8(flags);
    for (int i = 0; i < 40; ++i) bytewise.u8(0).u16(static_cast<uint16_t>(1 + i * 3));
    std::string tag = std::to_string(flags);
    write(dir, "whole-" + tag, whole.data());
    write(dir, "pieces-" + tag, bytewise.data());
  }
  Writer raw;
  raw.u8(1).u8(1).chunk(Bytes(Handshake::kHelloBytes, 1));
  write(dir, "raw-hello", raw.data());
}

void wireSeeds(const fs::path& dir) {
  auto msgs = sampleMessages();
  for (size_t i = 0; i < msgs.size(); ++i) {
    write(dir, messageName(msgs[i]) + "-" + std::to_string(i), encodeMessage(msgs[i]));
  }
}

Bytes entrySeed(uint8_t flags, const Entry& e) {
  Writer w;
  w.u8(flags).chunk(e.headerBytes).chunk(e.payload ? *e.payload : Bytes{}).bytes(e.signature);
  return w.data();
}

void entrySeeds(const fs::path& dir, int argc, char** argv) {
  const auto& pool = fuzz::syncPool();
  for (size_t i : {0, 1, 2, 8, 11}) {
    write(dir, "pool-" + std::to_string(i), entrySeed(8, pool.entries[i]));
    write(dir, "resign-" + std::to_string(i), entrySeed(1 | 8, pool.entries[i]));
  }
  Header h = pool.entries[0].header;
  auto sign = [&](Kind kind, const Bytes& payload) {
    h.kind = kind;
    return signEntry(*pool.a, h, payload);
  };
  VouchRecord vouch{pool.b->publicKey(), "Skjåk kommune", "", "3433"};
  write(dir, "profile",
        entrySeed(1, sign(Kind::kProfile, encodeProfile({"Lom kommune", "", "3434"}))));
  write(dir, "vouch", entrySeed(1, sign(Kind::kVouch, encodeVouch(vouch))));
  for (int i = 2; i < argc; ++i) {
    fs::path file(argv[i]);
    Kind kind = file.parent_path().filename() == "needs" ? Kind::kNeed : Kind::kExperience;
    std::stringstream text;
    text << std::ifstream(file).rdbuf();
    auto payload = recordFromJson(kind, text.str());
    if (!payload.isOk()) fuzz::broken("an example record does not validate");
    write(dir, file.stem().string(), entrySeed(1, sign(kind, *payload)));
  }
}

// Sync ops, as fuzz_sync.cpp reads them.
void syncSeeds(const fs::path& dir) {
  // A fresh node: Hello, the peer's Heads, then A's log in order.
  Writer fresh;
  fresh.u8(0).u8(1).u8(0).u8(2).u8(2).u8(7).u8(0).u8(10).u8(0);
  fresh.u8(4).u8(7);
  for (uint8_t i = 0; i < 7; ++i) fresh.u8(i).u8(0);
  fresh.u8(6).u16(1500).u8(4).u8(1).u8(7).u8(0);
  write(dir, "fresh-node", fresh.data());
  // A node holding A's first three entries: the peer wants, forks, pings.
  Writer held;
  held.u8(3 | 8).u8(1 | 16).u8(4).u8(3).u8(0).u8(1).u8(3).u8(5).u8(2).u8(11).u8(0);
  held.u8(7).u64(9).u8(8).u64(9).u8(9).u8(11).u8(3).u8(10).u8(3).u8(6).u16(3000);
  write(dir, "held-log", held.data());
  // An untrusting node with small limits, fed B's entries and a fork.
  Writer strict;
  strict.u8(16 | 32).u8(1).u8(0).u8(4).u8(3).u8(8).u8(0).u8(9).u8(0).u8(10).u8(0);
  strict.u8(10).u8(2).u8(10).u8(11).u8(0).chunk(encodeMessage(Ping{1}));
  write(dir, "strict", strict.data());
}

// Flags byte 0 (production limits) or 1 (small limits), then a request;
// flags byte 2, then a reply stream, as fuzz_admin_wire.cpp reads them.
void adminWireSeeds(const fs::path& dir) {
  const std::vector<AdminRequest> requests = {
      {{"search", "flom", "--json"}, "/home/officer", std::nullopt},
      {{"case", "put", "-"}, "/srv/allmenning", std::string(R"({"id":"flom-1"})")},
      {{}, "/", std::string()},
  };
  for (size_t i = 0; i < requests.size(); ++i) {
    for (char flags : {'\0', '\1'}) {
      writeText(dir, "request-" + std::to_string(i) + "-" + std::to_string(int{flags}),
                std::string(1, flags) + encodeRequest(requests[i]));
    }
  }
  writeText(dir, "reply",
            std::string(1, '\2') + encodeFrame(FrameType::kStdout, "3 cases\n") +
                encodeFrame(FrameType::kStderr, "warning\n") + encodeExitFrame(2));
  writeText(dir, "reply-exit-only", std::string(1, '\2') + encodeExitFrame(-1));
}

// Intent files: empty, one entry, A's whole log, and a broken chain.
void intentSeeds(const fs::path& dir) {
  const auto& e = fuzz::syncPool().entries;
  writeText(dir, "empty", encodeIntent({}));
  writeText(dir, "one", encodeIntent({e[0]}));
  writeText(dir, "log-a",
            encodeIntent(std::vector<Entry>(e.begin(), e.begin() + fuzz::SyncPool::kLogA)));
  writeText(dir, "not-a-chain", encodeIntent({e[0], e[2]}));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR [RECORD_JSON_FILES...]\n", argv[0]);
    return 2;
  }
  fuzz::initOnce();
  fs::path out(argv[1]);
  frameSeeds(out / "fuzz_frame");
  handshakeSeeds(out / "fuzz_handshake");
  wireSeeds(out / "fuzz_wire");
  entrySeeds(out / "fuzz_entry", argc, argv);
  syncSeeds(out / "fuzz_sync");
  adminWireSeeds(out / "fuzz_admin_wire");
  intentSeeds(out / "fuzz_intent");
  return 0;
}
