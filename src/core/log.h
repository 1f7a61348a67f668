// Structured logging: one JSON object per line on stdout, through spdlog with a buffered sink:
// lines collect in memory and are written every flush_interval, when the buffer fills, at once for
// warnings and errors, and on Flush()/destruction. (A per-line write, or waking a logging thread
// per line, cost a quarter of the server's throughput.)
//
// Every line has "time", "level" and "msg"; callers add fields. Request-scoped code logs through a
// RequestLog, which adds "request_id" to every line. Never pass secrets as fields: the logger does
// not know which values are secret.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include <type_traits>
#include <variant>

#include <boost/core/detail/string_view.hpp>
#include <boost/json/value.hpp>

namespace spdlog {
class logger;
}  // namespace spdlog

namespace studybot {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kOff };

// Appends `s` as a JSON string literal (quotes, escapes); invalid UTF-8 becomes U+FFFD.
void AppendJsonString(std::string& out, std::string_view s);

// Parses "trace".."off"; unknown text gives kInfo.
LogLevel ParseLogLevel(std::string_view text);

// One field of a log line: a key and a scalar or JSON value. A struct (not a pair) so that
// `{"key", value}` never reads as a JSON initializer list. Strings are borrowed: a LogField lives
// only as long as the Log call it is written in.
struct LogField {
  using Value = std::variant<std::string_view, int64_t, uint64_t, double, bool, boost::json::value>;

  template <typename T>
  LogField(std::string_view k, T&& v) : key(k), value(MakeValue(std::forward<T>(v))) {}  // NOLINT

  std::string_view key;
  Value value;

 private:
  template <typename T>
  static Value MakeValue(T&& v) {
    using D = std::decay_t<T>;
    if constexpr (std::is_same_v<D, bool>) {
      return Value(std::in_place_type<bool>, v);
    } else if constexpr (std::is_integral_v<D> && std::is_signed_v<D>) {
      return Value(std::in_place_type<int64_t>, static_cast<int64_t>(v));
    } else if constexpr (std::is_integral_v<D>) {
      return Value(std::in_place_type<uint64_t>, static_cast<uint64_t>(v));
    } else if constexpr (std::is_floating_point_v<D>) {
      return Value(std::in_place_type<double>, static_cast<double>(v));
    } else if constexpr (std::is_convertible_v<const D&, std::string_view>) {
      return Value(std::in_place_type<std::string_view>, std::string_view(v));
    } else if constexpr (std::is_same_v<D, boost::core::string_view>) {
      return Value(std::in_place_type<std::string_view>, std::string_view(v.data(), v.size()));
    } else {
      return Value(std::in_place_type<boost::json::value>, boost::json::value(std::forward<T>(v)));
    }
  }
};

using LogFields = std::initializer_list<LogField>;

class Logger {
 public:
  struct Options {
    LogLevel level = LogLevel::kInfo;
    // Where lines go: "stdout", "stderr", or a file path (tests).
    std::string sink = "stdout";
    // How often buffered lines are written out.
    std::chrono::milliseconds flush_interval{200};
  };

  explicit Logger(const Options& options);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  bool Enabled(LogLevel level) const;
  void Log(LogLevel level, std::string_view msg, LogFields fields = {},
           std::string_view request_id = {});
  // Logs a pre-built JSON object (its "time"/"level"/"msg" are added).
  void LogObject(LogLevel level, std::string_view msg, boost::json::object fields);

  void Trace(std::string_view msg, LogFields fields = {}) { Log(LogLevel::kTrace, msg, fields); }
  void Debug(std::string_view msg, LogFields fields = {}) { Log(LogLevel::kDebug, msg, fields); }
  void Info(std::string_view msg, LogFields fields = {}) { Log(LogLevel::kInfo, msg, fields); }
  void Warn(std::string_view msg, LogFields fields = {}) { Log(LogLevel::kWarn, msg, fields); }
  void Error(std::string_view msg, LogFields fields = {}) { Log(LogLevel::kError, msg, fields); }

  void SetLevel(LogLevel level);
  // Writes out everything queued so far.
  void Flush();

 private:
  std::shared_ptr<spdlog::logger> logger_;
  std::atomic<LogLevel> level_;
  // Writes the buffer out every flush_interval.
  std::mutex flusher_mu_;
  std::condition_variable flusher_cv_;
  bool stopping_ = false;  // REQUIRES: flusher_mu_ held
  std::thread flusher_;
};

// A Logger bound to one request: adds "request_id" to every line.
class RequestLog {
 public:
  RequestLog(Logger& logger, std::string_view request_id)
      : logger_(&logger), request_id_(request_id) {}

  void Info(std::string_view msg, LogFields fields = {}) const {
    logger_->Log(LogLevel::kInfo, msg, fields, request_id_);
  }
  void Warn(std::string_view msg, LogFields fields = {}) const {
    logger_->Log(LogLevel::kWarn, msg, fields, request_id_);
  }
  void Error(std::string_view msg, LogFields fields = {}) const {
    logger_->Log(LogLevel::kError, msg, fields, request_id_);
  }

 private:
  Logger* logger_;
  std::string_view request_id_;
};

}  // namespace studybot
