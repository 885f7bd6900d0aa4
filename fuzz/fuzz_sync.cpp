// Fuzzes SyncSession over a MemoryLog: the state machine a peer drives with
// its messages, fed here with a mix of raw frame plaintexts and well-formed
// messages built around a fixed pool of validly signed entries (sync_pool.h),
// so the fuzzer gets past the signature checks.
//
// Input: a flags byte, then ops (op byte, then its arguments):
//   flags & 7: how many of author A's entries the local log holds at start;
//   flags & 8: it holds B's log too;  & 16: it trusts only A;
//   flags & 32: small limits (2 Wants in flight, 4 remembered authors).
//   op & 15 picks the input (see step()); op & 16 sends a built message as
//   bytes through onBytes instead of onMessage.
// Promises checked after every input: every message sent decodes to itself;
// every accepted entry passes checkEntry and checkPayload and is stored;
// every fork proof passes checkForkProof; disconnect comes once, closes the
// session, and nothing happens after it.
#include "fuzz/fuzz_util.h"
#include "fuzz/sync_pool.h"
#include "protocol/memory_log.h"
#include "protocol/sync.h"

using namespace allmenning;
using fuzz::syncPool;

namespace {

const Entry& pick(fuzz::Reader& in) {
  const auto& e = syncPool().entries;
  return e[in.u8() % e.size()];
}

// Flips one bit of `b` at a position from the input, when it has bytes.
void mangle(fuzz::Reader& in, Bytes& b) {
  uint8_t at = in.u8();
  if (!b.empty()) b[at % b.size()] ^= static_cast<uint8_t>(1u << (at & 7));
}

Message heads(fuzz::Reader& in) {
  Heads m;
  for (int n = in.u8() % 8; n > 0; --n) {
    const Entry& e = pick(in);
    AuthorHead h{e.header.author, e.header.seq, e.hash, false};
    uint8_t how = in.u8();
    if (how & 1) h.author = syncPool().author(how >> 1);
    if (how & 8) h.seq = in.u8();
    if (how & 16) h.hash = Hash{};
    h.forked = how & 32;
    m.heads.push_back(h);
  }
  return m;
}

Message entries(fuzz::Reader& in) {
  Entries m;
  for (int n = in.u8() % 8; n > 0; --n) {
    WireEntry w = toWire(pick(in));
    uint8_t how = in.u8();
    if (how & 1) w.payload.reset();
    if (how & 2) mangle(in, w.header);
    if ((how & 4) && w.payload) mangle(in, *w.payload);
    if (how & 8) w.signature[in.u8() % 64] ^= 1;
    m.entries.push_back(std::move(w));
  }
  return m;
}

Message forkProof(fuzz::Reader& in) {
  ForkProof p = forkProofOf(pick(in), pick(in));
  if (in.u8() & 1) mangle(in, p.b.header);
  return p;
}

Message built(fuzz::Reader& in, uint8_t kind) {
  const fuzz::SyncPool& pool = syncPool();
  switch (kind) {
    case 1: {
      uint8_t how = in.u8();
      Hash net = (how & 1) ? networkId("other") : pool.entries[0].header.network;
      return Hello{(how & 2) ? in.u8() : kProtocolVersion, net, bool(how & 4)};
    }
    case 2:
      return heads(in);
    case 3: {
      PublicKey author = pool.author(in.u8());
      // Within the decoder's limits, as every Want that reaches a session is.
      uint64_t from = 1 + in.u8();
      return Want{author, from, from + in.u8() % kMaxWantRange};
    }
    case 4:
      return entries(in);
    case 5:
      return forkProof(in);
    case 7:
      return Ping{in.u64()};
    case 8:
      return Pong{in.u64()};
    case 9:
      return PeerError{ErrorCode::kBadRequest, "fuzz"};
  }
  return UnknownMessage{static_cast<uint16_t>(10 + in.u8())};
}

// The local log a run starts from, by flags & 15. Built once and copied, so
// a run does not spend its time re-verifying the same signatures.
const MemoryLog& startLog(uint8_t flags) {
  static const std::vector<MemoryLog> logs = [] {
    std::vector<MemoryLog> out;
    const auto& e = syncPool().entries;
    for (uint8_t f = 0; f < 16; ++f) {
      out.emplace_back(fuzz::syncNetwork());
      std::vector<Entry> start(e.begin(), e.begin() + (f & 7));
      if (f & 8) {
        start.insert(start.end(), e.begin() + fuzz::SyncPool::kLogA,
                     e.begin() + fuzz::SyncPool::kLogA + fuzz::SyncPool::kLogB);
      }
      auto r = out.back().apply(start);
      if (!r.isOk()) fuzz::broken("the pool does not apply");
      for (const auto& o : *r) {
        if (o.outcome != Outcome::kAccepted) fuzz::broken("the pool is not a valid log");
      }
    }
    return out;
  }();
  return logs[flags & 15];
}

struct Harness {
  MemoryLog log;
  std::unique_ptr<SyncSession> session;
  int64_t now = 1000;
  bool closed = false;

  explicit Harness(uint8_t flags) : log(startLog(flags)) {
    if (flags & 16) log.trustOnly({syncPool().a->publicKey()});
    SyncConfig config{1000, 2000, 8, 65536};
    if (flags & 32) config = SyncConfig{1000, 2000, 2, 4};
    session = std::make_unique<SyncSession>(log, config);
  }

  void check(const Effects& fx) {
    if (closed && (!fx.send.empty() || !fx.accepted.empty() || fx.disconnect)) {
      fuzz::broken("a closed session acted");
    }
    for (const Message& m : fx.send) {
      auto back = decodeMessage(encodeMessage(m));
      if (!back.isOk() || !(*back == m)) fuzz::broken("sent a message that does not decode");
    }
    for (const Entry& e : fx.accepted) {
      if (!checkEntry(e, log.network()).isOk()) fuzz::broken("accepted an invalid entry");
      if (!e.payload || !checkPayload(e.header.kind, *e.payload).isOk()) {
        fuzz::broken("accepted an entry without a valid payload");
      }
      auto stored = log.entry(e.header.author, e.header.seq);
      if (!stored.isOk() || !*stored || (*stored)->hash != e.hash) {
        fuzz::broken("accepted an entry that is not stored");
      }
    }
    for (const ForkProof& p : fx.forks) {
      if (!checkForkProof(p, log.network()).isOk()) fuzz::broken("passed on a bad fork proof");
    }
    if (fx.disconnect) {
      if (session->state() != SessionState::kClosed) fuzz::broken("disconnect without closing");
      closed = true;
    }
    session->lag();
  }

  void local(const Entry& e) {
    auto r = log.apply({e});
    if (!r.isOk()) fuzz::broken("the memory log failed");
    if ((*r)[0].outcome == Outcome::kAccepted) check(session->onLocalAccepted({e}, now));
    if ((*r)[0].fork) check(session->onLocalFork(*(*r)[0].fork));
  }

  void step(fuzz::Reader& in) {
    uint8_t op = in.u8();
    uint8_t kind = op & 15;
    if (kind == 0) return check(session->onBytes(in.chunk(), now));
    if (kind == 6) {
      now += in.u16();
      return check(session->onTick(now));
    }
    if (kind == 10) return local(pick(in));
    Message m = built(in, kind);
    check((op & 16) ? session->onBytes(encodeMessage(m), now) : session->onMessage(m, now));
  }
};

}  // namespace

// Builds the entry pool and the start logs before the first input, so no
// input is charged for them.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  startLog(0);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Reader in(data, size);
  Harness h(in.u8());
  h.check(h.session->onConnected(h.now));
  while (!in.empty()) h.step(in);
  return 0;
}
