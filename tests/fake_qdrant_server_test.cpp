// FakeQdrantServer speaks Qdrant's REST API: checked here with raw requests, so that a client bug
// and a fake bug cannot cancel out.
#include "fake_qdrant_server.h"

#include <cmath>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <gtest/gtest.h>

#include "outbound/http_client.h"

namespace studybot::testing {
namespace {

namespace json = boost::json;

class FakeQdrantServerTest : public ::testing::Test {
 protected:
  explicit FakeQdrantServerTest(FakeQdrantOptions o = {}) : fake_(std::move(o)), http_(Options()) {}

  static outbound::HttpClientOptions Options() {
    outbound::HttpClientOptions o;
    o.addresses.allow_private = true;
    return o;
  }

  outbound::HttpResponse Send(const std::string& method, const std::string& path,
                              const std::string& body = "", const std::string& key = "") {
    outbound::HttpRequest r;
    r.method = method;
    r.url = fake_.base_url() + path;
    if (!body.empty()) {
      r.headers.emplace_back("Content-Type", "application/json");
      r.body = body;
    }
    if (!key.empty()) r.headers.emplace_back("api-key", key);
    auto got = http_.Send(r);
    EXPECT_TRUE(got.ok());
    return got.ok() ? *got : outbound::HttpResponse{};
  }

  // The error text of a Qdrant error body, checking its shape.
  static std::string ErrorOf(const outbound::HttpResponse& r) {
    json::value v = json::parse(r.body);
    EXPECT_TRUE(v.at("time").is_number());
    return std::string(v.at("status").at("error").as_string());
  }

  json::value Result(const outbound::HttpResponse& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    json::value v = json::parse(r.body);
    EXPECT_EQ(v.at("status"), "ok");
    return v.at("result");
  }

  void MakeCollection() {
    Result(Send("PUT", "/collections/c", R"({"vectors": {"d": {"size": 2, "distance": "Cosine"}},
        "sparse_vectors": {"s": {"modifier": "idf"}}})"));
    Result(Send("PUT", "/collections/c/points?wait=true", R"({"points": [
        {"id": 1, "vector": {"d": [1, 0], "s": {"indices": [7, 8], "values": [1, 1]}},
         "payload": {"k": "a", "tags": ["x", "y"]}},
        {"id": 2, "vector": {"d": [0.6, 0.8], "s": {"indices": [7], "values": [1]}},
         "payload": {"k": "b", "tags": ["y"]}},
        {"id": "6A2F41A3-C54C-4F52-8D4E-8A7B1C1D2E3F", "vector": {"d": [0, 1]},
         "payload": {"k": "c"}}]})"));
  }

  std::vector<std::pair<std::string, double>> Points(const json::value& result) {
    std::vector<std::pair<std::string, double>> out;
    for (const json::value& p : result.at("points").as_array()) {
      out.emplace_back(p.at("id").is_string() ? std::string(p.at("id").as_string())
                                              : std::to_string(p.at("id").to_number<int64_t>()),
                       p.at("score").to_number<double>());
    }
    return out;
  }

  FakeQdrantServer fake_;
  outbound::CurlHttpClient http_;
};

TEST_F(FakeQdrantServerTest, RefusesMalformedRequestsAsQdrantDoes) {
  auto r = Send("PUT", "/collections/c", R"({"vectorz": {"size": 2, "distance": "Cosine"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(ErrorOf(r).find("unknown field `vectorz`"), std::string::npos);
  r = Send("PUT", "/collections/c", R"({"vectors": {"size": "two", "distance": "Cosine"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(ErrorOf(r).find("Format error in JSON body"), std::string::npos);
  r = Send("PUT", "/collections/c", R"({"vectors": {"size": 2, "distance": "Cos"}})");
  EXPECT_EQ(r.status, 400);
  r = Send("PUT", "/collections/c", "{not json");
  EXPECT_EQ(r.status, 400);

  r = Send("POST", "/collections/nope/points/query", R"({"query": [1, 0]})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorOf(r), "Not found: Collection `nope` doesn't exist!");

  MakeCollection();
  r = Send("PUT", "/collections/c", R"({"vectors": {"size": 2, "distance": "Cosine"}})");
  EXPECT_EQ(r.status, 409);
  r = Send("PUT", "/collections/c/points",
           R"({"points": [{"id": 5, "vector": {"d": [1, 0, 0]}}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorOf(r), "Wrong input: Vector dimension error: expected dim: 2, got 3");
  r = Send("PUT", "/collections/c/points", R"({"points": [{"id": "x", "vector": {}}]})");
  EXPECT_EQ(r.status, 400);
  r = Send("PUT", "/collections/c/points", R"({"points": [{"id": 5, "vector": {"e": [1, 0]}}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(ErrorOf(r).find("Not existing vector name"), std::string::npos);
  r = Send("POST", "/collections/c/points/query",
           R"({"query": [1, 0], "using": "d", "filter": {"must": [], "mustnt": []}})");
  EXPECT_EQ(r.status, 400);
  r = Send("POST", "/collections/c/points/query", R"({"query": [1, 0], "using": "d", "limit": 0})");
  EXPECT_EQ(r.status, 422);
  r = Send("PUT", "/collections/c/points?wait=maybe", R"({"points": []})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(fake_.PointCount("c"), 3u);  // nothing refused was stored
}

TEST_F(FakeQdrantServerTest, DenseSparseAndFusedScores) {
  MakeCollection();
  auto dense = Points(Result(Send("POST", "/collections/c/points/query",
                                  R"({"query": {"nearest": [2, 0]}, "using": "d"})")));
  ASSERT_EQ(dense.size(), 3u);
  EXPECT_EQ(dense[0].first, "1");
  EXPECT_NEAR(dense[0].second, 1.0, 1e-6);
  EXPECT_NEAR(dense[1].second, 0.6, 1e-6);
  EXPECT_EQ(dense[2].first, "6a2f41a3-c54c-4f52-8d4e-8a7b1c1d2e3f");  // written back lower-case

  // IDF over the two points with the sparse vector: index 7 in both, 8 in one.
  auto sparse = Points(Result(Send("POST", "/collections/c/points/query",
                                   R"({"query": {"indices": [7, 8], "values": [1, 1]},
                                       "using": "s"})")));
  ASSERT_EQ(sparse.size(), 2u);
  const double idf7 = std::log(1 + (2 - 2 + 0.5) / (2 + 0.5));
  const double idf8 = std::log(1 + (2 - 1 + 0.5) / (1 + 0.5));
  EXPECT_EQ(sparse[0].first, "1");
  EXPECT_NEAR(sparse[0].second, idf7 + idf8, 1e-6);
  EXPECT_NEAR(sparse[1].second, idf7, 1e-6);

  // RRF: 1 / (position + 2).
  auto fused = Points(Result(Send("POST", "/collections/c/points/query", R"({
      "prefetch": [{"query": [0, 1], "using": "d", "limit": 2},
                   {"query": {"indices": [7], "values": [1]}, "using": "s"}],
      "query": {"fusion": "rrf"}, "limit": 5})")));
  // Dense: the UUID point, then 2. Sparse: 1 and 2 tie, so 1 (the lower id) comes first.
  ASSERT_EQ(fused.size(), 3u);
  EXPECT_EQ(fused[0].first, "2");
  EXPECT_NEAR(fused[0].second, 1.0 / 3 + 1.0 / 3, 1e-6);
  EXPECT_EQ(fused[1].first, "1");
  EXPECT_NEAR(fused[1].second, 1.0 / 2, 1e-6);
  EXPECT_NEAR(fused[2].second, 1.0 / 2, 1e-6);
}

TEST_F(FakeQdrantServerTest, FiltersAndBatches) {
  MakeCollection();
  auto batch = Result(Send("POST", "/collections/c/points/query/batch", R"({"searches": [
      {"query": [1, 0], "using": "d", "filter": {"must": {"key": "tags", "match": {"value": "y"}}}},
      {"query": [1, 0], "using": "d", "filter": {"must_not": [{"key": "k", "match": {"any": ["a", "c"]}}]}},
      {"query": [1, 0], "using": "d", "filter": {"should": [{"has_id": [1]}, {"key": "k", "match": {"value": "c"}}]}},
      {"query": [1, 0], "using": "d", "with_payload": ["k"],
       "filter": {"must": [{"must": [{"key": "tags", "match": {"value": "x"}}]}]}}]})"));
  ASSERT_EQ(batch.as_array().size(), 4u);
  EXPECT_EQ(Points(batch.as_array()[0]).size(), 2u);
  ASSERT_EQ(Points(batch.as_array()[1]).size(), 1u);
  EXPECT_EQ(Points(batch.as_array()[1])[0].first, "2");
  EXPECT_EQ(Points(batch.as_array()[2]).size(), 2u);
  const json::value& only = batch.as_array()[3].at("points").as_array().at(0);
  EXPECT_EQ(only.at("payload"), json::parse(R"({"k": "a"})"));

  Result(Send("POST", "/collections/c/points/delete?wait=true",
              R"({"filter": {"must": [{"key": "k", "match": {"value": "b"}}]}})"));
  EXPECT_EQ(fake_.PointCount("c"), 2u);
  Result(Send("POST", "/collections/c/points/delete", R"({"points": [1]})"));
  EXPECT_EQ(fake_.PointCount("c"), 1u);
}

TEST_F(FakeQdrantServerTest, InjectsFaultsAfterRouting) {
  fake_.FailNext(1);
  auto r = Send("GET", "/collections/c/exists");
  EXPECT_EQ(r.status, 503);
  ErrorOf(r);
  EXPECT_EQ(Result(Send("GET", "/collections/c/exists")).at("exists"), false);
  EXPECT_EQ(Send("GET", "/no/such/route").status, 404);
  EXPECT_EQ(fake_.CountCalls("GET", "/collections/c/exists"), 2u);
}

class FakeQdrantAuthTest : public FakeQdrantServerTest {
 protected:
  FakeQdrantAuthTest() : FakeQdrantServerTest(FakeQdrantOptions{"admin-key", "read-key"}) {}
};

TEST_F(FakeQdrantAuthTest, ChecksTheApiKey) {
  EXPECT_EQ(Send("GET", "/collections/c/exists").status, 401);
  EXPECT_EQ(Send("GET", "/collections/c/exists", "", "bad").status, 401);
  EXPECT_EQ(Send("GET", "/collections/c/exists", "", "read-key").status, 200);
  EXPECT_EQ(Send("PUT", "/collections/c", R"({})", "read-key").status, 403);
  EXPECT_EQ(Send("PUT", "/collections/c", R"({})", "admin-key").status, 200);
  EXPECT_EQ(Send("GET", "/readyz").status, 200);  // probes are open
}

}  // namespace
}  // namespace studybot::testing
