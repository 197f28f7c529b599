// The consumption suite (issue 6), against the real zx-consumption and
// zx-monitoring binaries, each its own process on loopback, sharing the
// bench's PostgreSQL and one Redis namespace (the events flow between them):
//   consumption.submit_order.qps_c64      SubmitOrder at 64 in flight,
//                                         >= 0.3 x raw gRPC echo QPS
//   consumption.import.rows_per_s         1,000,000 x scale 832-platform rows (RECEIVED)
//                                         through ImportPlatformOrders, 5,000 a message,
//                                         >= 0.3 x raw COPY rows/s
//   consumption.settle_to_income.p99_ms   AdvanceOrder(SETTLED) at 500 orders/s (open
//                                         loop) until monitoring has booked every
//                                         attribution of the order, <= 200 ms
// Seeding (households through monitoring's CreateHousehold, suppliers,
// bindings, certified products, buyers through the consumption API) is
// set-up, not a figure. See bench/README.md.
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/bench.h"
#include "bench/service_process.h"
#include "common/events/events.h"
#include "common/events/redis.h"
#include "common/personal_data/personal_data.h"
#include "zx/consumption/v1/consumption.grpc.pb.h"
#include "zx/monitoring/v1/monitoring.grpc.pb.h"

namespace zx::bench {
namespace {

namespace cv1 = zx::consumption::v1;
namespace mv1 = zx::monitoring::v1;

// Both instances keep the prefecture; the suppliers, products, buyers and
// households are in one county, whose official does the county's work
// (permission table: consumption rows and CreateHousehold).
constexpr char kPrefecture[] = "653100000000";
constexpr char kCounty[] = "653121000000";
constexpr char kToken[] = "dev.653121000000.county_official.bench";
// The monitoring line is the prefecture's policy.
constexpr char kPrefectureToken[] = "dev.653100000000.prefecture_official.bench";
constexpr char kNamespace[] = "zx:bench-consumption";
constexpr int kSuppliers = 10;
constexpr int kBindingsPerSupplier = 20;  // 250 bp each: half the revenue shared out
constexpr int kShareBp = 250;
constexpr int kBuyers = 64;
constexpr int64_t kPriceFen = 5'000;
constexpr int kImportRowsPerMessage = 5'000;
constexpr int kImportStreams = 2;
constexpr double kSettleRate = 500;  // orders per second, open loop
// How long after the last settle call the reader waits for bookings; what is
// still unbooked then counts from this bound (a lower bound of its latency).
constexpr double kDrainSeconds = 180;

absl::CivilDay Today() { return absl::ToCivilDay(absl::Now(), absl::LocalTimeZone()); }
std::string Day(absl::CivilDay d) { return absl::FormatCivilTime(d); }

void Prepare(grpc::ClientContext& ctx, int seconds = 30, const char* token = kToken) {
  ctx.AddMetadata("authorization", std::string("Bearer ") + token);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

template <typename Call>
void Must(const char* what, Call call) {
  grpc::ClientContext c;
  Prepare(c);
  const grpc::Status s = call(c);
  Check(s.ok(), absl::StrCat(what, ": ", s.error_message()));
}

std::vector<std::shared_ptr<grpc::Channel>> Channels(const std::string& address, int n) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int c = 0; c < n; ++c) {
    grpc::ChannelArguments args;
    args.SetInt("zx.bench.channel", c);  // distinct arguments: distinct connections
    channels.push_back(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  }
  return channels;
}

struct Seeded {
  std::vector<std::string> products;  // one per supplier
  std::vector<std::string> buyers;
};

// Households through monitoring's API; suppliers, bindings, certified
// products and buyers through consumption's.
Seeded Seed(mv1::MonitoringService::Stub& monitoring, cv1::ConsumptionService::Stub& consumption) {
  const absl::CivilDay today = Today();
  {
    mv1::PublishPolicyRequest req;
    req.set_request_id("bench-policy");
    auto* p = req.mutable_policy();
    p->set_version("bench-1");
    p->set_owner_division_code(kPrefecture);
    p->set_year(static_cast<int>(absl::CivilYear(today).year()));
    p->set_effective_from(absl::StrCat(p->year(), "-01-01"));
    p->set_monitoring_line_fen(800'000);
    mv1::MonitoringPolicy out;
    grpc::ClientContext c;
    Prepare(c, 30, kPrefectureToken);
    const grpc::Status s = monitoring.PublishPolicy(&c, req, &out);
    Check(s.ok(), "monitoring PublishPolicy: " + s.error_message());
  }
  Seeded seeded;
  for (int s = 0; s < kSuppliers; ++s) {
    cv1::UpsertSupplierRequest sreq;
    sreq.set_request_id(absl::StrCat("bench-supplier-", s));
    sreq.mutable_supplier()->set_name(absl::StrCat("疏附县帮扶合作社", s));
    sreq.mutable_supplier()->set_kind(cv1::SUPPLIER_KIND_COOPERATIVE);
    sreq.mutable_supplier()->set_division_code(kCounty);
    cv1::Supplier supplier;
    Must("UpsertSupplier",
         [&](grpc::ClientContext& c) { return consumption.UpsertSupplier(&c, sreq, &supplier); });
    for (int b = 0; b < kBindingsPerSupplier; ++b) {
      const int h = s * kBindingsPerSupplier + b;
      mv1::CreateHouseholdRequest hreq;
      hreq.set_request_id(absl::StrCat("bench-household-", h));
      auto* hh = hreq.mutable_household();
      hh->set_village_code(absl::StrFormat("653121%03d%03d", 100 + h % 10, 200 + h / 10 % 20));
      hh->set_category(mv1::HOUSEHOLD_CATEGORY_LIFTED);
      hh->set_member_count(4);
      hh->set_synthetic(true);
      mv1::Household household;
      Must("CreateHousehold", [&](grpc::ClientContext& c) {
        return monitoring.CreateHousehold(&c, hreq, &household);
      });
      cv1::UpsertBindingRequest breq;
      breq.set_request_id(absl::StrCat("bench-binding-", h));
      auto* bd = breq.mutable_binding();
      bd->set_supplier_id(supplier.supplier_id());
      bd->set_household_id(household.household_id());
      bd->set_village_code(household.village_code());
      bd->set_rule(cv1::BINDING_RULE_REVENUE_SHARE);
      bd->set_share_bp(kShareBp);
      bd->set_valid_from(Day(today - 60));
      cv1::Binding binding;
      Must("UpsertBinding",
           [&](grpc::ClientContext& c) { return consumption.UpsertBinding(&c, breq, &binding); });
    }
    cv1::UpsertProductRequest preq;
    preq.set_request_id(absl::StrCat("bench-product-", s));
    auto* p = preq.mutable_product();
    p->set_supplier_id(supplier.supplier_id());
    p->set_name(absl::StrCat("和田薄皮核桃 ", s));
    p->set_category("核桃");
    p->set_origin_county_code(kCounty);
    p->set_unit("kg");
    p->set_price_fen(kPriceFen);
    p->set_stock(1'000'000'000);
    p->set_traceability_ref(absl::StrCat("TR-653121-", s));
    p->set_annual_sales_fen(60'000'000);
    cv1::Product product;
    Must("UpsertProduct",
         [&](grpc::ClientContext& c) { return consumption.UpsertProduct(&c, preq, &product); });
    // County review, five days' publicity (the default policy), announcement.
    const std::pair<cv1::CertificationStep, absl::CivilDay> steps[] = {
        {cv1::CERTIFICATION_STEP_REVIEW, today - 40},
        {cv1::CERTIFICATION_STEP_PUBLICISE, today - 39},
        {cv1::CERTIFICATION_STEP_ANNOUNCE, today - 30}};
    for (const auto& [step, day] : steps) {
      cv1::AdvanceCertificationRequest creq;
      creq.set_request_id(absl::StrCat("bench-certify-", s, "-", static_cast<int>(step)));
      creq.set_product_id(product.product_id());
      creq.set_step(step);
      creq.set_date(Day(day));
      Must("AdvanceCertification", [&](grpc::ClientContext& c) {
        return consumption.AdvanceCertification(&c, creq, &product);
      });
    }
    Check(product.certification().status() == cv1::CERTIFICATION_STATUS_ANNOUNCED,
          "product not certified");
    seeded.products.push_back(product.product_id());
  }
  for (int b = 0; b < kBuyers; ++b) {
    cv1::UpsertBuyerRequest req;
    req.set_request_id(absl::StrCat("bench-buyer-", b));
    auto* by = req.mutable_buyer();
    by->set_name(absl::StrCat("帮扶单位", b));
    by->set_kind(cv1::BUYER_KIND_ASSISTING_UNIT);
    by->set_division_code(kCounty);
    by->set_staff_count(100);
    cv1::Buyer buyer;
    Must("UpsertBuyer",
         [&](grpc::ClientContext& c) { return consumption.UpsertBuyer(&c, req, &buyer); });
    seeded.buyers.push_back(buyer.buyer_id());
  }
  return seeded;
}

// Waits (at most 120 s) until both services have published their outboxes
// and monitoring has no income event of consumption's left to book, so each
// figure measures its own work.
void WaitQuiet(const std::string& conninfo) {
  pqxx::connection conn(conninfo);
  pqxx::nontransaction tx(conn);
  const double give_up = NowSeconds() + 120;
  int64_t backlog = 0;
  do {
    backlog = tx.exec1(
                    "SELECT (SELECT count(*) FROM consumption.outbox WHERE published_at IS NULL) "
                    "+ (SELECT count(*) FROM monitoring.outbox WHERE published_at IS NULL) "
                    "+ (SELECT count(*) FROM consumption.attributions a WHERE NOT EXISTS "
                    "   (SELECT 1 FROM consumption.attribution_bookings b "
                    "    WHERE b.event_id = a.event_id))")[0]
                  .as<int64_t>();
    if (backlog > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  } while (backlog > 0 && NowSeconds() < give_up);
  spdlog::info("consumption: backlog {} after waiting", backlog);
}

void SubmitOrders(BenchContext& ctx, const std::string& address, const Seeded& seeded) {
  const auto channels = Channels(address, 4);
  std::atomic<uint64_t> errors{0};
  std::string first_error;
  std::mutex error_mu;
  const LoopResult r = RunClosedLoop(ctx, 64, UINT64_MAX, [&](int worker) {
    auto stub = std::shared_ptr<cv1::ConsumptionService::Stub>(
        cv1::ConsumptionService::NewStub(channels[worker % channels.size()]));
    auto n = std::make_shared<uint64_t>(0);
    return [stub, n, worker, &seeded, &errors, &first_error, &error_mu]() -> uint64_t {
      const uint64_t i = (*n)++;
      cv1::SubmitOrderRequest req;
      req.set_request_id(absl::StrCat("bench-order-", worker, "-", i));
      req.set_buyer_id(seeded.buyers[worker % seeded.buyers.size()]);
      req.set_channel(cv1::CHANNEL_COUNTER);
      auto* line = req.add_lines();
      line->set_product_id(seeded.products[(worker + i) % seeded.products.size()]);
      line->set_quantity(static_cast<int64_t>(1 + i % 5));
      cv1::Order out;
      grpc::ClientContext c;
      Prepare(c, 10);
      const grpc::Status s = stub->SubmitOrder(&c, req, &out);
      if (!s.ok()) {
        if (errors++ == 0) {
          std::lock_guard<std::mutex> lock(error_mu);
          first_error = s.error_message();
        }
        return 0;
      }
      return 1;
    };
  });
  Check(errors == 0, absl::StrCat("SubmitOrder: ", errors.load(), " errors, first: ", first_error));
  ctx.Add({.id = "consumption.submit_order.qps_c64",
           .value = r.PerSecond(),
           .unit = "req/s",
           .baseline_id = "raw.grpc_echo.qps_c64",
           .target = 0.3});
}

// 832-platform rows (RECEIVED) over kImportStreams concurrent streams of
// 5,000-row messages; timed from opening the streams to their end. Returns
// the imported orders' ids (the settlement figure settles some of them).
std::vector<std::string> Import(BenchContext& ctx, cv1::ConsumptionService::Stub& stub,
                                const Seeded& seeded, int64_t rows, size_t keep) {
  const std::string today = Day(Today());
  int64_t accepted = 0;  // guarded by StreamRows' lock, like `kept`
  std::vector<std::string> kept;
  const double seconds =
      StreamRows<cv1::ImportPlatformOrdersRequest, cv1::ImportPlatformOrdersResponse>(
          "ImportPlatformOrders", rows, kImportStreams, kImportRowsPerMessage,
          [&](grpc::ClientContext& cctx) {
            Prepare(cctx, 3600);
            return stub.ImportPlatformOrders(&cctx);
          },
          [&](int s, int64_t first, int64_t end, cv1::ImportPlatformOrdersRequest& req) {
            req.set_batch_id(absl::StrCat("bench-import-", s));
            for (int64_t i = first; i < end; ++i) {
              cv1::PlatformOrderRow* row = req.add_rows();
              row->set_row_number(i + 1);
              row->set_platform_order_no(absl::StrFormat("832-BENCH-%010d", i));
              row->set_buyer_id(seeded.buyers[i % seeded.buyers.size()]);
              row->set_product_id(seeded.products[i / 7 % seeded.products.size()]);
              row->set_quantity(1 + i % 5);
              row->set_unit_price_fen(kPriceFen);
              row->set_order_date(today);
              row->set_status(cv1::ORDER_STATUS_RECEIVED);
            }
          },
          [&](const cv1::ImportPlatformOrdersResponse& resp) {
            std::string error;
            for (const auto& r : resp.results()) {
              if (r.outcome() != cv1::ROW_OUTCOME_ACCEPTED) {
                if (error.empty()) error = absl::StrCat("row ", r.row_number(), ": ", r.reason());
                continue;
              }
              ++accepted;
              if (kept.size() < keep) kept.push_back(r.order_id());
            }
            return error;
          });
  Check(accepted == rows,
        absl::StrCat("ImportPlatformOrders accepted ", accepted, " of ", rows, " rows"));
  spdlog::info("consumption: imported {} rows in {:.1f} s", rows, seconds);
  ctx.Add({.id = "consumption.import.rows_per_s",
           .value = static_cast<double>(rows) / seconds,
           .unit = "rows/s",
           .baseline_id = "raw.pg_copy.rows_per_s",
           .target = 0.3});
  return kept;
}

// Settles RECEIVED orders at 500/s, open loop (each AdvanceOrder issued at
// its time through the callback API, whatever the earlier ones are doing).
// A reader blocked on monitoring's own stream (XREAD BLOCK) timestamps every
// monitoring.income_booked event: it is appended in the transaction that
// inserts the income record, so when it is on the stream the record exists
// (committed, and relayed: visible to every other service). An order's
// latency runs from its settle call's start to the last of its attributions
// booked; the orders of the first --warmup seconds are not measured.
void SettleToIncome(BenchContext& ctx, const std::string& address,
                    const std::vector<std::string>& orders) {
  const int n = static_cast<int>(orders.size());
  const int warm = static_cast<int>(std::min<double>(n, kSettleRate * ctx.warmup.count()));
  const auto channels = Channels(address, 4);
  std::vector<std::unique_ptr<cv1::ConsumptionService::Stub>> stubs;
  for (const auto& c : channels) stubs.push_back(cv1::ConsumptionService::NewStub(c));

  events::RedisClient redis(ctx.redis_host, ctx.redis_port);
  const std::string stream = events::StreamKey(kNamespace, "monitoring");
  std::string last_id;
  {
    auto tip = redis.Command({"XREVRANGE", stream, "+", "-", "COUNT", "1"});
    Check(tip.ok(), "XREVRANGE: " + tip.status().ToString());
    last_id = (*tip)->elements > 0 ? std::string((*tip)->element[0]->element[0]->str) : "0-0";
  }
  const int64_t expected = static_cast<int64_t>(n) * kBindingsPerSupplier;
  std::unordered_map<std::string, double> booked_at;  // consumption event id -> seen
  // Sending, then at most kDrainSeconds for the last bookings.
  const double give_up = NowSeconds() + n / kSettleRate + kDrainSeconds;
  std::thread reader([&] {
    events::RedisClient r(ctx.redis_host, ctx.redis_port);
    while (static_cast<int64_t>(booked_at.size()) < expected && NowSeconds() < give_up) {
      auto reply =
          r.Command({"XREAD", "COUNT", "1000", "BLOCK", "100", "STREAMS", stream, last_id});
      if (!reply.ok() || (*reply)->type != REDIS_REPLY_ARRAY) continue;
      const double now = NowSeconds();
      const redisReply* entries = (*reply)->element[0]->element[1];
      for (size_t e = 0; e < entries->elements; ++e) {
        const redisReply* entry = entries->element[e];
        last_id = entry->element[0]->str;
        const redisReply* fields = entry->element[1];
        for (size_t f = 0; f + 1 < fields->elements; f += 2) {
          if (std::string_view(fields->element[f]->str) != "event") continue;
          zx::common::v1::Event event;
          mv1::IncomeBooked booked;
          if (!event.ParseFromArray(fields->element[f + 1]->str,
                                    static_cast<int>(fields->element[f + 1]->len)) ||
              event.type() != "monitoring.income_booked" || !event.payload().UnpackTo(&booked) ||
              booked.source_event_type() != "consumption.income_attributed") {
            continue;
          }
          booked_at.emplace(booked.source_event_id(), now);
        }
      }
    }
  });

  struct Call {
    grpc::ClientContext context;
    cv1::AdvanceOrderRequest request;
    cv1::Order response;
    double started = 0;
    double finished = 0;
    grpc::Status status;
  };
  std::vector<std::unique_ptr<Call>> calls(n);
  std::mutex mu;
  std::condition_variable done_cv;
  int done = 0;
  const double start = NowSeconds();
  for (int k = 0; k < n; ++k) {
    const double due = start + k / kSettleRate;
    while (NowSeconds() < due) std::this_thread::sleep_for(std::chrono::microseconds(100));
    auto& call = calls[k];
    call = std::make_unique<Call>();
    Prepare(call->context, 30);
    call->request.set_request_id(absl::StrCat("bench-settle-", k));
    call->request.set_order_id(orders[k]);
    call->request.set_to(cv1::ORDER_STATUS_SETTLED);
    Call* raw = call.get();
    raw->started = NowSeconds();
    stubs[k % stubs.size()]->async()->AdvanceOrder(&raw->context, &raw->request, &raw->response,
                                                   [raw, &mu, &done, &done_cv](grpc::Status s) {
                                                     raw->finished = NowSeconds();
                                                     std::lock_guard lock(mu);
                                                     raw->status = std::move(s);
                                                     ++done;
                                                     done_cv.notify_all();
                                                   });
  }
  const double sent = NowSeconds() - start;
  {
    std::unique_lock lock(mu);
    done_cv.wait(lock, [&] { return done == n; });  // every call has a 30 s deadline
  }
  reader.join();
  std::vector<double> call_ms;
  for (const auto& c : calls) {
    Check(c->status.ok(), "AdvanceOrder(SETTLED): " + c->status.error_message());
    call_ms.push_back((c->finished - c->started) * 1000);
  }

  // Which attribution events each order emitted (read after the run).
  std::unordered_map<std::string, int> index;
  for (int k = 0; k < n; ++k) index[orders[k]] = k;
  std::vector<double> last_booked(n, 0);
  std::vector<int> events_of(n, 0), missing_of(n, 0);
  {
    pqxx::connection conn(ctx.pg_conninfo);
    pqxx::nontransaction tx(conn);
    for (const auto& row :
         tx.exec("SELECT l.order_id, a.event_id FROM consumption.attributions a "
                 "JOIN consumption.order_lines l USING (line_id) WHERE a.refund_id IS NULL")) {
      auto it = index.find(row[0].as<std::string>());
      if (it == index.end()) continue;
      const int k = it->second;
      ++events_of[k];
      auto seen = booked_at.find(row[1].as<std::string>());
      if (seen == booked_at.end()) {
        ++missing_of[k];
      } else {
        last_booked[k] = std::max(last_booked[k], seen->second);
      }
    }
  }
  std::vector<double> latencies;
  int64_t events = 0, missing = 0;
  int unbooked_orders = 0;
  for (int k = warm; k < n; ++k) {
    Check(events_of[k] == kBindingsPerSupplier,
          absl::StrCat("order ", orders[k], " has ", events_of[k], " attributions, expected ",
                       kBindingsPerSupplier));
    events += events_of[k];
    missing += missing_of[k];
    // An attribution never seen booked counts from the give-up time: a
    // lower bound of its real latency.
    const double end = missing_of[k] > 0 ? std::max(give_up, last_booked[k]) : last_booked[k];
    if (missing_of[k] > 0) ++unbooked_orders;
    latencies.push_back((end - calls[k]->started) * 1000);
  }
  Check(!latencies.empty(), "no order measured (--warmup too long for the orders imported?)");
  std::vector<double> sorted = latencies;
  spdlog::info(
      "consumption: settled {} orders in {:.2f} s ({:.0f}/s offered, {} measured); "
      "AdvanceOrder p50 {:.1f} ms p99 {:.1f} ms; {} attribution events, {} never seen booked "
      "({} orders); settle -> booked p50 {:.1f} ms p99 {:.1f} ms max {:.1f} ms",
      n, sent, n / std::max(sent, 1e-9), latencies.size(), Percentile(call_ms, 0.5),
      Percentile(call_ms, 0.99), events, missing, unbooked_orders, Percentile(sorted, 0.5),
      Percentile(sorted, 0.99), *std::max_element(latencies.begin(), latencies.end()));
  ctx.Add({.id = "consumption.settle_to_income.p99_ms",
           .value = Percentile(latencies, 0.99),
           .unit = "ms",
           .target = 200,
           .better = Figure::Better::kLower});
}

// Deletes the namespace's keys left by an earlier run (streams, relay
// markers, dead letters), so the consumers start from empty streams.
void ClearRedis(const BenchContext& ctx) {
  events::RedisClient redis(ctx.redis_host, ctx.redis_port);
  std::string cursor = "0";
  for (int round = 0; round < 10'000; ++round) {
    auto reply =
        redis.Command({"SCAN", cursor, "MATCH", absl::StrCat(kNamespace, ":*"), "COUNT", "1000"});
    Check(reply.ok() && (*reply)->type == REDIS_REPLY_ARRAY, "redis SCAN");
    cursor = (*reply)->element[0]->str;
    const redisReply* keys = (*reply)->element[1];
    for (size_t i = 0; i < keys->elements; ++i) {
      Check(redis.Command({"DEL", keys->element[i]->str}).ok(), "redis DEL");
    }
    if (cursor == "0") break;
  }
}

}  // namespace

void ConsumptionSuite(BenchContext& ctx) {
  const int64_t rows = std::max<int64_t>(1'000, static_cast<int64_t>(1'000'000 * ctx.scale));
  const size_t settle = static_cast<size_t>(
      std::min<double>(rows, kSettleRate * (ctx.warmup.count() + ctx.duration.count())));
  {
    pqxx::connection conn(ctx.pg_conninfo);
    pqxx::nontransaction tx(conn);
    tx.exec("DROP SCHEMA IF EXISTS consumption CASCADE");
    tx.exec("DROP SCHEMA IF EXISTS monitoring CASCADE");
  }
  ClearRedis(ctx);
  const std::string keys =
      (std::filesystem::temp_directory_path() / "zx-bench-consumption-monitoring.keys").string();
  std::filesystem::remove(keys);
  Check(personal_data::Vault::WriteNewKeyFile(keys, "bench-1").ok(), "personal-data key file");

  ServiceProcess monitoring_process(ctx, "monitoring", kPrefecture, {"--personal-data-keys", keys},
                                    kNamespace);
  ServiceProcess consumption_process(ctx, "consumption", kPrefecture, {}, kNamespace);
  auto monitoring = mv1::MonitoringService::NewStub(
      grpc::CreateChannel(monitoring_process.address(), grpc::InsecureChannelCredentials()));
  auto consumption = cv1::ConsumptionService::NewStub(
      grpc::CreateChannel(consumption_process.address(), grpc::InsecureChannelCredentials()));
  monitoring_process.WaitServing([&] {
    grpc::ClientContext c;
    Prepare(c, 1, kPrefectureToken);
    mv1::GetRollupRequest req;
    req.set_division_code(kPrefecture);
    mv1::Rollup out;
    return monitoring->GetRollup(&c, req, &out).ok();
  });
  consumption_process.WaitServing([&] {
    grpc::ClientContext c;
    Prepare(c, 1);
    cv1::GetEffectivePolicyRequest req;
    req.set_division_code(kCounty);
    cv1::ConsumptionPolicy out;
    return consumption->GetEffectivePolicy(&c, req, &out).ok();
  });

  const double t0 = NowSeconds();
  const Seeded seeded = Seed(*monitoring, *consumption);
  spdlog::info(
      "consumption: seeded {} households, {} suppliers, {} products, {} buyers in {:.1f} s",
      kSuppliers * kBindingsPerSupplier, kSuppliers, seeded.products.size(), seeded.buyers.size(),
      NowSeconds() - t0);
  WaitQuiet(ctx.pg_conninfo);

  SubmitOrders(ctx, consumption_process.address(), seeded);
  WaitQuiet(ctx.pg_conninfo);
  const std::vector<std::string> received = Import(ctx, *consumption, seeded, rows, settle);
  WaitQuiet(ctx.pg_conninfo);
  {
    pqxx::connection conn(ctx.pg_conninfo);
    pqxx::nontransaction(conn).exec("VACUUM ANALYZE consumption.orders, consumption.order_lines");
  }
  SettleToIncome(ctx, consumption_process.address(), received);
  spdlog::info("consumption: peak RSS zx-consumption {:.0f} MiB, zx-monitoring {:.0f} MiB",
               consumption_process.max_rss_mib(), monitoring_process.max_rss_mib());
}

}  // namespace zx::bench
