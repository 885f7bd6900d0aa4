// Fuzzes entry validation as a peer's entry meets it: entryFromParts (header
// decoding), checkEntry (network, seq, signature, payload hash), checkPayload
// (the record behind each kind), recordOfPayload and placeEntry.
//
// Input: flags, header chunk, payload chunk, then the 64-byte signature.
//   flags bit 0: re-sign: a header that decodes is given the fixed author and
//                the payload's hash and size and is signed with the fixed
//                key, so the fuzzer reaches the payload checks behind the
//                signature;
//   flags bit 1: no payload (erased or not fetched);
//   flags >> 2:  the head seq placeEntry compares against.
// Promises checked: a decoded header re-encodes to its own bytes; a re-signed
// entry of the right shape passes checkEntry; a payload checkPayload accepts
// names its record, and a JSON record decodes and re-encodes to itself.
#include "fuzz/fuzz_util.h"
#include "protocol/capnp_util.h"
#include "protocol/entry.h"
#include "protocol/record_json.h"
#include "protocol/records.h"

using namespace allmenning;

namespace {

const Hash kNetwork = networkId("fuzz");

const SecretKey& authorKey() {
  static const auto key = fuzz::fixedKey("fuzz-entry-author");
  return *key;
}

bool rightShape(const Header& h) {
  return h.network == kNetwork && h.seq != 0 && (h.seq != 1 || h.prev == Hash{});
}

void checkRecord(Kind kind, ByteView payload) {
  if (!checkPayload(kind, payload).isOk()) return;
  auto id = recordOfPayload(kind, payload);
  if (!id.isOk()) fuzz::broken("an accepted payload names no record");
  if (!isRecordKind(kind)) return;
  auto json = decodeRecord(kind, payload);
  if (!json.isOk()) fuzz::broken("an accepted record does not decode");
  auto again = recordFromJsonValue(kind, *json);
  if (!again.isOk() || !std::equal(again->begin(), again->end(), payload.begin(), payload.end())) {
    fuzz::broken("an accepted record has two encodings");
  }
}

void check(ByteView headerBytes, ByteView signature, std::optional<Bytes> payload, uint8_t flags,
           bool resigned) {
  auto e = entryFromParts(headerBytes, signature, payload);
  if (!e.isOk()) {
    if (resigned) fuzz::broken("a freshly signed entry does not decode");
    return;
  }
  if (encodeHeader(e->header) != e->headerBytes) fuzz::broken("a header has two encodings");
  Status st = checkEntry(*e, kNetwork);
  if (resigned && rightShape(e->header) && !st.isOk()) {
    fuzz::broken("a well-formed signed entry is refused");
  }
  if (payload) checkRecord(e->header.kind, *payload);
  Head head{static_cast<uint64_t>(flags >> 2), blake2b256(view("fuzz-head"))};
  std::optional<Hash> stored;
  if (e->header.seq <= head.seq) stored = e->hash;
  placementName(placeEntry(head, *e, stored));
}

}  // namespace

// Makes the fixed key before the first input, so no input is charged for it.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  authorKey();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::initOnce();
  fuzz::Reader in(data, size);
  uint8_t flags = in.u8();
  ByteView headerBytes = in.chunk();
  ByteView payloadBytes = in.chunk();
  std::optional<Bytes> payload;
  if (!(flags & 2)) payload = Bytes(payloadBytes.begin(), payloadBytes.end());
  if (flags & 1) {
    auto header = decodeHeader(headerBytes);
    if (header.isOk() && payloadBytes.size() <= kMaxPayloadBytes) {
      header->author = authorKey().publicKey();
      Entry e = signEntry(authorKey(), *header, Bytes(payloadBytes.begin(), payloadBytes.end()));
      check(e.headerBytes, e.signature, payload, flags, true);
      return 0;
    }
  }
  check(headerBytes, in.bytes(64), payload, flags, false);
  return 0;
}
