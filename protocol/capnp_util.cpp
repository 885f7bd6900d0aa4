#include "protocol/capnp_util.h"

namespace allmenning {

capnp::ReaderOptions readerOptionsFor(size_t bytes) {
  capnp::ReaderOptions options;
  // The limit is spent across every pass over one reader: the canonical-form
  // check, canonicalize() and the caller's reads. Four passes over the input
  // keeps the work linear in its size.
  options.traversalLimitInWords = 4 * (bytes / sizeof(capnp::word)) + 16;
  options.nestingLimit = kMaxNestingDepth;
  return options;
}

Result<std::unique_ptr<CanonicalReader>> CanonicalReader::open(ByteView bytes, size_t maxBytes) {
  if (bytes.empty()) return Status::corruption("message is empty");
  if (bytes.size() > maxBytes) {
    return Status::corruption("message of " + std::to_string(bytes.size()) +
                              " bytes exceeds the limit of " + std::to_string(maxBytes));
  }
  if (bytes.size() % sizeof(capnp::word) != 0) {
    return Status::corruption("message length " + std::to_string(bytes.size()) +
                              " is not a multiple of 8");
  }
  return std::unique_ptr<CanonicalReader>(new CanonicalReader(bytes));
}

CanonicalReader::CanonicalReader(ByteView bytes)
    : words_(kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word))) {
  std::memcpy(words_.begin(), bytes.data(), bytes.size());
  segments_[0] = words_.asPtr();
  reader_ = std::make_unique<capnp::SegmentArrayMessageReader>(kj::arrayPtr(segments_, 1),
                                                               readerOptionsFor(bytes.size()));
}

bool CanonicalReader::sameBytes(const kj::Array<capnp::word>& words) const {
  return words.size() == words_.size() &&
         std::memcmp(words.begin(), words_.begin(), words.size() * sizeof(capnp::word)) == 0;
}

}  // namespace allmenning
