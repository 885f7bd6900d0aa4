#include "protocol/sync.h"

#include <algorithm>

#include "protocol/records.h"

namespace allmenning {
namespace {

// Splits `entries` into Entries messages under both the count and the byte
// limit. An entry over the byte limit on its own cannot occur: payloads are
// capped at half a frame.
std::vector<Entries> pack(const std::vector<Entry>& entries) {
  std::vector<Entries> out;
  size_t bytes = 0;
  for (const Entry& e : entries) {
    WireEntry w = toWire(e);
    size_t size = wireEntrySize(w);
    if (out.empty() || out.back().entries.size() >= kMaxEntriesPerMessage ||
        bytes + size > kMaxEntriesBytes) {
      out.emplace_back();
      bytes = 0;
    }
    bytes += size;
    out.back().entries.push_back(std::move(w));
  }
  return out;
}

}  // namespace

SyncSession::SyncSession(LogStore& log, SyncConfig config) : log_(log), config_(config) {}

Effects SyncSession::onConnected(int64_t now) {
  Effects fx;
  if (state_ != SessionState::kIdle) return fx;
  state_ = SessionState::kAwaitHello;
  fx.send.push_back(Hello{kProtocolVersion, log_.network(), false});
  // Sent before the peer's Hello arrives: over an ordered transport the peer
  // reads our Hello first, so this saves a round trip.
  sendHeads(fx);
  nextHeadsAt_ = now + config_.headsIntervalMs;
  return fx;
}

Effects SyncSession::onBytes(ByteView bytes, int64_t now) {
  auto m = decodeMessage(bytes);
  if (!m.isOk()) {
    Effects fx;
    if (state_ != SessionState::kClosed) fail(ErrorCode::kBadMessage, m.status().message(), fx);
    return fx;
  }
  return onMessage(*m, now);
}

Effects SyncSession::onMessage(const Message& message, int64_t now) {
  Effects fx;
  if (state_ == SessionState::kClosed || state_ == SessionState::kIdle) return fx;
  if (const auto* hello = std::get_if<Hello>(&message)) {
    onHello(*hello, now, fx);
    return fx;
  }
  // Before the peer's Hello only an ordered transport's first message can
  // be missing (a lossy test network); the Hello retry recovers.
  if (state_ == SessionState::kAwaitHello) return fx;
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Heads>) {
          onHeads(m, now, fx);
        } else if constexpr (std::is_same_v<T, Want>) {
          onWant(m, fx);
        } else if constexpr (std::is_same_v<T, Entries>) {
          onEntries(m, now, fx);
        } else if constexpr (std::is_same_v<T, ForkProof>) {
          onForkProof(m, fx);
        } else if constexpr (std::is_same_v<T, Ping>) {
          fx.send.push_back(Pong{m.nonce});
        } else if constexpr (std::is_same_v<T, UnknownMessage>) {
          // A newer peer: tell it, keep the connection.
          fx.send.push_back(PeerError{ErrorCode::kUnimplemented, "unimplemented"});
        }
        // PeerError and Pong need no answer; a peer that gives up on us closes.
      },
      message);
  return fx;
}

Effects SyncSession::onTick(int64_t now) {
  Effects fx;
  if (state_ == SessionState::kAwaitHello && now >= nextHeadsAt_) {
    fx.send.push_back(Hello{kProtocolVersion, log_.network(), false});
    sendHeads(fx);
    nextHeadsAt_ = now + config_.headsIntervalMs;
  }
  if (state_ != SessionState::kOpen) return fx;
  // Wants whose answers were lost (or never sent) are asked again below.
  std::erase_if(inFlight_, [now](const auto& kv) { return kv.second.deadline <= now; });
  if (now >= nextHeadsAt_) {
    sendHeads(fx);
    nextHeadsAt_ = now + config_.headsIntervalMs;
  }
  requestMissing(now, fx);
  return fx;
}

Effects SyncSession::onLocalAccepted(const std::vector<Entry>& entries, int64_t now) {
  Effects fx;
  if (state_ != SessionState::kOpen) return fx;
  sendEntries(entries, fx);
  recheckTrust(entries, now, fx);
  return fx;
}

Effects SyncSession::onLocalFork(const ForkProof& proof) {
  Effects fx;
  if (state_ == SessionState::kOpen) fx.send.push_back(proof);
  return fx;
}

void SyncSession::onHello(const Hello& m, int64_t now, Effects& fx) {
  if (m.version != kProtocolVersion) {
    return fail(ErrorCode::kWrongVersion,
                "protocol version " + std::to_string(m.version) + " is not " +
                    std::to_string(kProtocolVersion),
                fx);
  }
  if (m.network != log_.network()) {
    return fail(ErrorCode::kWrongNetwork, "peer belongs to another network", fx);
  }
  if (state_ == SessionState::kAwaitHello) {
    state_ = SessionState::kOpen;
  } else if (!m.ack) {
    // The peer is still waiting for our Hello, so what we sent before it was
    // lost: answer, and repeat the Heads it ignored. A Hello costs its sender
    // a few hundred bytes and our Heads can be megabytes, so they are
    // repeated at most once per heads interval; anti-entropy sends them as
    // often anyway.
    fx.send.push_back(Hello{kProtocolVersion, log_.network(), true});
    if (headsAnsweredAt_ && now - *headsAnsweredAt_ < config_.headsIntervalMs) return;
    headsAnsweredAt_ = now;
    sendHeads(fx);
  }
}

void SyncSession::onHeads(const Heads& m, int64_t now, Effects& fx) {
  // Bounded by the decoder's kMaxHeadsPerMessage.
  std::set<PublicKey> proofsSent;  // one proof per author, however often it is listed
  headsSeen_ = true;
  for (const AuthorHead& h : m.heads) {
    bool accepted = log_.accepts(h.author);
    noteClaim(h.author, h.seq, accepted);
    if (config_.self && h.author == *config_.self) selfHead_ = h;
    // Not stored, not relayed, not asked for: remembered among strangers_
    // in case a vouch makes the author acceptable later (recheckTrust).
    if (!accepted) continue;
    if (log_.frozen(h.author)) {
      // The peer holds entries of an author we know equivocated, and does
      // not know it yet: this is how a lost ForkProof is made up for.
      if (h.forked || !proofsSent.insert(h.author).second) continue;
      if (auto proof = log_.forkProof(h.author)) fx.send.push_back(*proof);
      continue;
    }
    if (h.forked) {
      // The peer knows of a fork we do not: a Want for a frozen author is
      // answered with the proof (see onWant).
      probe(h.author, 1, now, fx);
      continue;
    }
    auto mine = log_.head(h.author);
    if (!mine.isOk()) return failLocal(mine.status(), fx);
    if (h.seq > mine->seq) {
      notePeerHas(h.author, h.seq, mine->seq);
    } else if (h.seq == mine->seq && h.seq > 0 && h.hash != mine->hash) {
      // Same length, different head: one of the two logs is the other side
      // of an equivocation. Fetch the peer's entry to build the proof.
      probe(h.author, h.seq, now, fx);
    }
    // A peer behind us asks with Want; we do not push, so agreeing peers
    // exchange only Heads.
  }
  requestMissing(now, fx);
}

void SyncSession::onWant(const Want& m, Effects& fx) {
  // Nothing of an author this node does not accept is relayed, even if an
  // earlier trust left entries of it in the store.
  if (!log_.accepts(m.author)) return;
  auto head = log_.head(m.author);
  if (!head.isOk()) return failLocal(head.status(), fx);
  // The decoder already bounds the range; clamp again so a Message built in
  // code cannot make us read more.
  if (auto proof = log_.forkProof(m.author)) fx.send.push_back(*proof);
  uint64_t to = std::min({m.toSeq, head->seq, m.fromSeq + kMaxWantRange - 1});
  // One Want is answered with at most one Entries message: a reply sized by
  // the range alone could reach 256 full payloads (128 MiB) for a tiny
  // request. The asker wants the rest once its head has moved (onEntries).
  std::vector<Entry> entries;
  size_t bytes = 0;
  for (uint64_t seq = std::max<uint64_t>(m.fromSeq, 1); seq <= to; ++seq) {
    auto e = log_.entry(m.author, seq);
    if (!e.isOk()) return failLocal(e.status(), fx);
    if (!*e) break;
    size_t size = wireEntrySize(toWire(**e));
    if (!entries.empty() && bytes + size > kMaxEntriesBytes) break;
    bytes += size;
    entries.push_back(std::move(**e));
  }
  sendEntries(entries, fx);
}

void SyncSession::onEntries(const Entries& m, int64_t now, Effects& fx) {
  fx.checked += m.entries.size();
  std::vector<Entry> entries;
  entries.reserve(m.entries.size());
  for (const WireEntry& w : m.entries) {
    auto e = fromWire(w);
    if (!e.isOk()) return fail(ErrorCode::kBadEntry, e.status().message(), fx);
    entries.push_back(std::move(*e));
  }
  // Heads before applying, so progress can be seen afterwards.
  std::map<PublicKey, uint64_t> before;
  for (const Entry& e : entries) {
    if (before.count(e.header.author)) continue;
    auto h = log_.head(e.header.author);
    before[e.header.author] = h.isOk() ? h->seq : 0;
  }
  auto outcomes = log_.apply(entries);
  if (!outcomes.isOk()) {
    return failLocal(outcomes.status(), fx);
  }
  std::optional<Status> invalid;
  std::set<PublicKey> touched;
  for (size_t i = 0; i < entries.size() && i < outcomes->size(); ++i) {
    const Entry& e = entries[i];
    const ApplyOutcome& o = (*outcomes)[i];
    auto head = log_.head(e.header.author);
    uint64_t mySeq = head.isOk() ? head->seq : 0;
    touched.insert(e.header.author);
    switch (o.outcome) {
      case Outcome::kAccepted:
        fx.accepted.push_back(e);
        [[fallthrough]];
      case Outcome::kDuplicate:
      case Outcome::kGap:  // the peer has up to this seq; the gap is wanted below
        notePeerHas(e.header.author, e.header.seq, mySeq);
        break;
      case Outcome::kBadPrev:
        // The peer's chain left ours at or before our head: fetch its entry
        // at our head seq, which either matches or proves the fork.
        inFlight_.erase(e.header.author);
        probe(e.header.author, mySeq, now, fx);
        break;
      case Outcome::kFork:
        if (o.fork) {
          fx.forks.push_back(*o.fork);
          fx.send.push_back(*o.fork);
        }
        break;
      case Outcome::kFrozen:
        break;
      case Outcome::kUntrusted:
        // Not misbehaviour: the peer may trust whom we do not.
        noteClaim(e.header.author, e.header.seq, /*accepted=*/false);
        break;
      case Outcome::kInvalid:
        // Honest peers check every entry before relaying it, so an invalid
        // one means this peer is broken or hostile.
        if (!invalid) invalid = o.status;
        break;
    }
  }
  // A Want is settled once it brought progress: a reply may hold only part
  // of the range (one message's worth), and the rest is asked for at once.
  for (const PublicKey& author : touched) {
    auto it = inFlight_.find(author);
    auto head = log_.head(author);
    if (it != inFlight_.end() && head.isOk() &&
        (head->seq >= it->second.toSeq || head->seq > before[author])) {
      inFlight_.erase(it);
    }
  }
  if (invalid) return fail(ErrorCode::kBadEntry, invalid->message(), fx);
  recheckTrust(fx.accepted, now, fx);
  requestMissing(now, fx);
}

void SyncSession::onForkProof(const ForkProof& m, Effects& fx) {
  fx.checked += 2;  // both headers' signatures
  auto recorded = log_.recordFork(m);
  if (!recorded.isOk()) return fail(ErrorCode::kBadEntry, recorded.status().message(), fx);
  if (*recorded) fx.forks.push_back(m);
}

// Starts a Heads round: its first page now, the others one by one as the
// output drains (onDrained). A round still in progress is not restarted, so
// a slow peer still gets every page, in order, and never more than one
// page queued at a time.
void SyncSession::sendHeads(Effects& fx) {
  if (headsPending_) return;
  headsCursor_.reset();
  headsPending_ = true;
  sendHeadsPage(fx);
}

// The first page is sent even when empty, so a peer learns we hold nothing.
void SyncSession::sendHeadsPage(Effects& fx) {
  auto page = log_.headsAfter(headsCursor_, kMaxHeadsPerMessage);
  if (!page.isOk()) return failLocal(page.status(), fx);
  bool first = !headsCursor_;
  if (page->size() < kMaxHeadsPerMessage) headsPending_ = false;
  if (page->empty() && !first) return;
  if (!page->empty()) headsCursor_ = page->back().author;
  Heads m;
  m.heads = std::move(*page);
  fx.send.push_back(std::move(m));
}

Effects SyncSession::onDrained(int64_t /*now*/) {
  Effects fx;
  if (state_ == SessionState::kClosed || state_ == SessionState::kIdle) return fx;
  if (headsPending_) sendHeadsPage(fx);
  return fx;
}

void SyncSession::sendEntries(const std::vector<Entry>& entries, Effects& fx) {
  // Only entries this node accepts are sent.
  for (const Entry& e : entries) noteClaim(e.header.author, e.header.seq, /*accepted=*/true);
  for (Entries& m : pack(entries)) fx.send.push_back(std::move(m));
}

void SyncSession::noteClaim(const PublicKey& author, uint64_t seq, bool accepted) {
  auto& claims = accepted ? claims_ : strangers_;
  size_t cap = accepted ? config_.maxPeerAuthors : config_.maxStrangerClaims;
  auto it = claims.find(author);
  if (it == claims.end()) {
    if (claims.size() >= cap) return;
    it = claims.emplace(author, 0).first;
  }
  it->second = std::max(it->second, seq);
}

// A vouch just accepted may make an author acceptable that the peer offered
// before: ask for it now rather than at the next Heads. Only the keys the
// vouches name are looked up, so a burst of vouches costs each session a
// few lookups, whatever the peer claimed.
void SyncSession::recheckTrust(const std::vector<Entry>& accepted, int64_t now, Effects& fx) {
  bool vouched = false;
  for (const Entry& e : accepted) {
    if (e.header.kind != Kind::kVouch || !e.payload) continue;
    auto v = decodeVouch(*e.payload);  // checked when it was accepted
    if (!v.isOk()) continue;
    fetchIfAccepted(v->key);
    vouched = true;
  }
  if (vouched) requestMissing(now, fx);
}

Effects SyncSession::onTrustChanged(int64_t now) {
  Effects fx;
  if (state_ != SessionState::kOpen) return fx;
  fx.send.push_back(Hello{kProtocolVersion, log_.network(), false});
  // An operator's change, so rare: every claim is looked at again.
  std::vector<PublicKey> authors;
  for (const auto& [author, seq] : strangers_) authors.push_back(author);
  for (const auto& [author, seq] : claims_) authors.push_back(author);
  for (const PublicKey& author : authors) fetchIfAccepted(author);
  requestMissing(now, fx);
  return fx;
}

// When this node accepts `author` now and the peer has shown more of it
// than we hold, it is asked for (by the next requestMissing).
void SyncSession::fetchIfAccepted(const PublicKey& author) {
  if (!log_.accepts(author) || log_.frozen(author)) return;
  uint64_t seq = 0;
  if (auto it = strangers_.find(author); it != strangers_.end()) {
    seq = it->second;
    strangers_.erase(it);
    noteClaim(author, seq, /*accepted=*/true);
  }
  if (auto it = claims_.find(author); it != claims_.end()) seq = it->second;
  if (seq == 0) return;
  auto mine = log_.head(author);
  if (mine.isOk()) notePeerHas(author, seq, mine->seq);
}

std::optional<PeerLag> SyncSession::lag() const {
  if (!headsSeen_) return std::nullopt;
  auto heads = log_.heads();
  if (!heads.isOk()) return std::nullopt;
  PeerLag lag;
  std::map<PublicKey, uint64_t> mine;
  for (const AuthorHead& h : *heads) {
    mine[h.author] = h.seq;
    auto it = claims_.find(h.author);
    uint64_t theirs = it == claims_.end() ? 0 : it->second;
    if (h.seq > theirs) lag.behind += h.seq - theirs;
  }
  for (const auto& [author, seq] : claims_) {
    if (!log_.accepts(author)) continue;
    auto it = mine.find(author);
    uint64_t ours = it == mine.end() ? 0 : it->second;
    if (seq > ours) lag.ahead += seq - ours;
  }
  return lag;
}

// Sends Wants for authors where the peer is ahead, oldest author key first,
// keeping at most maxWantsInFlight outstanding.
void SyncSession::requestMissing(int64_t now, Effects& fx) {
  for (auto it = behind_.begin();
       it != behind_.end() && inFlight_.size() < config_.maxWantsInFlight;) {
    const PublicKey& author = *it;
    if (inFlight_.count(author)) {
      ++it;
      continue;
    }
    auto head = log_.head(author);
    if (!head.isOk()) return failLocal(head.status(), fx);
    uint64_t peerSeq = peerHeads_[author];
    // An author distrusted since is not asked for: its entries would be
    // refused.
    if (log_.frozen(author) || peerSeq <= head->seq || !log_.accepts(author)) {
      peerHeads_.erase(author);
      it = behind_.erase(it);
      continue;
    }
    uint64_t room =
        config_.maxEntriesInFlight - std::min(config_.maxEntriesInFlight, entriesInFlight());
    if (room == 0) break;
    uint64_t to = std::min({peerSeq, head->seq + kMaxWantRange, head->seq + room});
    want(author, head->seq + 1, to, now, fx);
    ++it;
  }
}

void SyncSession::want(const PublicKey& author, uint64_t from, uint64_t to, int64_t now,
                       Effects& fx) {
  fx.send.push_back(Want{author, from, to});
  inFlight_[author] = {from, to, now + config_.wantTimeoutMs};
}

uint64_t SyncSession::entriesInFlight() const {
  uint64_t n = 0;
  for (const auto& [author, w] : inFlight_) n += w.toSeq - w.fromSeq + 1;
  return n;
}

void SyncSession::probe(const PublicKey& author, uint64_t seq, int64_t now, Effects& fx) {
  if (seq == 0 || inFlight_.count(author) || inFlight_.size() >= config_.maxWantsInFlight) return;
  if (entriesInFlight() >= config_.maxEntriesInFlight) return;
  want(author, seq, seq, now, fx);
}

void SyncSession::notePeerHas(const PublicKey& author, uint64_t seq, uint64_t mySeq) {
  if (seq <= mySeq) return;
  auto it = peerHeads_.find(author);
  if (it == peerHeads_.end()) {
    if (peerHeads_.size() >= config_.maxPeerAuthors) return;
    it = peerHeads_.emplace(author, 0).first;
  }
  it->second = std::max(it->second, seq);
  behind_.insert(author);
}

void SyncSession::fail(ErrorCode code, const std::string& text, Effects& fx) {
  PeerError e{code, text.substr(0, kMaxErrorTextBytes)};
  fx.send.push_back(e);
  fx.disconnect = e;
  state_ = SessionState::kClosed;
}

void SyncSession::failLocal(const Status& st, Effects& fx) {
  fail(ErrorCode::kBadRequest, "local store: " + st.message(), fx);
  fx.localFailure = true;
}

WireEntry toWire(const Entry& e) { return WireEntry{e.headerBytes, e.signature, e.payload}; }

Result<Entry> fromWire(const WireEntry& w) {
  return entryFromParts(w.header, w.signature, w.payload);
}

ForkProof forkProofOf(const Entry& stored, const Entry& other) {
  return ForkProof{{stored.headerBytes, stored.signature}, {other.headerBytes, other.signature}};
}

Result<PublicKey> checkForkProof(const ForkProof& p, const Hash& network) {
  auto a = entryFromParts(p.a.header, p.a.signature, std::nullopt);
  if (!a.isOk()) return a.status().withContext("fork proof");
  auto b = entryFromParts(p.b.header, p.b.signature, std::nullopt);
  if (!b.isOk()) return b.status().withContext("fork proof");
  ALM_RETURN_IF_ERROR(checkEntry(*a, network).withContext("fork proof"));
  ALM_RETURN_IF_ERROR(checkEntry(*b, network).withContext("fork proof"));
  if (a->header.author != b->header.author || a->header.seq != b->header.seq) {
    return Status::corruption("fork proof: headers are of different authors or seqs");
  }
  if (a->hash == b->hash) return Status::corruption("fork proof: the two headers are the same");
  return a->header.author;
}

}  // namespace allmenning
