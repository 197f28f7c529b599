// Issue 6, the consumption service in-process over real gRPC, with the
// monitoring service beside it, on a real PostgreSQL and Redis:
//  1. a Shandong partner company orders walnuts from a Shufu (Kashgar)
//     cooperative bound to 20 households by revenue share; settlement
//     produces 20 attribution events summing exactly to the bound share, the
//     monitoring service books each once (and reports back, closing the
//     trail), a partial refund reverses the right amounts;
//  2. uncertified and expired products, a partner outside its partnership,
//     illegal transitions, negative and overflowing amounts are refused
//     with the right code and write nothing;
//  3. the target report lists a budget unit at 9% canteen share and a union
//     with one purchase as below target, and a unit without a canteen as exempt.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/server/server.h"
#include "common/testing/lockstep_stream.h"
#include "common/testing/stack.h"
#include "common/time/time.h"
#include "services/consumption/api/consumption_service.h"
#include "services/consumption/domain/consumption.h"
#include "services/monitoring/api/monitoring_service.h"
#include "zx/consumption/v1/consumption.grpc.pb.h"
#include "zx/monitoring/v1/monitoring.grpc.pb.h"

namespace zx::consumption {
namespace {

namespace mv1 = zx::monitoring::v1;
using S = v1::ConsumptionService::Stub;

constexpr char kCountyCode[] = "653121000000";  // 疏附县, Kashgar prefecture
constexpr char kTownship[] = "653121101000";
constexpr char kVillage[] = "653121101201";
constexpr char kCounty[] = "dev.653121000000.county_official.co1";
constexpr char kPrefecture[] = "dev.653100000000.prefecture_official.pf1";
constexpr char kShandong[] = "dev.370000000000.partner.sd1";
constexpr char kGuangdong[] = "dev.440000000000.partner.gd1";

class ConsumptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& stack = zx::testing::Stack::Get();
    db_ = stack.FreshDatabase("consumption_it");
    const std::string ns = absl::StrCat(
        "zx:it-consumption:", ::testing::UnitTest::GetInstance()->current_test_info()->name());
    auto config = stack.ServiceConfig("consumption", db_);
    config.redis_namespace = ns;
    config.division_code = instance_;
    auto server = server::Server::Start(ConsumptionSpec(), config);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    stub_ = v1::ConsumptionService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->grpc_port()), grpc::InsecureChannelCredentials()));
    auto mconfig = stack.ServiceConfig("monitoring", db_);
    mconfig.redis_namespace = ns;
    mconfig.division_code = instance_;
    auto monitoring = server::Server::Start(zx::monitoring::MonitoringSpec(), mconfig);
    ASSERT_TRUE(monitoring.ok()) << monitoring.status();
    monitoring_ = std::move(*monitoring);
    households_ = mv1::MonitoringService::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(monitoring_->grpc_port()),
                            grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (monitoring_) monitoring_->Shutdown(absl::Seconds(1));
    if (server_) server_->Shutdown(absl::Seconds(1));
  }

  template <typename Stub, typename Method, typename Request, typename Response>
  grpc::Status Call(Stub* stub, Method method, const Request& req, Response* resp,
                    const std::string& token) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return (stub->*method)(&ctx, req, resp);
  }
  template <typename Method, typename Request, typename Response>
  grpc::Status C(Method method, const Request& req, Response* resp,
                 const std::string& token = kCounty) {
    return Call(stub_.get(), method, req, resp, token);
  }
  // The call must succeed; returns the response.
  template <typename Response, typename Method, typename Request>
  Response Ok(Method method, const Request& req, const std::string& token = kCounty) {
    Response out;
    const auto s = C(method, req, &out, token);
    EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
    return out;
  }

  // Request ids are printable ASCII: one per call made here.
  std::string Rid(const char* what) { return absl::StrCat(what, "-", ++requests_); }

  int64_t Query(const std::string& sql) { return zx::testing::QueryInt(db_, sql); }
  int64_t WaitFor(const std::string& sql, int64_t want) {
    return zx::testing::WaitForInt(db_, sql, want);
  }

  // Every table's row count, the stock and the order states: a refused
  // request must leave it unchanged.
  std::string Census() {
    std::string out;
    for (const char* t : {"suppliers", "bindings", "products", "buyers", "partnerships", "orders",
                          "order_lines", "line_shares", "attributions", "idempotency", "outbox"}) {
      absl::StrAppend(&out, t, "=", Query(absl::StrCat("SELECT count(*) FROM consumption.", t)),
                      " ");
    }
    absl::StrAppend(
        &out, "stock=", Query("SELECT coalesce(sum(stock), 0) FROM consumption.products"),
        " status=", Query("SELECT coalesce(sum(status), 0) FROM consumption.orders"),
        " refunded=", Query("SELECT coalesce(sum(refunded_fen), 0) FROM consumption.orders"));
    return out;
  }

  std::string CreateHousehold(int n) {
    mv1::CreateHouseholdRequest req;
    req.set_request_id(absl::StrCat("hh-create-", n));
    req.mutable_household()->set_village_code(kVillage);
    req.mutable_household()->set_category(mv1::HOUSEHOLD_CATEGORY_LIFTED);
    req.mutable_household()->set_member_count(4);
    mv1::Household out;
    const auto s =
        Call(households_.get(), &mv1::MonitoringService::Stub::CreateHousehold, req, &out, kCounty);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.household_id();
  }

  v1::Supplier Supplier(const std::string& name) {
    v1::UpsertSupplierRequest req;
    req.set_request_id(Rid("sup"));
    req.mutable_supplier()->set_name(name);
    req.mutable_supplier()->set_kind(v1::SUPPLIER_KIND_COOPERATIVE);
    req.mutable_supplier()->set_division_code(kTownship);
    return Ok<v1::Supplier>(&S::UpsertSupplier, req);
  }

  v1::Binding Bind(const v1::Supplier& supplier, const std::string& household, int32_t bp) {
    v1::UpsertBindingRequest req;
    req.set_request_id("bind-" + household);
    auto* b = req.mutable_binding();
    b->set_supplier_id(supplier.supplier_id());
    b->set_household_id(household);
    b->set_village_code(kVillage);
    b->set_rule(v1::BINDING_RULE_REVENUE_SHARE);
    b->set_share_bp(bp);
    b->set_valid_from("2026-01-01");
    return Ok<v1::Binding>(&S::UpsertBinding, req);
  }

  // A product through the whole certification, announced on `announce`
  // (valid three years from then); `certify` false leaves it applied.
  v1::Product Product(const v1::Supplier& supplier, const std::string& name, int64_t price_fen,
                      int64_t stock, bool certify = true, int year = 2026) {
    v1::UpsertProductRequest req;
    req.set_request_id(Rid("prod"));
    auto* p = req.mutable_product();
    p->set_supplier_id(supplier.supplier_id());
    p->set_name(name);
    p->set_category("干果");
    p->set_origin_county_code(kCountyCode);
    p->set_unit("kg");
    p->set_price_fen(price_fen);
    p->set_stock(stock);
    p->set_traceability_ref("溯源码 " + name);
    p->set_annual_sales_fen(80'000'000);
    auto out = Ok<v1::Product>(&S::UpsertProduct, req);
    if (!certify) return out;
    const std::vector<std::pair<v1::CertificationStep, std::string>> steps{
        {v1::CERTIFICATION_STEP_REVIEW, absl::StrCat(year, "-01-05")},
        {v1::CERTIFICATION_STEP_PUBLICISE, absl::StrCat(year, "-01-06")},
        {v1::CERTIFICATION_STEP_ANNOUNCE, absl::StrCat(year, "-01-12")}};
    for (const auto& [step, date] : steps) {
      v1::AdvanceCertificationRequest a;
      a.set_request_id(Rid("cert"));
      a.set_product_id(out.product_id());
      a.set_step(step);
      a.set_date(date);
      out = Ok<v1::Product>(&S::AdvanceCertification, a);
    }
    EXPECT_EQ(out.certification().status(), v1::CERTIFICATION_STATUS_ANNOUNCED);
    return out;
  }

  v1::Buyer Buyer(const std::string& name, v1::BuyerKind kind, const std::string& division,
                  const std::string& token = kCounty,
                  const std::function<void(v1::Buyer&)>& change = nullptr) {
    v1::UpsertBuyerRequest req;
    req.set_request_id(Rid("buyer"));
    auto* b = req.mutable_buyer();
    b->set_name(name);
    b->set_kind(kind);
    b->set_division_code(division);
    if (change) change(*b);
    return Ok<v1::Buyer>(&S::UpsertBuyer, req, token);
  }

  v1::SubmitOrderRequest OrderRequest(const std::string& rid, const v1::Buyer& buyer,
                                      const v1::Product& product, int64_t quantity,
                                      v1::Channel channel = v1::CHANNEL_COUNTER) {
    v1::SubmitOrderRequest req;
    req.set_request_id(rid);
    req.set_buyer_id(buyer.buyer_id());
    req.set_channel(channel);
    auto* l = req.add_lines();
    l->set_product_id(product.product_id());
    l->set_quantity(quantity);
    return req;
  }

  v1::Order Advance(const v1::Order& order, v1::OrderStatus to, const std::string& token) {
    v1::AdvanceOrderRequest req;
    req.set_request_id(absl::StrCat("adv-", order.order_id(), "-", to));
    req.set_order_id(order.order_id());
    req.set_to(to);
    return Ok<v1::Order>(&S::AdvanceOrder, req, token);
  }

  // placed -> settled: the supplier's county confirms, ships and settles;
  // the buyer (its own token) receives.
  v1::Order Settle(const v1::Order& order, const std::string& buyer_token = kCounty) {
    Advance(order, v1::ORDER_STATUS_CONFIRMED, kCounty);
    Advance(order, v1::ORDER_STATUS_SHIPPED, kCounty);
    Advance(order, v1::ORDER_STATUS_RECEIVED, buyer_token);
    return Advance(order, v1::ORDER_STATUS_SETTLED, kCounty);
  }

  v1::Order Buy(const std::string& rid, const v1::Buyer& buyer, const v1::Product& product,
                int64_t quantity) {
    return Settle(Ok<v1::Order>(&S::SubmitOrder, OrderRequest(rid, buyer, product, quantity)));
  }

  // A date `days` before today ("" for none): the service's own clock.
  static std::string DaysAgo(int days) { return time::FormatDate(time::Today() - days); }

  // One dated step of an order; the status of the call.
  grpc::Status AdvanceOn(const v1::Order& order, v1::OrderStatus to, const std::string& date,
                         const std::string& token = kCounty) {
    v1::AdvanceOrderRequest req;
    req.set_request_id(absl::StrCat("adv-", order.order_id(), "-", to, "-", date));
    req.set_order_id(order.order_id());
    req.set_to(to);
    req.set_date(date);
    v1::Order out;
    return C(&S::AdvanceOrder, req, &out, token);
  }

  // A made-up household id (bindings only check its shape).
  static std::string FakeHousehold(int n) { return absl::StrFormat("hh-%020x", n); }

  // The monitoring income booked per household from consumption events.
  std::map<std::string, int64_t> BookedByHousehold() {
    std::map<std::string, int64_t> out;
    for (const auto& [h, _] : expected_households_) {
      out[h] = Query(absl::StrCat(
          "SELECT coalesce(sum(amount_fen), 0) FROM monitoring.income_records WHERE kind = 2 AND "
          "household_id = '",
          h, "'"));
    }
    return out;
  }

  std::string instance_ = kCountyCode;  // the division the services serve
  std::string db_;
  std::unique_ptr<server::Server> server_;
  std::unique_ptr<server::Server> monitoring_;
  std::unique_ptr<S> stub_;
  std::unique_ptr<mv1::MonitoringService::Stub> households_;
  std::map<std::string, std::string> expected_households_;  // household -> binding
  int requests_ = 0;
};

TEST_F(ConsumptionTest, PartnerOrderIsAttributedToTwentyHouseholdsBookedOnceAndRefunded) {
  const auto coop = Supplier("疏附县核桃合作社");
  std::vector<std::string> bindings;
  for (int i = 0; i < 20; ++i) {
    const std::string h = CreateHousehold(i);
    ASSERT_FALSE(h.empty());
    const auto b = Bind(coop, h, 150);  // 1.5% each: 30% of revenue to the 20 households
    expected_households_[h] = b.binding_id();
    bindings.push_back(b.binding_id());
  }
  const auto walnuts = Product(coop, "纸皮核桃", 2'345, 1'000);
  {
    v1::GrantPartnershipRequest grant;
    grant.set_request_id("partner-sd");
    grant.mutable_partnership()->set_partner_province_code("370000000000");
    grant.mutable_partnership()->set_origin_division_code(kCountyCode);
    grant.mutable_partnership()->set_valid_from("2026-01-01");
    Ok<v1::Partnership>(&S::GrantPartnership, grant, kPrefecture);
  }
  const auto company =
      Buyer("青岛某食品公司", v1::BUYER_KIND_PARTNER_COMPANY, "370200000000", kShandong);

  auto order = Ok<v1::Order>(
      &S::SubmitOrder, OrderRequest("order-sd-1", company, walnuts, 37, v1::CHANNEL_PARTNER_STORE),
      kShandong);
  ASSERT_EQ(order.lines_size(), 1);
  EXPECT_EQ(order.lines(0).unit_price_fen(), 2'345);  // the price at order time
  EXPECT_EQ(order.total_fen(), 86'765);
  EXPECT_EQ(Query("SELECT stock FROM consumption.products"), 1'000 - 37);
  order = Settle(order, kShandong);
  ASSERT_EQ(order.status(), v1::ORDER_STATUS_SETTLED);
  const std::string line = order.lines(0).line_id();

  // 30% of 86,765 fen = 26,029.5, rounded half away from zero: 26,030 fen,
  // split 1,301.475 each: 1,301 to all, the 10 fen left to the 10 smallest
  // binding ids (equal remainders).
  const int64_t bound_share = 26'030;
  EXPECT_EQ(Query("SELECT count(*) FROM consumption.outbox WHERE event_type = "
                  "'consumption.income_attributed'"),
            20);
  EXPECT_EQ(Query(absl::StrCat("SELECT sum(amount_fen) FROM consumption.attributions WHERE "
                               "line_id = '",
                               line, "'")),
            bound_share);
  std::sort(bindings.begin(), bindings.end());
  for (size_t i = 0; i < bindings.size(); ++i) {
    EXPECT_EQ(Query(absl::StrCat("SELECT amount_fen FROM consumption.attributions WHERE "
                                 "binding_id = '",
                                 bindings[i], "'")),
              i < 10 ? 1'302 : 1'301)
        << bindings[i];
  }

  // The monitoring service books each event once, as operating income.
  const std::string booked_count =
      "SELECT count(*) FROM monitoring.income_records WHERE source = 3 AND kind = 2";
  ASSERT_EQ(WaitFor(booked_count, 20), 20);
  EXPECT_EQ(Query("SELECT sum(amount_fen) FROM monitoring.income_records WHERE kind = 2"),
            bound_share);
  // The trail closes: each attribution learns its income record.
  ASSERT_EQ(WaitFor("SELECT count(*) FROM consumption.attributions JOIN "
                    "consumption.attribution_bookings USING (event_id)",
                    20),
            20);
  v1::TraceOrderLineRequest trace_req;
  trace_req.set_line_id(line);
  auto trace = Ok<v1::OrderLineTrace>(&S::TraceOrderLine, trace_req);
  EXPECT_EQ(trace.attributions_size(), 20);
  EXPECT_EQ(trace.bindings_size(), 20);
  EXPECT_EQ(trace.attributed_fen(), bound_share);
  EXPECT_EQ(trace.booked(), 20);
  EXPECT_EQ(trace.supplier().supplier_id(), coop.supplier_id());
  for (const auto& a : trace.attributions()) {
    EXPECT_EQ(Query(absl::StrCat("SELECT count(*) FROM monitoring.income_records WHERE "
                                 "record_id = '",
                                 a.income_record_id(), "' AND source_ref = '", a.event_id(),
                                 "' AND household_id = '", a.household_id(), "'")),
              1);
  }
  // The same settlement retried (same request_id) changes nothing.
  const std::string before_retry = Census();
  EXPECT_EQ(Advance(order, v1::ORDER_STATUS_SETTLED, kCounty).status(), v1::ORDER_STATUS_SETTLED);
  EXPECT_EQ(Census(), before_retry);

  // Partial refund: 7 of the 37 kg. What stays attributed in total is what
  // 30 kg would have attributed: 30% of 70,350 = 21,105 fen, so −4,925 fen
  // back, taken from the households in proportion to what each holds.
  v1::RefundOrderRequest refund;
  refund.set_request_id("refund-1");
  refund.set_order_id(order.order_id());
  refund.set_reason("7 kg damaged in transit");
  auto* rl = refund.add_lines();
  rl->set_line_id(line);
  rl->set_quantity(7);
  auto refunded = Ok<v1::Order>(&S::RefundOrder, refund);
  EXPECT_EQ(refunded.refunded_fen(), 7 * 2'345);
  EXPECT_EQ(refunded.status(), v1::ORDER_STATUS_SETTLED);
  EXPECT_EQ(Query("SELECT sum(amount_fen) FROM consumption.attributions WHERE refund_id IS NOT "
                  "NULL"),
            21'105 - bound_share);
  ASSERT_EQ(WaitFor(booked_count, 40), 40);
  std::vector<Share> shares;
  for (const auto& id : bindings) {
    shares.push_back({.binding_id = id, .rule = v1::BINDING_RULE_REVENUE_SHARE, .share_bp = 150});
  }
  const auto settled = Attribute(37 * 2'345, 37, shares);
  ASSERT_TRUE(settled.ok());
  const auto back = Reattribute(2'345, 37, 30, shares, *settled);
  ASSERT_TRUE(back.ok());
  const auto booked = BookedByHousehold();
  for (const auto& [household, binding] : expected_households_) {
    const size_t i = std::find(bindings.begin(), bindings.end(), binding) - bindings.begin();
    EXPECT_LE((*back)[i], 0) << household;
    EXPECT_EQ(booked.at(household), (*settled)[i] + (*back)[i]) << household;
  }
  EXPECT_EQ(Query("SELECT sum(amount_fen) FROM monitoring.income_records WHERE kind = 2"), 21'105);

  // Reports: the sale by buying province and channel; income per village.
  v1::GetSalesReportRequest sales_req;
  sales_req.set_year(2026);
  const auto sales = Ok<v1::SalesReport>(&S::GetSalesReport, sales_req);
  ASSERT_EQ(sales.cells_size(), 1);
  EXPECT_EQ(sales.cells(0).buyer_province_code(), "370000000000");
  EXPECT_EQ(sales.cells(0).channel(), v1::CHANNEL_PARTNER_STORE);
  EXPECT_EQ(sales.cells(0).amount_fen(), 30 * 2'345);
  v1::GetAttributionReportRequest attribution_req;
  attribution_req.set_year(2026);
  const auto attributed = Ok<v1::AttributionReport>(&S::GetAttributionReport, attribution_req);
  EXPECT_EQ(attributed.households_size(), 20);
  ASSERT_EQ(attributed.villages_size(), 1);
  EXPECT_EQ(attributed.villages(0).amount_fen(), 21'105);
  EXPECT_EQ(attributed.total_fen(), 21'105);

  // The rest refunded in two steps (11 kg, then 19): each step only takes
  // back, in proportion to what each household still holds, and nothing
  // stays attributed to anyone at the end; the order is REFUNDED.
  std::vector<money::Fen> held = *settled;
  for (size_t i = 0; i < held.size(); ++i) held[i] += (*back)[i];
  int expected_records = 40;
  int64_t kept_kg = 30;
  for (const auto& [request_id, kg] :
       std::vector<std::pair<std::string, int64_t>>{{"refund-2", 11}, {"refund-3", 19}}) {
    const auto step = Reattribute(2'345, kept_kg, kept_kg - kg, shares, held);
    ASSERT_TRUE(step.ok());
    for (size_t i = 0; i < held.size(); ++i) {
      EXPECT_LE((*step)[i], 0);
      held[i] += (*step)[i];
      if ((*step)[i] != 0) ++expected_records;
    }
    kept_kg -= kg;
    refund.set_request_id(request_id);
    rl->set_quantity(kg);
    EXPECT_EQ(Ok<v1::Order>(&S::RefundOrder, refund).status(),
              kept_kg == 0 ? v1::ORDER_STATUS_REFUNDED : v1::ORDER_STATUS_SETTLED);
    ASSERT_EQ(WaitFor(booked_count, expected_records), expected_records);
    const auto now = BookedByHousehold();
    for (const auto& [household, binding] : expected_households_) {
      const size_t i = std::find(bindings.begin(), bindings.end(), binding) - bindings.begin();
      EXPECT_EQ(now.at(household), held[i]) << request_id << " " << household;
    }
  }
  for (const auto& [household, fen] : BookedByHousehold()) EXPECT_EQ(fen, 0) << household;
  EXPECT_EQ(Query("SELECT count(*) FROM (SELECT binding_id FROM consumption.attributions GROUP BY "
                  "binding_id HAVING sum(amount_fen) <> 0) AS left_over"),
            0);
  EXPECT_EQ(Query("SELECT sum(amount_fen) FROM monitoring.income_records WHERE kind = 2"), 0);
}

TEST_F(ConsumptionTest, RefusalsNameTheRuleAndWriteNothing) {
  const auto coop = Supplier("疏附县红枣合作社");
  const std::string h = CreateHousehold(1);
  Bind(coop, h, 1000);
  const auto certified = Product(coop, "红枣", 1'000, 100);
  const auto applied = Product(coop, "未认定干果", 1'000, 100, /*certify=*/false);
  const auto expired = Product(coop, "过期核桃", 1'000, 100, true, /*year=*/2020);
  const auto dear = Product(coop, "贵重礼盒", 100'000'000'000, 1'000'000'000);
  {
    v1::GrantPartnershipRequest grant;
    grant.set_request_id("partner-sd");
    grant.mutable_partnership()->set_partner_province_code("370000000000");
    grant.mutable_partnership()->set_origin_division_code(kCountyCode);
    grant.mutable_partnership()->set_valid_from("2026-01-01");
    Ok<v1::Partnership>(&S::GrantPartnership, grant, kPrefecture);
  }
  const auto unit =
      Buyer("县财政局", v1::BUYER_KIND_BUDGET_UNIT, kCountyCode, kCounty, [](v1::Buyer& b) {
        b.set_has_canteen(true);
        b.set_canteen_food_budget_fen(1'000'000);
      });
  const auto guangzhou =
      Buyer("广州某公司", v1::BUYER_KIND_PARTNER_COMPANY, "440100000000", kGuangdong);
  const auto placed = Ok<v1::Order>(&S::SubmitOrder, OrderRequest("placed", unit, certified, 1));

  const auto refused = [&](grpc::StatusCode code, const std::string& needle, auto method,
                           const auto& req, const std::string& token = kCounty) {
    const std::string before = Census();
    v1::Order ignored;  // every call refused here answers an Order
    const grpc::Status s = C(method, req, &ignored, token);
    EXPECT_EQ(s.error_code(), code) << needle << ": " << s.error_message();
    EXPECT_NE(s.error_message().find(needle), std::string::npos) << s.error_message();
    EXPECT_EQ(Census(), before) << needle;
  };

  // Uncertified and expired products cannot be sold as assistance products.
  refused(grpc::StatusCode::FAILED_PRECONDITION, "C4.certified", &S::SubmitOrder,
          OrderRequest("o-applied", unit, applied, 1));
  refused(grpc::StatusCode::FAILED_PRECONDITION, "C4.validity", &S::SubmitOrder,
          OrderRequest("o-expired", unit, expired, 1));
  // A partner province without a partnership for this origin.
  refused(grpc::StatusCode::PERMISSION_DENIED, "partnership", &S::SubmitOrder,
          OrderRequest("o-gd", guangzhou, certified, 1), kGuangdong);
  // Negative and overflowing amounts.
  refused(grpc::StatusCode::INVALID_ARGUMENT, "lines[0].quantity", &S::SubmitOrder,
          OrderRequest("o-negative", unit, certified, -3));
  refused(grpc::StatusCode::OUT_OF_RANGE, "exceeds the order limit", &S::SubmitOrder,
          OrderRequest("o-overflow", unit, dear, 1'000'000));
  refused(grpc::StatusCode::FAILED_PRECONDITION, "in stock", &S::SubmitOrder,
          OrderRequest("o-stock", unit, certified, 101));
  // Illegal transitions.
  v1::AdvanceOrderRequest skip;
  skip.set_request_id("skip");
  skip.set_order_id(placed.order_id());
  skip.set_to(v1::ORDER_STATUS_SETTLED);
  refused(grpc::StatusCode::FAILED_PRECONDITION, "order.transition", &S::AdvanceOrder, skip);
  v1::RefundOrderRequest early;
  early.set_request_id("early");
  early.set_order_id(placed.order_id());
  early.set_reason("changed mind");
  early.add_lines()->set_line_id(placed.lines(0).line_id());
  early.mutable_lines(0)->set_quantity(1);
  refused(grpc::StatusCode::FAILED_PRECONDITION, "order.refund", &S::RefundOrder, early);
  const auto settled = Buy("settled", unit, certified, 2);
  v1::RefundOrderRequest too_much = early;
  too_much.set_request_id("too-much");
  too_much.set_order_id(settled.order_id());
  too_much.mutable_lines(0)->set_line_id(settled.lines(0).line_id());
  too_much.mutable_lines(0)->set_quantity(3);
  refused(grpc::StatusCode::FAILED_PRECONDITION, "not yet refunded", &S::RefundOrder, too_much);
  too_much.mutable_lines(0)->set_quantity(-1);
  refused(grpc::StatusCode::INVALID_ARGUMENT, "lines[0].quantity", &S::RefundOrder, too_much);
  v1::AdvanceOrderRequest again;
  again.set_request_id("cancel-settled");
  again.set_order_id(settled.order_id());
  again.set_to(v1::ORDER_STATUS_CANCELLED);
  again.set_reason("too late");
  refused(grpc::StatusCode::FAILED_PRECONDITION, "order.transition", &S::AdvanceOrder, again);
  // A binding that would share out more than all of the revenue.
  {
    const std::string before = Census();
    v1::UpsertBindingRequest req;
    req.set_request_id("bind-over");
    auto* b = req.mutable_binding();
    b->set_supplier_id(coop.supplier_id());
    b->set_household_id(CreateHousehold(2));
    b->set_village_code(kVillage);
    b->set_rule(v1::BINDING_RULE_REVENUE_SHARE);
    b->set_share_bp(9001);
    b->set_valid_from("2026-01-01");
    v1::Binding out;
    const auto s = C(&S::UpsertBinding, req, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
    EXPECT_NE(s.error_message().find("C3.binding_shares"), std::string::npos);
    EXPECT_EQ(Census(), before);
  }
  // A negative price never reaches the store.
  {
    const std::string before = Census();
    v1::UpsertProductRequest req;
    req.set_request_id("prod-negative");
    *req.mutable_product() = certified;
    req.mutable_product()->set_price_fen(-5);
    v1::Product out;
    const auto s = C(&S::UpsertProduct, req, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(s.error_message().find("product.price_fen"), std::string::npos);
    EXPECT_EQ(Census(), before);
  }
}

TEST_F(ConsumptionTest, TargetReportListsBuyersBelowTarget) {
  const auto coop = Supplier("疏附县干果合作社");
  const auto dates = Product(coop, "和田大枣", 1'000, 100'000);
  // Canteen budget 100,000 yuan; 9,000 yuan bought = 9% of the reserved 10%.
  const auto at9 =
      Buyer("县教育局", v1::BUYER_KIND_BUDGET_UNIT, kCountyCode, kCounty, [](v1::Buyer& b) {
        b.set_has_canteen(true);
        b.set_canteen_food_budget_fen(10'000'000);
      });
  // 10%, reached with its union's purchases (C2: they count toward the unit).
  const auto at10 =
      Buyer("县卫健委", v1::BUYER_KIND_BUDGET_UNIT, kCountyCode, kCounty, [](v1::Buyer& b) {
        b.set_has_canteen(true);
        b.set_canteen_food_budget_fen(10'000'000);
      });
  const auto no_canteen =
      Buyer("县档案馆", v1::BUYER_KIND_BUDGET_UNIT, kCountyCode, kCounty, nullptr);
  const auto union1 = Buyer("县总工会", v1::BUYER_KIND_TRADE_UNION, kCountyCode);
  const auto union2 = Buyer("县卫健委工会", v1::BUYER_KIND_TRADE_UNION, kCountyCode, kCounty,
                            [&](v1::Buyer& b) { b.set_counts_toward_buyer_id(at10.buyer_id()); });
  Buy("edu", at9, dates, 900);
  Buy("health", at10, dates, 600);
  Buy("union2-a", union2, dates, 200);
  Buy("union2-b", union2, dates, 200);
  Buy("union1", union1, dates, 5'000);  // much money, but one purchase
  // A placed, unsettled order counts for nothing.
  Ok<v1::Order>(&S::SubmitOrder, OrderRequest("unsettled", at9, dates, 1'000));

  v1::GetTargetReportRequest req;
  req.set_year(2026);
  const auto all = Ok<v1::TargetReport>(&S::GetTargetReport, req);
  std::map<std::string, v1::BuyerTarget> by_id;
  for (const auto& t : all.buyers()) by_id[t.buyer_id()] = t;
  ASSERT_EQ(by_id.size(), 5u);
  EXPECT_EQ(by_id[at9.buyer_id()].status(), v1::TARGET_STATUS_BELOW);
  EXPECT_EQ(by_id[at9.buyer_id()].canteen_share_bp(), 900);
  EXPECT_EQ(by_id[at9.buyer_id()].purchased_fen(), 900'000);
  EXPECT_EQ(by_id[at10.buyer_id()].status(), v1::TARGET_STATUS_MET);
  EXPECT_EQ(by_id[at10.buyer_id()].purchased_fen(), 1'000'000);
  EXPECT_EQ(by_id[no_canteen.buyer_id()].status(), v1::TARGET_STATUS_EXEMPT);
  EXPECT_EQ(by_id[union1.buyer_id()].status(), v1::TARGET_STATUS_BELOW);
  EXPECT_EQ(by_id[union1.buyer_id()].purchases(), 1);
  EXPECT_EQ(by_id[union2.buyer_id()].status(), v1::TARGET_STATUS_MET);

  // The listing for a directive: exactly the two below target.
  req.set_only_below_target(true);
  const auto below = Ok<v1::TargetReport>(&S::GetTargetReport, req);
  std::set<std::string> listed;
  for (const auto& t : below.buyers()) listed.insert(t.buyer_id());
  EXPECT_EQ(listed, (std::set<std::string>{at9.buyer_id(), union1.buyer_id()}));
  for (const auto& t : below.buyers())
    std::cout << "below target: " << t.name() << " — " << t.reason() << "\n";

  // A region that reserves 30% (Guangdong 2025-style policy) moves the bar.
  v1::PublishPolicyRequest policy;
  policy.set_request_id("policy-30");
  policy.mutable_policy()->set_owner_division_code(kCountyCode);
  policy.mutable_policy()->set_canteen_share_bp(3000);
  Ok<v1::ConsumptionPolicy>(&S::PublishPolicy, policy);
  const auto stricter = Ok<v1::TargetReport>(&S::GetTargetReport, req);
  listed.clear();
  for (const auto& t : stricter.buyers()) listed.insert(t.buyer_id());
  EXPECT_EQ(listed, (std::set<std::string>{at9.buyer_id(), at10.buyer_id(), union1.buyer_id()}));
}

// ---- Reviewer findings (dates, stock, locks, jurisdiction, policy floor) --------------

TEST_F(ConsumptionTest, RefundDatedBeforeSettlementIsRefused) {
  const auto coop = Supplier("疏附县杏干合作社");
  Bind(coop, CreateHousehold(1), 1000);
  const auto apricots = Product(coop, "杏干", 1'000, 100);
  const auto unit = Buyer("县档案馆", v1::BUYER_KIND_BUDGET_UNIT, kCountyCode, kCounty, nullptr);
  auto req = OrderRequest("dated", unit, apricots, 4);
  req.set_date(DaysAgo(3));
  const auto order = Ok<v1::Order>(&S::SubmitOrder, req);
  ASSERT_TRUE(AdvanceOn(order, v1::ORDER_STATUS_CONFIRMED, DaysAgo(3)).ok());
  ASSERT_TRUE(AdvanceOn(order, v1::ORDER_STATUS_SHIPPED, DaysAgo(2)).ok());
  ASSERT_TRUE(AdvanceOn(order, v1::ORDER_STATUS_RECEIVED, DaysAgo(2)).ok());
  ASSERT_TRUE(AdvanceOn(order, v1::ORDER_STATUS_SETTLED, DaysAgo(1)).ok());
  const int64_t attributions = Query("SELECT count(*) FROM consumption.attributions");
  const int64_t outbox = Query("SELECT count(*) FROM consumption.outbox");
  ASSERT_GT(attributions, 0);

  v1::RefundOrderRequest refund;
  refund.set_order_id(order.order_id());
  refund.set_reason("破损");
  auto* rl = refund.add_lines();
  rl->set_line_id(order.lines(0).line_id());
  rl->set_quantity(1);
  // Before the settlement (it would book negative income in an earlier
  // month), and after today: both refused on `date`, nothing written.
  for (const std::string& date : {DaysAgo(2), DaysAgo(-1)}) {
    refund.set_request_id("refund-" + date);
    refund.set_date(date);
    const std::string before = Census();
    v1::Order out;
    const auto s = C(&S::RefundOrder, refund, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << date << s.error_message();
    EXPECT_NE(s.error_message().find("date"), std::string::npos) << s.error_message();
    EXPECT_EQ(Census(), before) << date;
    EXPECT_EQ(Query("SELECT count(*) FROM consumption.attributions"), attributions);
    EXPECT_EQ(Query("SELECT count(*) FROM consumption.outbox"), outbox);
  }
  // On the day of the settlement, and today: accepted.
  refund.set_request_id("refund-settlement-day");
  refund.set_date(DaysAgo(1));
  Ok<v1::Order>(&S::RefundOrder, refund);
  refund.set_request_id("refund-today");
  refund.set_date(DaysAgo(0));
  Ok<v1::Order>(&S::RefundOrder, refund);
  // A later refund may not be dated before the previous one.
  refund.set_request_id("refund-before-previous");
  refund.set_date(DaysAgo(1));
  v1::Order out;
  const auto s = C(&S::RefundOrder, refund, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
}

TEST_F(ConsumptionTest, SettlementDateInFutureIsRefused) {
  const auto coop = Supplier("疏附县葡萄干合作社");
  Bind(coop, CreateHousehold(1), 1000);
  const auto raisins = Product(coop, "葡萄干", 1'000, 100);
  const auto unit = Buyer("县档案馆", v1::BUYER_KIND_BUDGET_UNIT, kCountyCode, kCounty, nullptr);
  const auto order = Ok<v1::Order>(&S::SubmitOrder, OrderRequest("o", unit, raisins, 4));
  // A step after today is refused, whichever it is.
  {
    const std::string before = Census();
    const auto s = AdvanceOn(order, v1::ORDER_STATUS_CONFIRMED, DaysAgo(-1));
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_EQ(Census(), before);
  }
  ASSERT_TRUE(AdvanceOn(order, v1::ORDER_STATUS_CONFIRMED, DaysAgo(0)).ok());
  ASSERT_TRUE(AdvanceOn(order, v1::ORDER_STATUS_SHIPPED, DaysAgo(0)).ok());
  ASSERT_TRUE(AdvanceOn(order, v1::ORDER_STATUS_RECEIVED, DaysAgo(0)).ok());
  for (const std::string& date : {DaysAgo(-1), std::string("2099-01-01")}) {
    const std::string before = Census();
    const auto s = AdvanceOn(order, v1::ORDER_STATUS_SETTLED, date);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << date << s.error_message();
    EXPECT_NE(s.error_message().find("date"), std::string::npos) << s.error_message();
    EXPECT_EQ(Census(), before) << date;
  }
  EXPECT_EQ(Query("SELECT count(*) FROM consumption.attributions"), 0);
  EXPECT_TRUE(AdvanceOn(order, v1::ORDER_STATUS_SETTLED, DaysAgo(0)).ok());
}

TEST_F(ConsumptionTest, OrderStepDatedBeforePreviousStepIsRefused) {
  const auto coop = Supplier("疏附县巴旦木合作社");
  const auto almonds = Product(coop, "巴旦木", 1'000, 100);
  const auto unit = Buyer("县档案馆", v1::BUYER_KIND_BUDGET_UNIT, kCountyCode, kCounty, nullptr);
  auto req = OrderRequest("dated", unit, almonds, 4);
  req.set_date(DaysAgo(5));
  const auto order = Ok<v1::Order>(&S::SubmitOrder, req);
  ASSERT_TRUE(AdvanceOn(order, v1::ORDER_STATUS_CONFIRMED, DaysAgo(2)).ok());
  const std::string before = Census();
  const auto s = AdvanceOn(order, v1::ORDER_STATUS_SHIPPED, DaysAgo(3));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("date"), std::string::npos) << s.error_message();
  EXPECT_EQ(Census(), before);
  EXPECT_TRUE(AdvanceOn(order, v1::ORDER_STATUS_SHIPPED, DaysAgo(2)).ok());
}

TEST_F(ConsumptionTest, BackdatedOrderOfExpiredProductIsRefused) {
  const auto coop = Supplier("疏附县红枣合作社");
  // Certified 2023-01-12 for three years: expired 2026-01-10.
  const auto old = Product(coop, "陈年红枣", 1'000, 100, true, /*year=*/2023);
  const auto fresh = Product(coop, "新疆红枣", 1'000, 100);
  const auto unit = Buyer("县档案馆", v1::BUYER_KIND_BUDGET_UNIT, kCountyCode, kCounty, nullptr);
  {
    auto req = OrderRequest("backdated", unit, old, 1);
    req.set_date("2025-12-01");  // the certification was valid then, not now
    const std::string before = Census();
    v1::Order out;
    const auto s = C(&S::SubmitOrder, req, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
    EXPECT_NE(s.error_message().find("C4.validity"), std::string::npos) << s.error_message();
    EXPECT_EQ(Census(), before);
  }
  // A partnership that has ended covers no backdated order either.
  v1::GrantPartnershipRequest grant;
  grant.set_request_id("partner-sd-ended");
  grant.mutable_partnership()->set_partner_province_code("370000000000");
  grant.mutable_partnership()->set_origin_division_code(kCountyCode);
  grant.mutable_partnership()->set_valid_from("2026-01-01");
  grant.mutable_partnership()->set_valid_to("2026-06-30");
  Ok<v1::Partnership>(&S::GrantPartnership, grant, kPrefecture);
  const auto company =
      Buyer("青岛某食品公司", v1::BUYER_KIND_PARTNER_COMPANY, "370200000000", kShandong);
  {
    auto req = OrderRequest("partner-backdated", company, fresh, 1, v1::CHANNEL_PARTNER_STORE);
    req.set_date("2026-06-01");
    const std::string before = Census();
    v1::Order out;
    const auto s = C(&S::SubmitOrder, req, &out, kShandong);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
    EXPECT_NE(s.error_message().find("partnership"), std::string::npos) << s.error_message();
    EXPECT_EQ(Census(), before);
  }
  // An order dated after today is refused on `date`.
  {
    auto req = OrderRequest("future", unit, fresh, 1);
    req.set_date(DaysAgo(-1));
    v1::Order out;
    const auto s = C(&S::SubmitOrder, req, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_NE(s.error_message().find("date"), std::string::npos) << s.error_message();
  }
  // Backdated within both validities: still accepted.
  auto req = OrderRequest("backdated-ok", unit, fresh, 1);
  req.set_date(DaysAgo(10));
  EXPECT_EQ(Ok<v1::Order>(&S::SubmitOrder, req).placed_on(), DaysAgo(10));
}

TEST_F(ConsumptionTest, PublicityCannotPrecedeReview) {
  const auto coop = Supplier("疏附县核桃合作社");
  const auto walnuts = Product(coop, "薄皮核桃", 1'000, 100, /*certify=*/false);
  const auto step = [&](v1::CertificationStep s, const std::string& date) {
    v1::AdvanceCertificationRequest a;
    a.set_request_id(Rid("cert"));
    a.set_product_id(walnuts.product_id());
    a.set_step(s);
    a.set_date(date);
    v1::Product out;
    return C(&S::AdvanceCertification, a, &out);
  };
  const auto status = [&] {
    v1::GetProductRequest get;
    get.set_product_id(walnuts.product_id());
    return Ok<v1::Product>(&S::GetProduct, get).certification().status();
  };
  // No step after today.
  EXPECT_EQ(step(v1::CERTIFICATION_STEP_REVIEW, DaysAgo(-1)).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status(), v1::CERTIFICATION_STATUS_APPLIED);
  ASSERT_TRUE(step(v1::CERTIFICATION_STEP_REVIEW, "2026-03-10").ok());
  // Publicity before the review, or after today: refused on `date`.
  for (const std::string& date : {std::string("2026-03-01"), DaysAgo(-1)}) {
    const auto s = step(v1::CERTIFICATION_STEP_PUBLICISE, date);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << date << s.error_message();
    EXPECT_NE(s.error_message().find("date"), std::string::npos) << s.error_message();
    EXPECT_EQ(status(), v1::CERTIFICATION_STATUS_COUNTY_REVIEWED) << date;
  }
  ASSERT_TRUE(step(v1::CERTIFICATION_STEP_PUBLICISE, "2026-03-10").ok());
  // Announcement after today is refused; after the publicity, accepted.
  EXPECT_EQ(step(v1::CERTIFICATION_STEP_ANNOUNCE, DaysAgo(-1)).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status(), v1::CERTIFICATION_STATUS_PUBLICISED);
  ASSERT_TRUE(step(v1::CERTIFICATION_STEP_ANNOUNCE, "2026-03-16").ok());
  EXPECT_EQ(status(), v1::CERTIFICATION_STATUS_ANNOUNCED);
}

TEST_F(ConsumptionTest, ConcurrentBindingsCannotExceed100Percent) {
  // Two officials bind 60% each of one supplier's revenue at the same
  // moment, each over a connection of its own: exactly one is refused, in
  // every round.
  const std::string target = "127.0.0.1:" + std::to_string(server_->grpc_port());
  std::vector<std::unique_ptr<S>> stubs;
  for (int k = 0; k < 2; ++k) {
    grpc::ChannelArguments args;
    args.SetInt("zx.test.channel", k);
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    stubs.push_back(v1::ConsumptionService::NewStub(
        grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args)));
  }
  int households = 0;
  for (int round = 0; round < 10; ++round) {
    const auto coop = Supplier(absl::StrCat("并发合作社", round));
    std::vector<v1::UpsertBindingRequest> reqs(2);
    for (int k = 0; k < 2; ++k) {
      reqs[k].set_request_id(absl::StrCat("bind-", round, "-", k));
      auto* b = reqs[k].mutable_binding();
      b->set_supplier_id(coop.supplier_id());
      b->set_household_id(FakeHousehold(++households));
      b->set_village_code(kVillage);
      b->set_rule(v1::BINDING_RULE_REVENUE_SHARE);
      b->set_share_bp(6000);
      b->set_valid_from("2026-01-01");
    }
    std::atomic<int> ready = 0;
    grpc::Status results[2];
    std::vector<std::thread> threads;
    for (int k = 0; k < 2; ++k) {
      threads.emplace_back([&, k] {
        v1::Binding out;
        ++ready;
        while (ready.load() < 2) {
        }
        results[k] = Call(stubs[k].get(), &S::UpsertBinding, reqs[k], &out, kCounty);
      });
    }
    for (auto& t : threads) t.join();
    int ok = 0, refused = 0;
    for (const auto& r : results) {
      if (r.ok()) ++ok;
      if (r.error_code() == grpc::StatusCode::FAILED_PRECONDITION) ++refused;
    }
    EXPECT_EQ(ok, 1) << "round " << round << ": " << results[0].error_message() << " / "
                     << results[1].error_message();
    EXPECT_EQ(refused, 1) << "round " << round;
    EXPECT_LE(Query(absl::StrCat("SELECT count(*) FROM consumption.bindings WHERE supplier_id = '",
                                 coop.supplier_id(), "'")),
              1);
  }
}

TEST_F(ConsumptionTest, ProductEditDoesNotRestoreStockTakenByOrders) {
  const auto coop = Supplier("疏附县核桃合作社");
  const auto walnuts = Product(coop, "核桃仁", 1'000, 100);
  const auto unit = Buyer("县档案馆", v1::BUYER_KIND_BUDGET_UNIT, kCountyCode, kCounty, nullptr);
  Ok<v1::Order>(&S::SubmitOrder, OrderRequest("take-30", unit, walnuts, 30));
  ASSERT_EQ(Query("SELECT stock FROM consumption.products"), 70);
  // An official edits the price from a stale copy that still says 100.
  v1::UpsertProductRequest edit;
  edit.set_request_id("edit-price");
  *edit.mutable_product() = walnuts;
  edit.mutable_product()->set_price_fen(1'200);
  const auto edited = Ok<v1::Product>(&S::UpsertProduct, edit);
  EXPECT_EQ(edited.price_fen(), 1'200);
  EXPECT_EQ(edited.stock(), 70);
  EXPECT_EQ(Query("SELECT stock FROM consumption.products"), 70);
  // Setting the stock is explicit.
  edit.set_request_id("restock");
  edit.mutable_product()->set_stock(500);
  edit.set_set_stock(true);
  EXPECT_EQ(Ok<v1::Product>(&S::UpsertProduct, edit).stock(), 500);
  EXPECT_EQ(Query("SELECT stock FROM consumption.products"), 500);
}

TEST_F(ConsumptionTest, ImportRowOfUngrantedPartnerIsRejected) {
  const auto coop = Supplier("疏附县核桃合作社");
  Bind(coop, CreateHousehold(1), 1000);
  const auto walnuts = Product(coop, "纸皮核桃", 2'000, 100);
  v1::GrantPartnershipRequest grant;
  grant.set_request_id("partner-sd");
  grant.mutable_partnership()->set_partner_province_code("370000000000");
  grant.mutable_partnership()->set_origin_division_code(kCountyCode);
  grant.mutable_partnership()->set_valid_from("2026-01-01");
  Ok<v1::Partnership>(&S::GrantPartnership, grant, kPrefecture);
  const auto qingdao =
      Buyer("青岛某食品公司", v1::BUYER_KIND_PARTNER_COMPANY, "370200000000", kShandong);
  const auto guangzhou =
      Buyer("广州某公司", v1::BUYER_KIND_PARTNER_COMPANY, "440100000000", kGuangdong);
  v1::ImportPlatformOrdersRequest batch;
  batch.set_batch_id("832-partners");
  for (const auto& [n, buyer] : std::vector<std::pair<int, std::string>>{
           {1, qingdao.buyer_id()}, {2, guangzhou.buyer_id()}}) {
    auto* row = batch.add_rows();
    row->set_row_number(n);
    row->set_platform_order_no(absl::StrCat("832-", n));
    row->set_buyer_id(buyer);
    row->set_product_id(walnuts.product_id());
    row->set_quantity(2);
    row->set_unit_price_fen(2'000);
    row->set_order_date(DaysAgo(1));
    row->set_status(v1::ORDER_STATUS_SETTLED);
  }
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", std::string("Bearer ") + kCounty);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  const auto result =
      zx::testing::RunLockstep<v1::ImportPlatformOrdersRequest, v1::ImportPlatformOrdersResponse>(
          ctx, [this](grpc::ClientContext* c) { return stub_->ImportPlatformOrders(c); }, {batch});
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  ASSERT_EQ(result.responses.size(), 1u);
  ASSERT_EQ(result.responses[0].results_size(), 2);
  const auto& granted = result.responses[0].results(0);
  const auto& ungranted = result.responses[0].results(1);
  EXPECT_EQ(granted.outcome(), v1::ROW_OUTCOME_ACCEPTED) << granted.reason();
  EXPECT_EQ(ungranted.outcome(), v1::ROW_OUTCOME_REJECTED);
  EXPECT_EQ(ungranted.field(), "rows[1].buyer_id");
  EXPECT_NE(ungranted.reason().find("partnership"), std::string::npos) << ungranted.reason();
  EXPECT_EQ(Query("SELECT count(*) FROM consumption.orders"), 1);
  EXPECT_EQ(Query(absl::StrCat("SELECT count(*) FROM consumption.orders WHERE buyer_id = '",
                               guangzhou.buyer_id(), "'")),
            0);
}

TEST_F(ConsumptionTest, CountyPolicyCannotLowerCanteenShareBelowAncestor) {
  v1::PublishPolicyRequest region;
  region.set_request_id("prefecture-20");
  region.mutable_policy()->set_owner_division_code("653100000000");
  region.mutable_policy()->set_canteen_share_bp(2000);
  Ok<v1::ConsumptionPolicy>(&S::PublishPolicy, region, kPrefecture);
  v1::GetEffectivePolicyRequest get;
  get.set_division_code(kCountyCode);
  // A county may not publish a share below the prefecture's 20%.
  {
    v1::PublishPolicyRequest lower;
    lower.set_request_id("county-1");
    lower.mutable_policy()->set_owner_division_code(kCountyCode);
    lower.mutable_policy()->set_canteen_share_bp(100);
    const int64_t policies = Query("SELECT count(*) FROM consumption.policies");
    v1::ConsumptionPolicy out;
    const auto s = C(&S::PublishPolicy, lower, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
    EXPECT_NE(s.error_message().find("canteen_share_bp"), std::string::npos) << s.error_message();
    EXPECT_EQ(Query("SELECT count(*) FROM consumption.policies"), policies);
  }
  EXPECT_EQ(Ok<v1::ConsumptionPolicy>(&S::GetEffectivePolicy, get).canteen_share_bp(), 2000);
  // Left 0 it inherits the prefecture's share; higher tightens.
  {
    v1::PublishPolicyRequest other;
    other.set_request_id("county-unions");
    other.mutable_policy()->set_owner_division_code(kCountyCode);
    other.mutable_policy()->set_union_min_purchases(3);
    EXPECT_EQ(Ok<v1::ConsumptionPolicy>(&S::PublishPolicy, other).canteen_share_bp(), 2000);
    EXPECT_EQ(Ok<v1::ConsumptionPolicy>(&S::GetEffectivePolicy, get).canteen_share_bp(), 2000);
    other.set_request_id("county-25");
    other.mutable_policy()->set_canteen_share_bp(2500);
    Ok<v1::ConsumptionPolicy>(&S::PublishPolicy, other);
    EXPECT_EQ(Ok<v1::ConsumptionPolicy>(&S::GetEffectivePolicy, get).canteen_share_bp(), 2500);
  }
  // A prefecture that raises its share later binds the county too.
  region.set_request_id("prefecture-30");
  region.mutable_policy()->set_canteen_share_bp(3000);
  Ok<v1::ConsumptionPolicy>(&S::PublishPolicy, region, kPrefecture);
  EXPECT_EQ(Ok<v1::ConsumptionPolicy>(&S::GetEffectivePolicy, get).canteen_share_bp(), 3000);
}

// The services serving the whole Kashgar prefecture: two counties, each
// official with only its own county as jurisdiction.
class ConsumptionPrefectureTest : public ConsumptionTest {
 protected:
  ConsumptionPrefectureTest() { instance_ = "653100000000"; }
};

constexpr char kOtherCountyCode[] = "653122000000";  // 疏勒县
constexpr char kOtherVillage[] = "653122101201";
constexpr char kOtherCounty[] = "dev.653122000000.county_official.co2";
// The prefecture's agriculture bureau: binds across its counties.
constexpr char kPrefectureAgriculture[] = "dev.653100000000.department:agriculture.ag1";

TEST_F(ConsumptionPrefectureTest, CountyCannotRepointAnotherCountysHouseholdBinding) {
  const auto coop = Supplier("疏附县核桃合作社");
  // The prefecture's bureau binds the Shufu cooperative to a household of
  // Shule.
  v1::UpsertBindingRequest req;
  req.set_request_id("bind-shule");
  auto* b = req.mutable_binding();
  b->set_supplier_id(coop.supplier_id());
  b->set_household_id(FakeHousehold(1));
  b->set_village_code(kOtherVillage);
  b->set_rule(v1::BINDING_RULE_REVENUE_SHARE);
  b->set_share_bp(1000);
  b->set_valid_from("2026-01-01");
  const auto bound = Ok<v1::Binding>(&S::UpsertBinding, req, kPrefectureAgriculture);
  // Shufu, which answers for the supplier but not for Shule's household,
  // tries to repoint it to one of its own.
  req.set_request_id("repoint");
  *req.mutable_binding() = bound;
  req.mutable_binding()->clear_updated();
  req.mutable_binding()->set_household_id(FakeHousehold(2));
  req.mutable_binding()->set_village_code(kVillage);
  v1::Binding out;
  const auto s = C(&S::UpsertBinding, req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  v1::ListBindingsRequest list;
  list.set_supplier_id(coop.supplier_id());
  const auto now = Ok<v1::ListBindingsResponse>(&S::ListBindings, list);
  ASSERT_EQ(now.bindings_size(), 1);
  EXPECT_EQ(now.bindings(0).household_id(), FakeHousehold(1));
  EXPECT_EQ(now.bindings(0).village_code(), kOtherVillage);
  // The prefecture's bureau, which answers for both, may.
  req.set_request_id("repoint-prefecture");
  EXPECT_EQ(Ok<v1::Binding>(&S::UpsertBinding, req, kPrefectureAgriculture).village_code(),
            kVillage);
}

TEST_F(ConsumptionPrefectureTest, CountsTowardUnitOutsideJurisdictionIsRefused) {
  const auto unit =
      Buyer("疏附县财政局", v1::BUYER_KIND_BUDGET_UNIT, kCountyCode, kCounty, [](v1::Buyer& b) {
        b.set_has_canteen(true);
        b.set_canteen_food_budget_fen(1'000'000);
      });
  const int64_t buyers = Query("SELECT count(*) FROM consumption.buyers");
  // Shule registers a cadre counting toward Shufu's budget unit.
  v1::UpsertBuyerRequest req;
  req.set_request_id("cadre-shule");
  req.mutable_buyer()->set_name("疏勒县帮扶干部");
  req.mutable_buyer()->set_kind(v1::BUYER_KIND_ASSISTING_CADRE);
  req.mutable_buyer()->set_division_code(kOtherCountyCode);
  req.mutable_buyer()->set_counts_toward_buyer_id(unit.buyer_id());
  v1::Buyer out;
  auto s = C(&S::UpsertBuyer, req, &out, kOtherCounty);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_EQ(Query("SELECT count(*) FROM consumption.buyers"), buyers);
  // Counting toward a buyer that is not a unit: refused.
  const auto union1 = Buyer("疏附县总工会", v1::BUYER_KIND_TRADE_UNION, kCountyCode);
  req.set_request_id("union-toward-union");
  req.mutable_buyer()->set_name("疏附县某工会");
  req.mutable_buyer()->set_kind(v1::BUYER_KIND_TRADE_UNION);
  req.mutable_buyer()->set_division_code(kCountyCode);
  req.mutable_buyer()->set_counts_toward_buyer_id(union1.buyer_id());
  s = C(&S::UpsertBuyer, req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_NE(s.error_message().find("buyer.counts_toward_buyer_id"), std::string::npos);
  EXPECT_EQ(Query("SELECT count(*) FROM consumption.buyers"), buyers + 1);
  // Within its own county, toward a unit: accepted.
  req.set_request_id("union-toward-unit");
  req.mutable_buyer()->set_counts_toward_buyer_id(unit.buyer_id());
  Ok<v1::Buyer>(&S::UpsertBuyer, req);
}

TEST_F(ConsumptionTest, AmountsMonitoringCannotBookAreRefused) {
  const auto coop = Supplier("疏附县礼盒合作社");
  const auto unit = Buyer("县档案馆", v1::BUYER_KIND_BUDGET_UNIT, kCountyCode, kCounty, nullptr);
  // A line above 10^12 fen (100 亿 yuan), the most one income record holds.
  const auto dear = Product(coop, "贵重礼盒", 100'000'000'000, 100);
  {
    const std::string before = Census();
    v1::Order out;
    const auto s = C(&S::SubmitOrder, OrderRequest("o-dear", unit, dear, 11), &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::OUT_OF_RANGE) << s.error_message();
    EXPECT_EQ(Census(), before);
  }
  Ok<v1::Order>(&S::SubmitOrder, OrderRequest("o-dear-10", unit, dear, 10));  // 10^12: accepted
  // A purchase premium whose attribution would exceed it: settlement refused.
  v1::UpsertBindingRequest bind;
  bind.set_request_id("premium");
  auto* b = bind.mutable_binding();
  b->set_supplier_id(coop.supplier_id());
  b->set_household_id(FakeHousehold(1));
  b->set_village_code(kVillage);
  b->set_rule(v1::BINDING_RULE_PURCHASE_PREMIUM);
  b->set_fen_per_unit(100'000'000'000);
  b->set_share_bp(10000);
  b->set_valid_from("2026-01-01");
  Ok<v1::Binding>(&S::UpsertBinding, bind);
  const auto cheap = Product(coop, "普通礼盒", 100, 100);
  const auto order = Ok<v1::Order>(&S::SubmitOrder, OrderRequest("o-premium", unit, cheap, 11));
  ASSERT_TRUE(AdvanceOn(order, v1::ORDER_STATUS_CONFIRMED, DaysAgo(0)).ok());
  ASSERT_TRUE(AdvanceOn(order, v1::ORDER_STATUS_SHIPPED, DaysAgo(0)).ok());
  ASSERT_TRUE(AdvanceOn(order, v1::ORDER_STATUS_RECEIVED, DaysAgo(0)).ok());
  const std::string before = Census();
  const auto s = AdvanceOn(order, v1::ORDER_STATUS_SETTLED, DaysAgo(0));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::OUT_OF_RANGE) << s.error_message();
  EXPECT_EQ(Census(), before);
  EXPECT_EQ(Query("SELECT count(*) FROM consumption.attributions"), 0);
}

TEST_F(ConsumptionTest, ImportRowDatedAfterTodayIsRejected) {
  const auto coop = Supplier("疏附县核桃合作社");
  const auto walnuts = Product(coop, "纸皮核桃", 2'000, 100);
  const auto unit = Buyer("县档案馆", v1::BUYER_KIND_BUDGET_UNIT, kCountyCode, kCounty, nullptr);
  v1::ImportPlatformOrdersRequest batch;
  batch.set_batch_id("832-future");
  auto* row = batch.add_rows();
  row->set_row_number(1);
  row->set_platform_order_no("832-future-1");
  row->set_buyer_id(unit.buyer_id());
  row->set_product_id(walnuts.product_id());
  row->set_quantity(2);
  row->set_unit_price_fen(2'000);
  row->set_order_date(DaysAgo(-1));
  row->set_status(v1::ORDER_STATUS_SETTLED);
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", std::string("Bearer ") + kCounty);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  const auto result =
      zx::testing::RunLockstep<v1::ImportPlatformOrdersRequest, v1::ImportPlatformOrdersResponse>(
          ctx, [this](grpc::ClientContext* c) { return stub_->ImportPlatformOrders(c); }, {batch});
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  ASSERT_EQ(result.responses.size(), 1u);
  ASSERT_EQ(result.responses[0].results_size(), 1);
  EXPECT_EQ(result.responses[0].results(0).outcome(), v1::ROW_OUTCOME_REJECTED);
  EXPECT_EQ(result.responses[0].results(0).field(), "rows[0].order_date");
  EXPECT_EQ(Query("SELECT count(*) FROM consumption.orders"), 0);
}

}  // namespace
}  // namespace zx::consumption
