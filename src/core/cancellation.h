// Cancellation: a signal shared between whoever may cancel a piece of work (the HTTP connection of
// a visitor who closed the page) and the work itself (a chat model's call, an outbound stream).
//
// Thread-safe.
#pragma once

#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace studybot {

class Cancellation {
 public:
  // Cancels: runs the registered callbacks (once each) on this thread. Idempotent.
  void Cancel() {
    std::vector<std::function<void()>> run;
    {
      std::lock_guard lock(mu_);
      if (cancelled_) return;
      cancelled_ = true;
      run.swap(callbacks_);
    }
    for (auto& f : run)
      f();
  }
  bool cancelled() const {
    std::lock_guard lock(mu_);
    return cancelled_;
  }
  // Runs `f` when Cancel is called, or at once (on this thread) if it already was. `f` must not
  // call back into this object.
  void OnCancel(std::function<void()> f) {
    {
      std::lock_guard lock(mu_);
      if (!cancelled_) {
        callbacks_.push_back(std::move(f));
        return;
      }
    }
    f();
  }

 private:
  mutable std::mutex mu_;
  bool cancelled_ = false;                        // REQUIRES: mu_ held
  std::vector<std::function<void()>> callbacks_;  // REQUIRES: mu_ held
};

}  // namespace studybot
