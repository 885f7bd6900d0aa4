// Fuzzes the signing intent's reader (node/intent.h): decodeIntent, which
// reads <home>/intent at every open before anything is signed. The file is
// the node's own, but a damaged or planted one must be refused, not crash.
//
// Input: the file's text. Promises checked: any text yields entries or a
// Status; accepted entries each carry a payload and form one chain (seq
// +1, prev = the hash before); they encode to text that decodes to the same
// entries, and that text has one encoding.
#include <string>
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "node/intent.h"

using namespace allmenning;

namespace {

bool same(const std::vector<Entry>& a, const std::vector<Entry>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].headerBytes != b[i].headerBytes || a[i].signature != b[i].signature ||
        a[i].hash != b[i].hash || a[i].payload != b[i].payload) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto entries = decodeIntent(text);
  if (!entries.isOk()) return 0;
  for (size_t i = 0; i < entries->size(); ++i) {
    const Entry& e = (*entries)[i];
    if (!e.payload) fuzz::broken("an intent entry has no payload");
    if (i > 0 && (e.header.seq != (*entries)[i - 1].header.seq + 1 ||
                  e.header.prev != (*entries)[i - 1].hash)) {
      fuzz::broken("intent entries that do not form a chain are accepted");
    }
  }
  std::string encoded = encodeIntent(*entries);
  auto again = decodeIntent(encoded);
  if (!again.isOk()) fuzz::broken("an encoded intent is refused");
  if (!same(*entries, *again)) fuzz::broken("an intent does not decode to what was encoded");
  if (encodeIntent(*again) != encoded) fuzz::broken("an intent has two encodings");
  return 0;
}
