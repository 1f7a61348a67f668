#include "test_server.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "core/ids.h"
#include "storage/migrations.h"

namespace studybot::testing {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

TempDir::TempDir() {
  path_ = std::filesystem::temp_directory_path() / ("studybot-test-" + RandomHex(8));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

TestServer::TestServer(const std::function<void(Config&)>& tweak,
                       const std::function<void(app::Application&)>& before_start) {
  auto c = LoadConfig({});
  if (!c.ok()) throw std::runtime_error(c.error().message);
  config_ = *c;
  config_.data_dir = dir_.path().string();
  config_.http.port = 0;
  config_.http.io_threads = 2;
  config_.worker_threads = 2;
  config_.database.pool_size = 4;
  config_.http.shutdown_grace = std::chrono::seconds(5);
  config_.auth.bcrypt_cost = 4;  // the real cost is measured in the benchmarks, not in every test
  if (tweak) tweak(config_);
  logger_ = std::make_unique<Logger>(Logger::Options{
      LogLevel::kInfo, (dir_.path() / "server.log").string(), std::chrono::milliseconds(200)});
  auto app = app::Application::Create(config_, *logger_);
  if (!app.ok()) throw std::runtime_error("server did not start: " + app.error().message);
  app_ = std::move(app).value();
  if (before_start) before_start(*app_);
  port_ = app_->port();
  app_->Start();
}

TestServer::~TestServer() {
  Stop();
}

void TestServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  app_->Shutdown();
  app_->Wait();
  app_.reset();
  logger_->Flush();
}

std::string TestServer::LogText() {
  logger_->Flush();
  std::ifstream in(dir_.path() / "server.log");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

RawClient::RawClient(uint16_t port, std::chrono::milliseconds timeout) : socket_(ioc_) {
  socket_.connect({asio::ip::make_address("127.0.0.1"), port});
  timeval tv{};
  tv.tv_sec = static_cast<long>(timeout.count() / 1000);
  tv.tv_usec = static_cast<long>((timeout.count() % 1000) * 1000);
  setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

void RawClient::Send(std::string_view bytes) {
  boost::system::error_code ec;
  asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ec);
}

std::optional<HttpResponse> RawClient::Read(bool head_request) {
  HttpResponse res;
  boost::system::error_code ec;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  parser.skip(head_request);
  bhttp::read(socket_, buffer_, parser, ec);
  if (ec) return std::nullopt;
  return parser.release();
}

bool RawClient::WaitClosed() {
  char buf[4096];
  for (;;) {
    boost::system::error_code ec;
    socket_.read_some(asio::buffer(buf), ec);
    if (ec == asio::error::eof || ec == asio::error::connection_reset) return true;
    if (ec) return false;  // timed out: still open
  }
}

std::unique_ptr<storage::Database> OpenMigratedSqlite(const std::filesystem::path& path) {
  storage::DatabaseOptions options;
  options.url = "sqlite:" + path.string();
  auto db = storage::Database::Open(options);
  if (!db.ok()) throw std::runtime_error(db.error().message);
  auto migrated = storage::Migrator(**db).Migrate();
  if (!migrated.ok()) throw std::runtime_error(migrated.error().message);
  return std::move(db).value();
}

std::string DatabaseFileBytes(const std::string& data_dir) {
  std::string all;
  for (const char* suffix : {"", "-wal"}) {
    std::ifstream in(data_dir + "/studybot.db" + suffix, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    all += ss.str();
  }
  return all;
}

HttpResponse Request(uint16_t port, bhttp::verb method, std::string target, std::string body,
                     std::vector<std::pair<std::string, std::string>> headers) {
  RawClient c(port);
  bhttp::request<bhttp::string_body> req{method, target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  bool has_ct = false;
  for (auto& [k, v] : headers) {
    req.set(k, v);
    if (k == "Content-Type") has_ct = true;
  }
  if (!body.empty() && !has_ct) req.set(bhttp::field::content_type, "application/json");
  req.body() = std::move(body);
  req.prepare_payload();
  std::ostringstream os;
  os << req;
  c.Send(os.str());
  auto res = c.Read(method == bhttp::verb::head);
  if (!res) throw std::runtime_error("no response for " + target);
  return *res;
}

}  // namespace studybot::testing
