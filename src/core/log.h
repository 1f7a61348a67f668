// Structured logging: one JSON object per line on stdout, written by an asynchronous spdlog logger.
//
// Every line has "time", "level" and "msg"; callers add fields. Request-scoped code logs through a
// RequestLog, which adds "request_id" to every line. Never pass secrets as fields: the logger does
// not know which values are secret.
//
// Thread-safe.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <boost/json/value.hpp>

namespace spdlog {
class logger;
namespace details {
class thread_pool;
}
}  // namespace spdlog

namespace studybot {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kOff };

// Parses "trace".."off"; unknown text gives kInfo.
LogLevel ParseLogLevel(std::string_view text);

// One field of a log line. A struct (not a pair) so that `{"key", value}` never reads as a JSON
// initializer list.
struct LogField {
  template <typename T>
  LogField(std::string_view k, T&& v) : key(k), value(std::forward<T>(v)) {}  // NOLINT
  std::string_view key;
  boost::json::value value;
};
using LogFields = std::initializer_list<LogField>;

class Logger {
 public:
  struct Options {
    LogLevel level = LogLevel::kInfo;
    // Where lines go: "stdout", "stderr", or a file path (tests).
    std::string sink = "stdout";
    // Lines buffered before writers wait for the logging thread.
    std::size_t queue_size = 8192;
    // Write on a background thread (production) or in the caller (tests: Flush() is then
    // synchronous; with the background thread it only queues a flush).
    bool async = true;
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
  std::shared_ptr<spdlog::details::thread_pool> pool_;
  std::shared_ptr<spdlog::logger> logger_;
  LogLevel level_;
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
