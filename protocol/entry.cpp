#include "protocol/entry.h"

#include "protocol/capnp_util.h"
#include "protocol/schema/allmenning.capnp.h"

namespace allmenning {
namespace {

kj::ArrayPtr<const kj::byte> ptr(ByteView b) { return {b.data(), b.size()}; }

template <size_t N>
std::optional<std::array<uint8_t, N>> fixed(capnp::Data::Reader d) {
  return toFixed<N>(ByteView(d.begin(), d.size()));
}

constexpr uint16_t kMaxKind = static_cast<uint16_t>(Kind::kProfile);

}  // namespace

std::string kindName(Kind kind) {
  switch (kind) {
    case Kind::kCase:
      return "case";
    case Kind::kNeed:
      return "need";
    case Kind::kExperience:
      return "experience";
    case Kind::kRetract:
      return "retract";
    case Kind::kVouch:
      return "vouch";
    case Kind::kProfile:
      return "profile";
  }
  return "unknown";
}

Bytes encodeHeader(const Header& h) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<schema::Header>();
  b.setNetwork(ptr(h.network));
  b.setAuthor(ptr(h.author));
  b.setSeq(h.seq);
  b.setPrev(ptr(h.prev));
  b.setKind(static_cast<schema::Kind>(h.kind));
  b.setTimestamp(h.timestamp);
  b.setPayloadHash(ptr(h.payloadHash));
  b.setPayloadSize(h.payloadSize);
  return canonicalBytes(b.asReader());
}

Result<Header> decodeHeader(ByteView bytes) {
  struct Raw {
    std::optional<Hash> network, author, prev, payloadHash;
    uint16_t kind;
    Header h;
  };
  auto raw = decodeCanonical<schema::Header>(bytes, kMaxHeaderBytes, "header", [](auto r) {
    Raw out{
        fixed<32>(r.getNetwork()),     fixed<32>(r.getAuthor()),           fixed<32>(r.getPrev()),
        fixed<32>(r.getPayloadHash()), static_cast<uint16_t>(r.getKind()), Header{}};
    out.h.seq = r.getSeq();
    out.h.timestamp = r.getTimestamp();
    out.h.payloadSize = r.getPayloadSize();
    return out;
  });
  if (!raw.isOk()) return raw.status();
  if (!raw->network || !raw->author || !raw->prev || !raw->payloadHash) {
    return Status::corruption("header: a key or hash field is not 32 bytes");
  }
  if (raw->kind > kMaxKind) {
    return Status::corruption("header: unknown kind " + std::to_string(raw->kind));
  }
  Header h = raw->h;
  h.network = *raw->network;
  h.author = *raw->author;
  h.prev = *raw->prev;
  h.payloadHash = *raw->payloadHash;
  h.kind = static_cast<Kind>(raw->kind);
  ALM_RETURN_IF_ERROR(requireSameEncoding(bytes, encodeHeader(h), "header"));
  return h;
}

Entry signEntry(const SecretKey& key, Header header, Bytes payload) {
  header.payloadHash = blake2b256(payload);
  header.payloadSize = static_cast<uint32_t>(payload.size());
  Entry e;
  e.header = header;
  e.headerBytes = encodeHeader(header);
  e.signature = key.sign(kEntryDomain, e.headerBytes);
  e.hash = blake2b256(e.headerBytes, e.signature);
  e.payload = std::move(payload);
  return e;
}

Result<Entry> entryFromParts(ByteView headerBytes, ByteView signature,
                             std::optional<Bytes> payload) {
  auto header = decodeHeader(headerBytes);
  if (!header.isOk()) return header.status();
  auto sig = toFixed<64>(signature);
  if (!sig) return Status::corruption("signature is not 64 bytes");
  Entry e;
  e.header = *header;
  e.headerBytes.assign(headerBytes.begin(), headerBytes.end());
  e.signature = *sig;
  e.hash = blake2b256(e.headerBytes, e.signature);
  e.payload = std::move(payload);
  return e;
}

Status checkEntry(const Entry& e, const Hash& network) {
  const Header& h = e.header;
  std::string where = "entry " + toHex(h.author).substr(0, 16) + "/" + std::to_string(h.seq);
  if (h.network != network) return Status::corruption(where + ": belongs to another network");
  if (h.seq == 0) return Status::corruption(where + ": seq 0 is not allowed");
  if (h.seq == 1 && h.prev != Hash{}) {
    return Status::corruption(where + ": seq 1 must have an all-zero prev");
  }
  if (h.payloadSize > kMaxPayloadBytes) {
    return Status::corruption(where + ": payload size " + std::to_string(h.payloadSize) +
                              " exceeds the limit of " + std::to_string(kMaxPayloadBytes));
  }
  if (!verifySignature(h.author, kEntryDomain, e.headerBytes, e.signature)) {
    return Status::corruption(where + ": signature does not verify");
  }
  if (e.payload) {
    if (e.payload->size() != h.payloadSize) {
      return Status::corruption(where + ": payload size does not match the header");
    }
    if (blake2b256(*e.payload) != h.payloadHash) {
      return Status::corruption(where + ": payload hash does not match the header");
    }
  }
  return Status::ok();
}

std::string placementName(Placement p) {
  switch (p) {
    case Placement::kNext:
      return "next";
    case Placement::kDuplicate:
      return "duplicate";
    case Placement::kFork:
      return "fork";
    case Placement::kGap:
      return "gap";
    case Placement::kBadPrev:
      return "wrong prev";
  }
  return "unknown";
}

Placement placeEntry(const Head& head, const Entry& e, std::optional<Hash> storedAtSeq) {
  uint64_t seq = e.header.seq;
  if (seq <= head.seq) {
    // Without the stored hash we cannot tell a replay from an equivocation;
    // callers must supply it, and a missing one is treated as a conflict.
    return storedAtSeq && *storedAtSeq == e.hash ? Placement::kDuplicate : Placement::kFork;
  }
  if (seq > head.seq + 1) return Placement::kGap;
  return e.header.prev == head.hash ? Placement::kNext : Placement::kBadPrev;
}

}  // namespace allmenning
