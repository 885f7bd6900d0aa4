// The sync state machine: one SyncSession per connected peer.
//
// Sans-I/O: a session takes decoded messages (or frame plaintext), ticks and
// `now` (ms, any monotonic clock) as input, reads and writes the node's logs
// through a LogStore, and returns Effects: messages to send, entries newly
// accepted, fork proofs newly recorded, and whether to drop the peer. The
// caller moves bytes and fans accepted entries and fork proofs out to its
// other sessions (onLocalAccepted / onLocalFork); the session never learns
// about sockets, timers or other peers. docs/protocol.md describes the
// exchange.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "protocol/log_store.h"
#include "protocol/wire.h"

namespace allmenning {

struct SyncConfig {
  int64_t headsIntervalMs = 30'000;  // anti-entropy: Heads resent this often
  int64_t wantTimeoutMs = 10'000;    // an unanswered Want is forgotten and re-asked
  size_t maxWantsInFlight = 8;       // authors with an outstanding Want
  // Authors whose peer-claimed heads we remember; claims beyond this are
  // ignored until earlier ones are caught up, so a peer cannot grow our memory.
  size_t maxPeerAuthors = 65'536;
  // Of those, authors this node does not accept: claims cost a peer
  // nothing, and each accepted vouch looks its key up among them. Beyond
  // this many, further ones are ignored; a vouch for one of them is fetched
  // at the peer's next Heads instead of at once.
  size_t maxStrangerClaims = 256;
  // Entries asked for with Wants and not yet received, over all authors.
  // Each Want's range is cut to what is left, so a peer can never be
  // asked for more than this at once.
  uint64_t maxEntriesInFlight = 2048;
  // This node's own key: the head the peer shows for it is kept (selfHead),
  // so a node that holds authoring learns when a peer confirms its head.
  std::optional<PublicKey> self{};
};

// What the caller must do after one input.
struct Effects {
  std::vector<Message> send;            // to this peer, in order
  std::vector<Entry> accepted;          // newly stored; push to every other peer
  std::vector<ForkProof> forks;         // newly recorded; pass to every other peer
  std::optional<PeerError> disconnect;  // set once: close the connection
  // The disconnect is this node's failure (its store, e.g. a full disk),
  // not the peer's: the peer must not be punished for it.
  bool localFailure = false;
  // Entries received from the peer that went through the acceptance checks
  // (a signature verification each), for the caller's per-peer budget.
  size_t checked = 0;
};

// How far a peer is from this node, by its last Heads and what was
// exchanged since: entries it has that we lack, and entries we have that it
// lacks. Authors this node does not accept are left out.
struct PeerLag {
  uint64_t ahead = 0;
  uint64_t behind = 0;
};

// Peer session states.
//
//            onConnected: send Hello, Heads
//   kIdle -----------------------------------> kAwaitHello --+
//                                               |    ^       | tick: resend Hello, Heads
//                                               |    +-------+
//                                               | Hello (version and network match)
//                                               v
//                                             kOpen ---+
//                                               |  ^   | Heads -> Want, Want -> Entries,
//                                               |  +---+ Entries -> apply, tick -> Heads
//                                               |
//   from kAwaitHello or kOpen: wrong version or network, undecodable message,
//   invalid entry, bad fork proof, local store failure
//                                               v
//                                             kClosed  (Error sent, Effects::disconnect
//                                                       set; later inputs ignored)
enum class SessionState { kIdle, kAwaitHello, kOpen, kClosed };

class SyncSession {
 public:
  // `log` must outlive the session.
  SyncSession(LogStore& log, SyncConfig config);

  Effects onConnected(int64_t now);
  // Decodes one frame plaintext; undecodable bytes close the session.
  Effects onBytes(ByteView bytes, int64_t now);
  Effects onMessage(const Message& message, int64_t now);
  // Call often (the session decides when its intervals are due).
  Effects onTick(int64_t now);
  // Entries this node accepted from elsewhere (authored here or from another
  // peer): pushed to this peer at once.
  Effects onLocalAccepted(const std::vector<Entry>& entries, int64_t now);
  // What was sent to this peer has left the send queue. Heads go out one
  // page (kMaxHeadsPerMessage) at a time, the next when the one before has
  // drained, so many authors cannot fill the peer's backlog bound; this
  // sends the next page of a Heads round in progress.
  Effects onDrained(int64_t now);
  // Whether a Heads round is in progress: pages remain to be sent.
  bool sendingHeads() const { return headsPending_; }
  // A fork proof this node recorded from elsewhere: passed on to this peer.
  Effects onLocalFork(const ForkProof& proof);
  // This node now accepts more authors (`trust add`): asks at once for what
  // the peer's last Heads showed of them, and asks the peer for fresh Heads
  // (a Hello without ack, which an open peer answers with Hello and Heads).
  Effects onTrustChanged(int64_t now);

  SessionState state() const { return state_; }
  // nullopt until the peer's first Heads arrived, or on a local read error.
  std::optional<PeerLag> lag() const;
  // The head of SyncConfig::self in the peer's latest Heads; nullopt until
  // one listed it.
  const std::optional<AuthorHead>& selfHead() const { return selfHead_; }

 private:
  struct InFlight {
    uint64_t fromSeq = 0;
    uint64_t toSeq = 0;
    int64_t deadline = 0;
  };

  void onHello(const Hello& m, int64_t now, Effects& fx);
  void onHeads(const Heads& m, int64_t now, Effects& fx);
  void onWant(const Want& m, Effects& fx);
  void onEntries(const Entries& m, int64_t now, Effects& fx);
  void onForkProof(const ForkProof& m, Effects& fx);

  void sendHeads(Effects& fx);
  void sendHeadsPage(Effects& fx);
  void sendEntries(const std::vector<Entry>& entries, Effects& fx);
  void requestMissing(int64_t now, Effects& fx);
  void probe(const PublicKey& author, uint64_t seq, int64_t now, Effects& fx);
  void want(const PublicKey& author, uint64_t from, uint64_t to, int64_t now, Effects& fx);
  uint64_t entriesInFlight() const;
  void notePeerHas(const PublicKey& author, uint64_t seq, uint64_t mySeq);
  void noteClaim(const PublicKey& author, uint64_t seq, bool accepted);
  void recheckTrust(const std::vector<Entry>& accepted, int64_t now, Effects& fx);
  void fetchIfAccepted(const PublicKey& author);
  void fail(ErrorCode code, const std::string& text, Effects& fx);
  void failLocal(const Status& st, Effects& fx);

  LogStore& log_;
  SyncConfig config_;
  SessionState state_ = SessionState::kIdle;
  int64_t nextHeadsAt_ = 0;
  // When a Hello{ack=false} from the open peer was last answered with our
  // Heads; nullopt before the first.
  std::optional<int64_t> headsAnsweredAt_;
  std::map<PublicKey, uint64_t> peerHeads_;  // highest seq the peer has shown
  std::set<PublicKey> behind_;               // authors where the peer may be ahead
  std::map<PublicKey, InFlight> inFlight_;   // at most maxWantsInFlight
  // Every head the peer has shown or been sent of an author this node
  // accepted then, for lag() and for fetching after a change of trust.
  std::map<PublicKey, uint64_t> claims_;  // at most maxPeerAuthors
  // The same for authors this node did not accept then, in case a vouch
  // makes one acceptable (recheckTrust).
  std::map<PublicKey, uint64_t> strangers_;  // at most maxStrangerClaims
  bool headsSeen_ = false;
  // The Heads round in progress: the last author sent, and whether pages
  // remain (sent on onDrained).
  std::optional<PublicKey> headsCursor_;
  bool headsPending_ = false;
  std::optional<AuthorHead> selfHead_;
};

// Wire form <-> entries.
WireEntry toWire(const Entry& e);
// Decodes the header and hashes; the acceptance checks come later (apply).
Result<Entry> fromWire(const WireEntry& w);

// The proof that `stored` and `other` (same author and seq, different hash)
// were both signed by their author.
ForkProof forkProofOf(const Entry& stored, const Entry& other);
// Verifies a fork proof: both headers decode, belong to `network`, carry
// valid signatures by the same author, have the same seq and differ.
// Returns the author.
Result<PublicKey> checkForkProof(const ForkProof& proof, const Hash& network);

}  // namespace allmenning
