// Fuzzes the handshake state machine in both roles, through Transport so the
// hand-over to the frame stream (bytes that follow the last handshake
// message in the same read) is covered too.
//
// An honest peer's byte stream (its handshake messages, its stream header
// and three frames) is recorded once against the target side, which uses a
// fixed identity and a fixed RandomFill and so says the same every run.
// Input: one flags byte (bit 0: the target is the responder; bit 1: its
// policy refuses the honest peer's key), then records of (op byte, u16 n):
//   op & 3 == 0: the next n bytes of the honest stream;
//   op & 3 == 1: a chunk of n raw bytes that follows;
//   op & 3 == 2: the next n honest bytes with bit (op >> 2) & 7 of the
//                first one flipped;
//   op & 3 == 3: the next n honest bytes dropped.
// Promises checked: a ready transport has proven the honest peer's key and
// its policy accepted it; while only the honest stream arrives, in order, it
// never fails and returns the peer's messages exactly; failure is final.
#include <vector>

#include "fuzz/fuzz_util.h"
#include "protocol/framing.h"

using namespace allmenning;

namespace {

const Hash kNetwork = networkId("fuzz");
constexpr uint64_t kTargetSeed = 10;
constexpr uint64_t kPeerSeed = 20;

const SecretKey& targetKey() {
  static const auto key = fuzz::fixedKey("fuzz-handshake-target");
  return *key;
}
const SecretKey& peerKey() {
  static const auto key = fuzz::fixedKey("fuzz-handshake-peer");
  return *key;
}

Handshake::Role roleOf(bool responder) {
  return responder ? Handshake::Role::kResponder : Handshake::Role::kInitiator;
}

std::vector<Bytes> peerMessages() {
  return {Bytes{}, Bytes{'h', 'e', 'l', 'l', 'o'}, Bytes(300, 7)};
}

// What the honest peer sends to a target of the given role, in order.
Bytes recordHonestStream(bool responder) {
  Transport target(roleOf(responder), targetKey(), kNetwork, {}, fuzz::fixedRandom(kTargetSeed));
  Transport peer(roleOf(!responder), peerKey(), kNetwork, {}, fuzz::fixedRandom(kPeerSeed));
  Bytes stream;
  for (int round = 0; round < 8 && !(target.ready() && peer.ready()); ++round) {
    Bytes out = target.takeBytesToSend();
    if (!peer.receivedBytes(out).isOk()) fuzz::broken("honest handshake failed at the peer");
    Bytes back = peer.takeBytesToSend();
    stream.insert(stream.end(), back.begin(), back.end());
    if (!target.receivedBytes(back).isOk()) fuzz::broken("honest handshake failed at the target");
  }
  if (!peer.ready()) fuzz::broken("honest handshake did not finish");
  for (const Bytes& m : peerMessages()) {
    if (!peer.send(m).isOk()) fuzz::broken("honest peer could not send");
  }
  Bytes rest = peer.takeBytesToSend();
  stream.insert(stream.end(), rest.begin(), rest.end());
  return stream;
}

const Bytes& honestStream(bool responder) {
  static const Bytes initiator = recordHonestStream(false);
  static const Bytes responderStream = recordHonestStream(true);
  return responder ? responderStream : initiator;
}

struct Harness {
  bool refuse = false;
  Transport target;
  bool clean = true;
  size_t received = 0;  // honest messages returned so far

  Harness(bool responder, bool refusePeer)
      : refuse(refusePeer),
        target(roleOf(responder), targetKey(), kNetwork, policy(refusePeer),
               fuzz::fixedRandom(kTargetSeed)) {}

  static PeerPolicy policy(bool refusePeer) {
    if (!refusePeer) return {};
    return [](const PublicKey& key) { return key != peerKey().publicKey(); };
  }

  void feed(ByteView bytes) {
    bool failedBefore = target.failed();
    auto r = target.receivedBytes(bytes);
    target.takeBytesToSend();
    if (target.ready()) {
      if (target.peerKey() != peerKey().publicKey()) fuzz::broken("ready with an unproven key");
      if (refuse) fuzz::broken("ready with a refused key");
    }
    if (!r.isOk()) {
      if (clean && !refuse) fuzz::broken("honest bytes refused");
      if (!target.failed()) fuzz::broken("failure not final");
      return;
    }
    if (failedBefore) fuzz::broken("a failed transport accepted bytes");
    if (!clean) return;
    const std::vector<Bytes> expected = peerMessages();
    for (const Bytes& m : *r) {
      if (received >= expected.size() || m != expected[received]) {
        fuzz::broken("wrong message returned");
      }
      ++received;
    }
  }
};

}  // namespace

// Builds the fixed keys and records the honest streams before the first
// input, so no input is charged for them.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::initOnce();
  honestStream(false);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::initOnce();
  fuzz::Reader in(data, size);
  uint8_t flags = in.u8();
  bool responder = flags & 1;
  const Bytes& honest = honestStream(responder);
  Harness h(responder, flags & 2);
  if (h.target.send(Bytes{1}).isOk()) fuzz::broken("send before ready");
  size_t pos = 0;
  while (!in.empty()) {
    uint8_t op = in.u8();
    uint16_t n = in.u16();
    if ((op & 3) == 1) {
      h.clean = false;
      h.feed(in.bytes(n));
      continue;
    }
    size_t take = std::min<size_t>(n, honest.size() - pos);
    Bytes part(honest.begin() + pos, honest.begin() + pos + take);
    pos += take;
    if ((op & 3) == 3 && take > 0) h.clean = false;
    if ((op & 3) == 3) continue;
    if ((op & 3) == 2 && take > 0) {
      part[0] ^= static_cast<uint8_t>(1u << ((op >> 2) & 7));
      h.clean = false;
    }
    h.feed(part);
  }
  if (h.clean && !h.refuse && pos == honest.size()) {
    if (!h.target.ready() || h.received != peerMessages().size()) {
      fuzz::broken("the whole honest stream did not complete the session");
    }
  }
  return 0;
}
