// Fuzzes FrameDecoder: the stream header, length prefixes and sealed frames
// that arrive from a peer after the handshake.
//
// Input: one flags byte, then records of (op byte, chunk). Bit 0 of the
// flags sends the first chunk as the stream header in place of the real one.
// Each record is, by op & 3:
//   0, 1: the chunk sealed with the right key, fed in two pieces split at
//         op >> 2 (0: whole), so the fuzzer reaches past the MAC check;
//   2:    the chunk fed raw;
//   3:    the chunk sealed, with one bit flipped at position op >> 2.
// While only honest frames have been fed, the decoder must return exactly the
// sealed plaintexts, in order, and never fail.
#include <deque>

#include "fuzz/fuzz_util.h"
#include "protocol/framing.h"

using namespace allmenning;

namespace {

Secret32 fixedSecret() {
  Secret32 s;
  for (size_t i = 0; i < Secret32::kSize; ++i) s.data()[i] = static_cast<uint8_t>(i * 7 + 1);
  return s;
}

struct Harness {
  FrameEncoder encoder{fixedSecret(), fuzz::fixedRandom(1)};
  FrameDecoder decoder{fixedSecret()};
  std::deque<Bytes> expected;  // sealed plaintexts not yet returned
  bool clean = true;           // nothing but honest bytes fed so far

  void feed(ByteView bytes) {
    bool failedBefore = decoder.failed();
    auto r = decoder.receivedBytes(bytes);
    if (decoder.bufferedBytes() > kStreamHeaderBytes + kMaxFrameCiphertext) {
      fuzz::broken("frame decoder buffers more than one frame");
    }
    if (!r.isOk()) {
      if (clean) fuzz::broken("honest frames refused");
      if (!decoder.failed()) fuzz::broken("failure not final");
      return;
    }
    if (failedBefore) fuzz::broken("a failed decoder accepted bytes");
    if (!clean) return;
    for (const Bytes& m : *r) {
      if (expected.empty() || m != expected.front()) fuzz::broken("wrong plaintext returned");
      expected.pop_front();
    }
  }

  void sealed(ByteView plaintext, size_t split, int flip) {
    auto frame = encoder.seal(plaintext);
    if (!frame.isOk()) fuzz::broken("seal refused a small plaintext");
    Bytes& f = *frame;
    if (flip >= 0) {
      f[static_cast<size_t>(flip) % f.size()] ^= 1;
      clean = false;
    } else {
      expected.emplace_back(plaintext.begin(), plaintext.end());
    }
    split = std::min(split, f.size());
    feed(ByteView(f).first(split));
    feed(ByteView(f).subspan(split));
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::initOnce();
  fuzz::Reader in(data, size);
  Harness h;
  if (in.u8() & 1) {
    h.clean = false;
    h.feed(in.chunk());
  } else {
    h.feed(h.encoder.header());
  }
  while (!in.empty()) {
    uint8_t op = in.u8();
    ByteView chunk = in.chunk();
    switch (op & 3) {
      case 0:
      case 1:
        h.sealed(chunk, op >> 2, -1);
        break;
      case 2:
        h.clean = false;
        h.feed(chunk);
        break;
      default:
        h.sealed(chunk, 0, op >> 2);
    }
  }
  if (h.clean && !h.expected.empty()) fuzz::broken("a whole honest frame was not returned");
  return 0;
}
