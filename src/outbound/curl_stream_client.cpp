#include "outbound/curl_stream_client.h"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "outbound/curl_common.h"

namespace studybot::outbound {
namespace {

using Clock = std::chrono::steady_clock;

// Longest sleep in epoll_wait when no timer is nearer; news arrives by the inbox's eventfd.
constexpr std::chrono::milliseconds kMaxPoll{1000};
// Events taken per epoll_wait; more ready sockets simply wait for the next round.
constexpr int kMaxEvents = 256;
// Receive buffer per transfer (libcurl's default is 16 KiB): a stream's pieces (SSE events) are
// small, and thousands of streams each hold one for their whole life.
constexpr long kStreamBufferBytes = 4096;

// Closes a file descriptor on destruction.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// When an exchange must next be looked at. Each active exchange has one live entry: the one
// whose `generation` matches its own; others are dropped when they come up.
struct Deadline {
  Clock::time_point when;
  std::uint64_t id;
  std::uint64_t generation;
  bool operator>(const Deadline& o) const { return when > o.when; }
};
using DeadlineQueue = std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>>;

// One exchange, owned by the inbox until the loop takes it, then by the loop.
struct Transfer {
  std::uint64_t id = 0;
  StreamRequest request;
  std::shared_ptr<StreamHandler> handler;
  std::shared_ptr<Cancellation> cancel;  // may be null

  HttpResponse head;  // filled by the header callback; body stays empty
  curl::CurlExchange exchange;
  curl::HeaderList headers;  // declared before `easy`, which uses it
  curl::EasyHandle easy;

  bool head_delivered = false;
  std::size_t body_bytes = 0;
  // Until the request is sent, bounds name resolution and connecting; then reset, to bound the
  // wait for the head (for each hop of a redirect).
  Clock::time_point head_deadline;
  Clock::time_point last_activity;     // when the head or the latest body piece arrived
  DeadlineQueue* deadlines = nullptr;  // the loop's
  std::uint64_t deadline_generation = 0;
  // Why one of our callbacks failed the transfer (a handler stopped it or threw); it takes
  // precedence over the CURLcode that curl reports for it.
  std::optional<Error> aborted;
};

// Calls a handler's OnHead/OnData; false (and `aborted` set) when the exchange must stop. An
// exception must not unwind through libcurl's C frames. (A template: no allocation per piece.)
template <typename Call>
bool CallHandler(Transfer& t, const Call& call) {
  try {
    if (call()) return true;
    t.aborted = Error::Cancelled("the stream handler stopped the exchange");
  } catch (const std::exception&) {
    t.aborted = Error::Internal("the stream handler threw");
  }
  return false;
}

void CallDone(StreamHandler& handler, Status status) {
  try {
    handler.OnDone(std::move(status));
  } catch (const std::exception&) {
    // Nothing is left to tell; the exchange is over either way.
  }
}

Error Cancelled() {
  return Error::Cancelled("the exchange was cancelled");
}
Error ShuttingDown() {
  return Error::Cancelled("the stream client is shutting down");
}

}  // namespace

// What other threads hand to the loop. Held weakly by Cancellation callbacks.
struct CurlStreamClient::Inbox {
  std::mutex mu;
  // The loop's eventfd, in its epoll set. REQUIRES: mu held. -1 when setup failed, or once the
  // loop is gone (the descriptor number may then be reused by anything).
  int wake_fd = -1;
  bool stopping = false;                           // REQUIRES: mu held
  std::uint64_t next_id = 1;                       // REQUIRES: mu held
  std::vector<std::unique_ptr<Transfer>> started;  // REQUIRES: mu held
  std::vector<std::uint64_t> cancelled;            // REQUIRES: mu held

  // REQUIRES: mu held. The loop takes all news at once, so only the first since it last looked
  // needs to wake it.
  void WakeBeforeNews() {
    if (started.empty() && cancelled.empty()) Wake();
  }

  // REQUIRES: mu held.
  void Wake() const {
    if (wake_fd < 0) return;
    // Fails only when the counter would overflow, and then the loop is awake anyway.
    eventfd_write(wake_fd, 1);
  }

  void Cancel(std::uint64_t id) {
    std::lock_guard lock(mu);
    if (stopping || wake_fd < 0) return;
    WakeBeforeNews();
    cancelled.push_back(id);
  }
};

// Runs on the client's thread only, except construction and destruction. Event-driven
// (curl_multi_socket_action): curl says through OnSocket which sockets to watch and through
// OnTimer when it next needs to run; epoll reports only the sockets that are ready, so a wake-up
// costs O(ready sockets) rather than O(all transfers).
class CurlStreamClient::Loop {
 public:
  // Takes ownership of `multi`, `epoll` and `wake`. REQUIRES: `epoll` holds `wake`, the eventfd
  // whose number the inbox has.
  Loop(HttpClientOptions options, std::shared_ptr<Inbox> inbox, CURLM* multi, int epoll, int wake)
      : options_(std::move(options)),
        inbox_(std::move(inbox)),
        multi_(multi),
        epoll_(epoll),
        wake_(wake) {
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, OnSocket);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, OnTimer);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  }

  // REQUIRES: Run has returned (no transfer left), or never ran. Here, while the epoll set is
  // still open: curl_multi_cleanup closes the cached connections, which calls OnSocket.
  ~Loop() { curl_multi_cleanup(multi_); }

  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  void Run() {
    std::array<epoll_event, kMaxEvents> events{};
    while (TakeInbox()) {
      int n = epoll_wait(epoll_.get(), events.data(), kMaxEvents, WaitTimeoutMs());
      int running = 0;
      for (int i = 0; i < n; ++i) {
        if (events[i].data.fd == wake_.get()) {
          eventfd_t ignored = 0;
          eventfd_read(wake_.get(), &ignored);  // resets the counter; the news is in the inbox
          continue;
        }
        curl_multi_socket_action(multi_, events[i].data.fd, ToCurlMask(events[i].events), &running);
      }
      if (curl_timer_ && *curl_timer_ <= Clock::now()) {
        // One-shot, as curl expects: it sets a new timer (OnTimer) if it needs one after this.
        curl_timer_.reset();
        curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
      }
      Drain();
      ExpireDeadlines(Clock::now());
    }
    std::vector<std::uint64_t> ids;
    ids.reserve(active_.size());
    for (const auto& [id, t] : active_)
      ids.push_back(id);
    for (std::uint64_t id : ids)
      Finish(id, ShuttingDown());
  }

 private:
  // Begins what was started and aborts what was cancelled since the last look. False once the
  // client is shutting down; what was started then is cancelled.
  bool TakeInbox() {
    std::vector<std::unique_ptr<Transfer>> started;
    std::vector<std::uint64_t> cancelled;
    bool stopping = false;
    {
      std::lock_guard lock(inbox_->mu);
      started.swap(inbox_->started);
      cancelled.swap(inbox_->cancelled);
      stopping = inbox_->stopping;
    }
    // Started before cancelled: a cancellation may name an exchange of this same batch.
    for (std::unique_ptr<Transfer>& t : started) {
      if (stopping) {
        CallDone(*t->handler, ShuttingDown());
      } else {
        Begin(std::move(t));
      }
    }
    for (std::uint64_t id : cancelled)
      Finish(id, Cancelled());
    return !stopping;
  }

  void Begin(std::unique_ptr<Transfer> t) {
    if (t->cancel != nullptr && t->cancel->cancelled()) return CallDone(*t->handler, Cancelled());
    if (Status valid = curl::Validate(t->request.http); !valid.ok()) {
      return CallDone(*t->handler, std::move(valid));
    }
    if (t->request.head_timeout.count() <= 0 || t->request.idle_timeout.count() <= 0) {
      return CallDone(*t->handler,
                      Error::InvalidArgument("head_timeout and idle_timeout must be positive"));
    }
    t->easy.reset(curl_easy_init());
    if (t->easy == nullptr) return CallDone(*t->handler, Error::Internal("curl_easy_init failed"));
    t->exchange.policy = &options_.addresses;
    t->exchange.request = &t->request.http;
    t->exchange.response = &t->head;
    curl::EasySetup setup;
    setup.user_agent = &options_.user_agent;
    setup.advertise_encodings = false;
    setup.on_body = OnBody;
    setup.on_header = OnHeader;
    setup.callback_data = t.get();
    if (Status ready = curl::ConfigureEasy(t->easy.get(), t->exchange, setup, t->headers);
        !ready.ok()) {
      return CallDone(*t->handler, std::move(ready));
    }
    curl_easy_setopt(t->easy.get(), CURLOPT_PRIVATE, t.get());
    curl_easy_setopt(t->easy.get(), CURLOPT_PREREQFUNCTION, OnRequestSent);
    curl_easy_setopt(t->easy.get(), CURLOPT_PREREQDATA, t.get());
    curl_easy_setopt(t->easy.get(), CURLOPT_BUFFERSIZE, kStreamBufferBytes);
    if (curl_multi_add_handle(multi_, t->easy.get()) != CURLM_OK) {
      t->easy.reset();
      return CallDone(*t->handler, Error::Internal("curl_multi_add_handle failed"));
    }
    t->head_deadline = Clock::now() + t->request.head_timeout;
    t->deadlines = &deadlines_;
    deadlines_.push({t->head_deadline, t->id, t->deadline_generation});
    std::uint64_t id = t->id;
    active_.emplace(id, std::move(t));
  }

  // Ends an active exchange: its handle leaves the multi handle (which closes the connection of
  // a transfer still in progress), then OnDone. Unknown ids (already finished) are ignored.
  void Finish(std::uint64_t id, Status status) {
    auto it = active_.find(id);
    if (it == active_.end()) return;
    std::unique_ptr<Transfer> t = std::move(it->second);
    active_.erase(it);
    curl_multi_remove_handle(multi_, t->easy.get());
    t->easy.reset();
    CallDone(*t->handler, std::move(status));
  }

  // Reports the exchanges curl has completed.
  void Drain() {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      // Copied out: the message is invalid once its handle is removed.
      CURLcode rc = msg->data.result;
      char* priv = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
      Transfer& t = *reinterpret_cast<Transfer*>(priv);
      Finish(t.id, Outcome(t, rc));
    }
  }

  static Status Outcome(Transfer& t, CURLcode rc) {
    if (t.aborted) return *t.aborted;
    if (rc != CURLE_OK) return curl::ToError(rc, t.exchange, t.easy.get());
    if (!t.head_delivered) {
      // An empty body never reached OnBody, and a head without a blank line never ended.
      if (t.head.status == 0)
        curl_easy_getinfo(t.easy.get(), CURLINFO_RESPONSE_CODE, &t.head.status);
      if (!DeliverHead(t)) return *t.aborted;
    }
    return OkStatus();
  }

  void ExpireDeadlines(Clock::time_point now) {
    // An idle deadline is moved on when it comes due and the exchange has been active since,
    // rather than on every body piece.
    while (!deadlines_.empty() && deadlines_.top().when <= now) {
      Deadline entry = deadlines_.top();
      deadlines_.pop();
      auto it = active_.find(entry.id);
      if (it == active_.end() || it->second->deadline_generation != entry.generation) continue;
      Transfer& t = *it->second;
      Clock::time_point due =
          t.head_delivered ? t.last_activity + t.request.idle_timeout : t.head_deadline;
      if (due > now) {
        deadlines_.push({due, entry.id, entry.generation});
        continue;
      }
      std::uint64_t id = entry.id;
      char* effective = nullptr;
      curl_easy_getinfo(t.easy.get(), CURLINFO_EFFECTIVE_URL, &effective);
      std::string target =
          curl::Origin(effective != nullptr ? effective : t.request.http.url.c_str());
      std::string why =
          t.head_delivered
              ? "no data for " + std::to_string(t.request.idle_timeout.count()) + " ms"
              : "no response head within " + std::to_string(t.request.head_timeout.count()) + " ms";
      Finish(id, Error::Unavailable(target + " timed out: " + why));
    }
  }

  // Until the nearer of curl's timer and the first deadline. Rounded up: waking before either
  // is due would only spin.
  int WaitTimeoutMs() const {
    Clock::time_point now = Clock::now();
    Clock::time_point until = now + kMaxPoll;
    if (curl_timer_) until = std::min(until, *curl_timer_);
    if (!deadlines_.empty()) until = std::min(until, deadlines_.top().when);
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(until - now);
    return static_cast<int>(std::max(wait, std::chrono::milliseconds(0)).count());
  }

  static int ToCurlMask(std::uint32_t events) {
    int mask = 0;
    // A hang-up is reported as readable too, so that curl reads the end (or the error) at once.
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP)) != 0) mask |= CURL_CSELECT_IN;
    if ((events & EPOLLOUT) != 0) mask |= CURL_CSELECT_OUT;
    if ((events & EPOLLERR) != 0) mask |= CURL_CSELECT_ERR;
    return mask;
  }

  // CURLMOPT_SOCKETFUNCTION: which events curl wants on `s`. Called from inside curl (never to
  // be answered with a call back into curl). Level-triggered epoll, as curl's socket API expects.
  static int OnSocket(CURL*, curl_socket_t s, int what, void* userp, void*) {
    auto& loop = *static_cast<Loop*>(userp);
    if (what == CURL_POLL_REMOVE) {
      // May fail when curl already closed the socket (closing removes it from the set): harmless.
      epoll_ctl(loop.epoll_.get(), EPOLL_CTL_DEL, s, nullptr);
      return 0;
    }
    epoll_event ev{};
    ev.data.fd = s;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) ev.events |= EPOLLIN;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) ev.events |= EPOLLOUT;
    // No per-socket state (curl_multi_assign) is kept, so a number curl closed and reopened (a
    // redirect, a new connection) needs none fixed up: MOD if the set has it, else ADD.
    if (epoll_ctl(loop.epoll_.get(), EPOLL_CTL_MOD, s, &ev) != 0 && errno == ENOENT) {
      epoll_ctl(loop.epoll_.get(), EPOLL_CTL_ADD, s, &ev);
    }
    return 0;
  }

  // CURLMOPT_TIMERFUNCTION: when curl next needs CURL_SOCKET_TIMEOUT (-1: never; 0: at once).
  static int OnTimer(CURLM*, long timeout_ms, void* userp) {
    auto& loop = *static_cast<Loop*>(userp);
    if (timeout_ms < 0) {
      loop.curl_timer_.reset();
    } else {
      loop.curl_timer_ = Clock::now() + std::chrono::milliseconds(timeout_ms);
    }
    return 0;
  }

  static bool DeliverHead(Transfer& t) {
    curl::CompleteHead(t.easy.get(), t.exchange);
    t.head_delivered = true;
    t.last_activity = Clock::now();
    // The idle deadline may come before the head deadline it replaces.
    t.deadlines->push({t.last_activity + t.request.idle_timeout, t.id, ++t.deadline_generation});
    return CallHandler(t, [&t] { return t.handler->OnHead(t.head); });
  }

  // CURLOPT_PREREQFUNCTION: a connection is ready and the request is about to be sent. The head
  // deadline only moves later, which the deadline queue handles when the old one comes up.
  static int OnRequestSent(void* userp, char*, char*, int, int) {
    auto& t = *static_cast<Transfer*>(userp);
    t.head_deadline = Clock::now() + t.request.head_timeout;
    return CURL_PREREQFUNC_OK;
  }

  // CURLOPT_HEADERFUNCTION. Returning other than `size * count` fails the transfer.
  static size_t OnHeader(char* data, size_t size, size_t count, void* userp) {
    auto& t = *static_cast<Transfer*>(userp);
    std::size_t n = size * count;
    if (t.aborted) return 0;
    if (t.head_delivered) return n;  // trailers of a chunked body
    switch (curl::ParseHeaderLine(t.exchange, std::string_view(data, n))) {
      case curl::HeaderLine::kTooLarge:
        return 0;
      case curl::HeaderLine::kEndOfHead:
        // Delivered here rather than with the first body byte: a stream's head often comes long
        // before its first event, and the caller may want to act on the status at once.
        if (curl::IsFinalHead(t.exchange) && !DeliverHead(t)) return 0;
        return n;
      default:
        return n;
    }
  }

  // CURLOPT_WRITEFUNCTION: a piece of the decoded body of the final response.
  static size_t OnBody(char* data, size_t size, size_t count, void* userp) {
    auto& t = *static_cast<Transfer*>(userp);
    std::size_t n = size * count;
    if (t.aborted) return 0;
    if (!t.head_delivered && !DeliverHead(t)) return 0;
    if (n == 0) return 0;
    if (n > t.request.http.max_body_bytes - t.body_bytes) {
      t.exchange.body_too_large = true;
      return 0;
    }
    t.body_bytes += n;
    t.last_activity = Clock::now();
    std::string_view piece(data, n);
    return CallHandler(t, [&t, piece] { return t.handler->OnData(piece); }) ? n : 0;
  }

  const HttpClientOptions options_;
  const std::shared_ptr<Inbox> inbox_;
  CURLM* const multi_;
  const Fd epoll_;
  const Fd wake_;                                // the inbox's eventfd
  std::optional<Clock::time_point> curl_timer_;  // when curl wants CURL_SOCKET_TIMEOUT
  std::unordered_map<std::uint64_t, std::unique_ptr<Transfer>> active_;
  DeadlineQueue deadlines_;
};

CurlStreamClient::CurlStreamClient(HttpClientOptions options) : inbox_(std::make_shared<Inbox>()) {
  CURLM* multi = curl::InitCurlOnce() ? curl_multi_init() : nullptr;
  int epoll = epoll_create1(EPOLL_CLOEXEC);
  int wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake;
  if (multi == nullptr || epoll < 0 || wake < 0 ||
      epoll_ctl(epoll, EPOLL_CTL_ADD, wake, &ev) != 0) {
    // Start reports kInternal.
    if (multi != nullptr) curl_multi_cleanup(multi);
    if (epoll >= 0) close(epoll);
    if (wake >= 0) close(wake);
    return;
  }
  inbox_->wake_fd = wake;
  loop_ = std::make_unique<Loop>(std::move(options), inbox_, multi, epoll, wake);
  thread_ = std::thread([this] { loop_->Run(); });
}

CurlStreamClient::~CurlStreamClient() {
  {
    std::lock_guard lock(inbox_->mu);
    inbox_->stopping = true;
    inbox_->Wake();
  }
  if (thread_.joinable()) thread_.join();
  {
    // Cancellation callbacks may still hold the inbox; they must not write to a closed (or
    // reused) descriptor.
    std::lock_guard lock(inbox_->mu);
    inbox_->wake_fd = -1;
  }
  loop_.reset();
}

void CurlStreamClient::Start(StreamRequest request, std::shared_ptr<StreamHandler> handler,
                             std::shared_ptr<Cancellation> cancel) {
  auto t = std::make_unique<Transfer>();
  t->request = std::move(request);
  t->handler = handler;
  t->cancel = cancel;
  std::optional<Error> refused;
  std::uint64_t id = 0;
  {
    std::lock_guard lock(inbox_->mu);
    if (inbox_->stopping) {
      refused = ShuttingDown();
    } else if (inbox_->wake_fd < 0) {
      refused = Error::Internal("libcurl could not be set up");
    } else {
      id = t->id = inbox_->next_id++;
      inbox_->WakeBeforeNews();
      inbox_->started.push_back(std::move(t));
    }
  }
  // No thread will take it up: the caller's thread is the only one left to answer.
  if (refused) return CallDone(*handler, std::move(*refused));
  if (cancel != nullptr) {
    // The id, not the transfer: the callback may run after the transfer is gone.
    cancel->OnCancel([weak = std::weak_ptr<Inbox>(inbox_), id] {
      if (std::shared_ptr<Inbox> inbox = weak.lock()) inbox->Cancel(id);
    });
  }
}

}  // namespace studybot::outbound
