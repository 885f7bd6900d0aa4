// Canonical Cap'n Proto encoding and bounded decoding.
//
// Everything signed or hashed is the canonical form of one struct: a single
// segment, no segment table, fields in schema order, no trailing zeros. To read
// such bytes back they are copied into aligned words and opened with limits
// that match our largest real message, so hostile bytes cannot make the
// reader walk more than the input holds.
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstring>
#include <memory>
#include <string>
#include <type_traits>

#include "protocol/bytes.h"
#include "protocol/status.h"

namespace allmenning {

// The largest payload an entry may carry, in bytes. Frames (1 MiB) must hold
// one entry with room to spare.
constexpr size_t kMaxPayloadBytes = 512 * 1024;
// Nesting as Cap'n Proto counts it (one level per struct or list pointer
// followed, the root included), over the canonical-form check and
// canonicalize(), as CanonicalReader reads a message: the deepest real
// messages, Entries (Message -> Entries -> List(WireEntry) -> Data) and
// Heads, need 5; ForkProof and every record payload need less. The limit
// is that real maximum, so hostile bytes get no nesting beyond what an
// honest message has. A later schema that nests deeper must raise it with
// the protocol version, since older nodes refuse such messages
// (Wire.DeepestMessagesFitTheNestingLimit measures it).
constexpr int kMaxNestingDepth = 5;

// Reader limits for a message of `bytes` bytes: traversal bounded by a small
// multiple of the input size, nesting by our schema's real depth.
capnp::ReaderOptions readerOptionsFor(size_t bytes);

// The canonical bytes of the struct behind `reader`.
template <typename Reader>
Bytes canonicalBytes(Reader reader) {
  kj::Array<capnp::word> words = capnp::canonicalize(reader);
  auto chars = words.asBytes();
  return Bytes(chars.begin(), chars.end());
}

// Holds canonical bytes copied into aligned words, and a reader over them.
class CanonicalReader {
 public:
  // Refuses input that is empty, not a whole number of words, or too large.
  static Result<std::unique_ptr<CanonicalReader>> open(ByteView bytes, size_t maxBytes);

  // Returns the root as T, or an error when the bytes do not decode or are not
  // in canonical form (so each value has exactly one accepted encoding).
  template <typename T>
  Result<typename T::Reader> root() {
    try {
      auto r = reader_->getRoot<T>();
      if (!reader_->isCanonical() || !sameBytes(capnp::canonicalize(r))) {
        return Status::corruption("message is not in canonical form");
      }
      return r;
    } catch (const kj::Exception& e) {
      return Status::corruption(std::string("malformed message: ") + e.getDescription().cStr());
    }
  }

  CanonicalReader(const CanonicalReader&) = delete;
  CanonicalReader& operator=(const CanonicalReader&) = delete;

 private:
  explicit CanonicalReader(ByteView bytes);
  bool sameBytes(const kj::Array<capnp::word>& words) const;

  kj::Array<capnp::word> words_;
  std::unique_ptr<capnp::SegmentArrayMessageReader> reader_;
  kj::ArrayPtr<const capnp::word> segments_[1];
};

// Opens canonical `bytes` as a T and returns `read(root)`. Field reads can
// throw on hostile bytes that canonical form does not rule out (a Text without
// its NUL, a pointer of the wrong kind), so they run inside the same guard as
// the decoding and every failure comes back as a corruption Status.
template <typename T, typename F>
auto decodeCanonical(ByteView bytes, size_t maxBytes, const std::string& what, F&& read)
    -> Result<std::invoke_result_t<F, typename T::Reader>> {
  auto reader = CanonicalReader::open(bytes, maxBytes);
  if (!reader.isOk()) return reader.status().withContext(what);
  auto root = (*reader)->template root<T>();
  if (!root.isOk()) return root.status().withContext(what);
  try {
    return read(*root);
  } catch (const kj::Exception& e) {
    return Status::corruption(what + ": malformed message: " + e.getDescription().cStr());
  }
}

// Refuses `bytes` unless they equal `reencoded`: canonical Cap'n Proto still
// admits fields unknown to this schema, so a decoder re-encodes what it read
// and compares, keeping one value to one byte string.
inline Status requireSameEncoding(ByteView bytes, const Bytes& reencoded, const std::string& what) {
  if (std::equal(bytes.begin(), bytes.end(), reencoded.begin(), reencoded.end())) {
    return Status::ok();
  }
  return Status::corruption(what + " is not the canonical encoding of its content");
}

}  // namespace allmenning
