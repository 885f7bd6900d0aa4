#include "protocol/wire.h"

#include <capnp/schema.h>

#include "protocol/capnp_util.h"
#include "protocol/entry.h"
#include "protocol/framing.h"
#include "protocol/schema/wire.capnp.h"

// One message fills at most one frame.
static_assert(allmenning::kMaxMessageBytes == allmenning::kMaxFramePlaintext);

namespace allmenning {
namespace {

// Cap'n Proto and the rest of the code name bytes differently; these two
// helpers convert without copying.
kj::ArrayPtr<const kj::byte> ptr(ByteView b) { return {b.data(), b.size()}; }
ByteView view(capnp::Data::Reader d) { return {d.begin(), d.size()}; }

// Keys and hashes must have their exact size: a short one would otherwise
// compare unequal everywhere and never be caught.
template <size_t N>
Result<std::array<uint8_t, N>> fixed(capnp::Data::Reader d, const char* field) {
  auto out = toFixed<N>(view(d));
  if (!out)
    return Status::corruption(std::string(field) + " is not " + std::to_string(N) + " bytes");
  return *out;
}

// Each builder below writes one message kind into the union.
struct Builder {
  wire::Message::Builder m;

  void operator()(const Hello& v) {
    auto b = m.initHello();
    b.setVersion(v.version);
    b.setNetwork(ptr(v.network));
    b.setAck(v.ack);
  }
  void operator()(const Heads& v) {
    auto list = m.initHeads().initHeads(static_cast<unsigned>(v.heads.size()));
    for (unsigned i = 0; i < v.heads.size(); ++i) {
      list[i].setAuthor(ptr(v.heads[i].author));
      list[i].setSeq(v.heads[i].seq);
      list[i].setHash(ptr(v.heads[i].hash));
      list[i].setForked(v.heads[i].forked);
    }
  }
  void operator()(const Want& v) {
    auto b = m.initWant();
    b.setAuthor(ptr(v.author));
    b.setFromSeq(v.fromSeq);
    b.setToSeq(v.toSeq);
  }
  void operator()(const Entries& v) {
    auto list = m.initEntries().initEntries(static_cast<unsigned>(v.entries.size()));
    for (unsigned i = 0; i < v.entries.size(); ++i) {
      const WireEntry& e = v.entries[i];
      list[i].setHeader(ptr(e.header));
      list[i].setSignature(ptr(e.signature));
      if (e.payload) list[i].setPayload(ptr(*e.payload));
    }
  }
  void operator()(const ForkProof& v) {
    auto b = m.initForkProof();
    b.initA().setHeader(ptr(v.a.header));
    b.getA().setSignature(ptr(v.a.signature));
    b.initB().setHeader(ptr(v.b.header));
    b.getB().setSignature(ptr(v.b.signature));
  }
  void operator()(const PeerError& v) {
    auto b = m.initError();
    b.setCode(static_cast<uint16_t>(v.code));
    // With its length: a NUL inside the text (which decodes fine) must not
    // cut it, or the value would not survive a round trip.
    b.setText(capnp::Text::Reader(v.text.data(), v.text.size()));
  }
  void operator()(const Ping& v) { m.initPing().setNonce(v.nonce); }
  void operator()(const Pong& v) { m.initPong().setNonce(v.nonce); }
  // Written as an empty Ping whose union tag is then overwritten (below).
  void operator()(const UnknownMessage&) { m.initPing(); }
};

// Overwrites the union tag of a canonical Message. In canonical form the
// root struct's data section starts right after the root pointer (word 1),
// and the schema gives the tag's offset in 16-bit units.
void patchUnionTag(Bytes& bytes, uint16_t which) {
  auto offset = capnp::Schema::from<wire::Message>().getProto().getStruct().getDiscriminantOffset();
  size_t at = sizeof(capnp::word) + 2 * static_cast<size_t>(offset);
  if (at + 2 > bytes.size()) return;
  bytes[at] = static_cast<uint8_t>(which);
  bytes[at + 1] = static_cast<uint8_t>(which >> 8);
}

// The readers below run inside decodeCanonical's guard, so any hostile
// pointer that throws in a getter becomes a Status. Every list length is
// checked before anything is reserved for it.
Result<Message> readHeads(wire::Heads::Reader r) {
  auto list = r.getHeads();
  if (list.size() > kMaxHeadsPerMessage) {
    return Status::corruption("heads: " + std::to_string(list.size()) +
                              " heads exceed the limit of " + std::to_string(kMaxHeadsPerMessage));
  }
  Heads out;
  out.heads.reserve(list.size());
  for (auto h : list) {
    auto author = fixed<32>(h.getAuthor(), "heads: author");
    if (!author.isOk()) return author.status();
    auto hash = fixed<32>(h.getHash(), "heads: hash");
    if (!hash.isOk()) return hash.status();
    out.heads.push_back({*author, h.getSeq(), *hash, h.getForked()});
  }
  return Message(std::move(out));
}

Result<Message> readWant(wire::Want::Reader r) {
  auto author = fixed<32>(r.getAuthor(), "want: author");
  if (!author.isOk()) return author.status();
  uint64_t from = r.getFromSeq(), to = r.getToSeq();
  if (from == 0 || to < from || to - from >= kMaxWantRange) {
    return Status::corruption("want: range " + std::to_string(from) + ".." + std::to_string(to) +
                              " is empty, starts at 0 or spans more than " +
                              std::to_string(kMaxWantRange));
  }
  return Message(Want{*author, from, to});
}

// Only sizes are checked here: decoding the header and verifying the
// signature belong to the session and the store, which know the network.
Result<SignedHeader> readSigned(ByteView header, capnp::Data::Reader signature) {
  if (header.size() > kMaxHeaderBytes) return Status::corruption("header over 256 bytes");
  auto sig = fixed<64>(signature, "signature");
  if (!sig.isOk()) return sig.status();
  return SignedHeader{Bytes(header.begin(), header.end()), *sig};
}

Result<Message> readEntries(wire::Entries::Reader r) {
  auto list = r.getEntries();
  if (list.size() > kMaxEntriesPerMessage) {
    return Status::corruption("entries: " + std::to_string(list.size()) +
                              " entries exceed the limit of " +
                              std::to_string(kMaxEntriesPerMessage));
  }
  Entries out;
  out.entries.reserve(list.size());
  for (auto e : list) {
    auto s = readSigned(view(e.getHeader()), e.getSignature());
    if (!s.isOk()) return s.status().withContext("entries");
    WireEntry w{std::move(s->header), s->signature, std::nullopt};
    // Null and empty differ on purpose: null means "erased or not held",
    // while an empty payload is a real (and invalid) one.
    if (e.hasPayload()) {
      ByteView p = view(e.getPayload());
      if (p.size() > kMaxPayloadBytes) return Status::corruption("entries: payload over the limit");
      w.payload = Bytes(p.begin(), p.end());
    }
    out.entries.push_back(std::move(w));
  }
  return Message(std::move(out));
}

Result<Message> readForkProof(wire::ForkProof::Reader r) {
  auto a = readSigned(view(r.getA().getHeader()), r.getA().getSignature());
  if (!a.isOk()) return a.status().withContext("fork proof");
  auto b = readSigned(view(r.getB().getHeader()), r.getB().getSignature());
  if (!b.isOk()) return b.status().withContext("fork proof");
  return Message(ForkProof{std::move(*a), std::move(*b)});
}

Result<Message> readError(wire::Error::Reader r) {
  auto text = r.getText();
  if (text.size() > kMaxErrorTextBytes) return Status::corruption("error: text over the limit");
  return Message(
      PeerError{static_cast<ErrorCode>(r.getCode()), std::string(text.cStr(), text.size())});
}

Result<Message> readMessage(wire::Message::Reader r) {
  switch (r.which()) {
    case wire::Message::HELLO: {
      auto h = r.getHello();
      auto network = fixed<32>(h.getNetwork(), "hello: network");
      if (!network.isOk()) return network.status();
      return Message(Hello{h.getVersion(), *network, h.getAck()});
    }
    case wire::Message::HEADS:
      return readHeads(r.getHeads());
    case wire::Message::WANT:
      return readWant(r.getWant());
    case wire::Message::ENTRIES:
      return readEntries(r.getEntries());
    case wire::Message::FORK_PROOF:
      return readForkProof(r.getForkProof());
    case wire::Message::ERROR:
      return readError(r.getError());
    case wire::Message::PING:
      return Message(Ping{r.getPing().getNonce()});
    case wire::Message::PONG:
      return Message(Pong{r.getPong().getNonce()});
  }
  // A newer peer's message kind: reported, not refused.
  return Message(UnknownMessage{static_cast<uint16_t>(r.which())});
}

}  // namespace

std::string messageName(const Message& m) {
  static const char* const kNames[] = {"Hello",     "Heads", "Want", "Entries", "ForkProof",
                                       "PeerError", "Ping",  "Pong", "Unknown"};
  return kNames[m.index()];
}

Bytes encodeMessage(const Message& m) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<wire::Message>();
  std::visit(Builder{root}, m);
  Bytes bytes = canonicalBytes(root.asReader());
  if (auto* u = std::get_if<UnknownMessage>(&m)) patchUnionTag(bytes, u->which);
  return bytes;
}

// Canonical form is required (it is what encodeMessage writes, and it rules
// out segment tables and far pointers), but the re-encoding check used for
// signed records is not: a newer peer may add fields.
Result<Message> decodeMessage(ByteView bytes) {
  auto r = decodeCanonical<wire::Message>(bytes, kMaxMessageBytes, "message", readMessage);
  if (!r.isOk()) return r.status();
  return std::move(*r);
}

size_t wireEntrySize(const WireEntry& e) {
  // Two list-element words, three Data pointers and padding to words.
  constexpr size_t kOverhead = 64;
  return e.header.size() + e.signature.size() + (e.payload ? e.payload->size() : 0) + kOverhead;
}

}  // namespace allmenning
