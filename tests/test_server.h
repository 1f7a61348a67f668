// Test harness: a real Studybot server in this process, on a loopback port picked by the kernel,
// with a throwaway SQLite data directory, plus a small blocking HTTP client for talking to it.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "app/application.h"
#include "core/config.h"
#include "core/log.h"

namespace studybot::testing {

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class TestServer {
 public:
  // `tweak` may change the config before the application is built (timeouts, limits, CORS...).
  // `before_start` may add routes.
  explicit TestServer(const std::function<void(Config&)>& tweak = {},
                      const std::function<void(app::Application&)>& before_start = {});
  ~TestServer();

  uint16_t port() const { return port_; }
  const Config& config() const { return config_; }
  app::Application& app() { return *app_; }
  // Everything logged so far (JSON lines).
  std::string LogText();
  void Stop();

 private:
  TempDir dir_;
  Config config_;
  std::unique_ptr<Logger> logger_;
  std::unique_ptr<app::Application> app_;
  uint16_t port_ = 0;
  bool stopped_ = false;
};

using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

// A blocking client connection with a receive timeout, for tests only.
class RawClient {
 public:
  explicit RawClient(uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10));

  void Send(std::string_view bytes);
  // Reads one response; nullopt when the connection was closed (or timed out) first.
  std::optional<HttpResponse> Read(bool head_request = false);
  // True when the server closed the connection (reads EOF or a reset) within the timeout.
  bool WaitClosed();
  boost::asio::ip::tcp::socket& socket() { return socket_; }

 private:
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

// A migrated SQLite database at `path`, for service-level tests (throws on failure).
std::unique_ptr<storage::Database> OpenMigratedSqlite(const std::filesystem::path& path);

// The bytes of the SQLite database file and its WAL, for "no plaintext at rest" checks.
std::string DatabaseFileBytes(const std::string& data_dir);

// One request on a fresh connection.
HttpResponse Request(uint16_t port, boost::beast::http::verb method, std::string target,
                     std::string body = {},
                     std::vector<std::pair<std::string, std::string>> headers = {});

}  // namespace studybot::testing
