// Fuzzes decodeMessage, the Cap'n Proto decoder for every sync message, with
// the production ReaderOptions (readerOptionsFor in protocol/capnp_util.h).
//
// Input: the frame plaintext, as a peer sends it. Promises checked: the
// decoder returns a Status for any input (it never throws or crashes), and a
// decoded message re-encodes within the frame limit to bytes that decode to
// the same value, so relaying what was read is always possible.
#include "fuzz/fuzz_util.h"
#include "protocol/wire.h"

using namespace allmenning;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = decodeMessage(ByteView(data, size));
  if (!m.isOk()) return 0;
  if (messageName(*m).empty()) fuzz::broken("message without a name");
  Bytes again = encodeMessage(*m);
  if (again.size() > kMaxMessageBytes) fuzz::broken("re-encoding exceeds a frame");
  auto back = decodeMessage(again);
  if (!back.isOk()) fuzz::broken("re-encoded message refused");
  if (!(*back == *m)) fuzz::broken("re-encoded message decodes differently");
  return 0;
}
