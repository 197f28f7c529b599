// The consumption service's rows of the authorization matrix. The seeded
// supplier and the domestic buyer lie in the home village; products
// originate in the home county (their certification, stock and the supplier
// side of an order are decided there); policies and reports at the county.
// A partner-province buyer lies in Jinan (Shandong): the partner caller's own
// province is its jurisdiction, so the cases on that buyer are the ones a
// partner is allowed and everybody of this region is refused.
#include "absl/strings/str_cat.h"
#include "tests/security/matrix.h"

namespace zx::security {
namespace {

const std::string kCon = "/zx.consumption.v1.ConsumptionService/";

// Shandong, the partner caller's province, and a city in it.
constexpr char kPartnerProvince[] = "370000000000";
constexpr char kPartnerCity[] = "370100000000";

std::string PartnerToken() { return absl::StrCat("dev.", kPartnerProvince, ".partner.seed"); }

std::string Supplier(const std::string& name) {
  return absl::StrCat("request_id: '${RID}' supplier { name: '", name,
                      "' kind: SUPPLIER_KIND_COOPERATIVE division_code: '", kVillage,
                      "' credit_code: '93653121MA78XK2P3Q' }");
}

std::string Binding(const std::string& binding_id) {
  return absl::StrCat("request_id: '${RID}' binding { binding_id: '", binding_id,
                      "' supplier_id: '${SUPPLIER}' household_id: '${HH}' village_code: '",
                      kVillage,
                      "' rule: BINDING_RULE_REVENUE_SHARE share_bp: 1000 "
                      "valid_from: '2026-01-01' }");
}

// Certifiable: a traceability reference and sales above the default C4 line.
std::string Product(const std::string& name, const std::string& category) {
  return absl::StrCat("request_id: '${RID}' product { supplier_id: '${SUPPLIER}' name: '", name,
                      "' category: '", category, "' origin_county_code: '", kCounty,
                      "' unit: 'kg' price_fen: 5000 stock: 100000 "
                      "traceability_ref: 'TR-653121-2026-0001' annual_sales_fen: 60000000 }");
}

std::string Certify(const std::string& product, const std::string& step, const std::string& date) {
  return absl::StrCat("request_id: '${RID}' product_id: '", product, "' step: CERTIFICATION_STEP_",
                      step, " date: '", date, "'");
}

std::string Order(const std::string& buyer, const std::string& channel, int quantity,
                  const std::string& date) {
  return absl::StrCat("request_id: '${RID}' buyer_id: '", buyer, "' channel: CHANNEL_", channel,
                      " lines { product_id: '${PRODUCT}' quantity: ", quantity, " } date: '", date,
                      "'");
}

std::string Advance(const std::string& order, const std::string& to, const std::string& date) {
  return absl::StrCat("request_id: '${RID}' order_id: '", order, "' to: ORDER_STATUS_", to,
                      " date: '", date, "'");
}

std::string County(const std::string& extra = "") {
  return absl::StrCat("division_code: '", kCounty, "' ", extra);
}

}  // namespace

std::vector<SeedStep> ConsumptionSeeds() {
  const std::string prefecture = absl::StrCat("dev.", kPrefecture, ".prefecture_official.seed");
  return {
      {kCon + "UpsertSupplier", Supplier("疏附县核桃合作社"), {{"SUPPLIER", "supplier_id"}}},
      // The supplier shares 10% of its revenue with the seeded household.
      {kCon + "UpsertBinding", Binding(""), {{"BINDING", "binding_id"}}},
      // PRODUCT is certified (review, publicity of 5 days, announcement);
      // PRODUCT2 has only applied.
      {kCon + "UpsertProduct", Product("纸皮核桃", "核桃"), {{"PRODUCT", "product_id"}}},
      {kCon + "AdvanceCertification", Certify("${PRODUCT}", "REVIEW", "2026-01-02"), {}},
      {kCon + "AdvanceCertification", Certify("${PRODUCT}", "PUBLICISE", "2026-01-03"), {}},
      {kCon + "AdvanceCertification", Certify("${PRODUCT}", "ANNOUNCE", "2026-01-10"), {}},
      {kCon + "UpsertProduct", Product("灰枣", "红枣"), {{"PRODUCT2", "product_id"}}},
      {kCon + "UpsertBuyer",
       absl::StrCat("request_id: '${RID}' buyer { name: '驻村工作队员' "
                    "kind: BUYER_KIND_ASSISTING_CADRE division_code: '",
                    kVillage, "' }"),
       {{"BUYER", "buyer_id"}}},
      // ORDER is settled (attributed to the household), ORDER2 just placed.
      {kCon + "SubmitOrder",
       Order("${BUYER}", "COUNTER", 10, "2026-11-01"),
       {{"ORDER", "order_id"}, {"LINE", "lines[0].line_id"}}},
      {kCon + "AdvanceOrder", Advance("${ORDER}", "CONFIRMED", "2026-11-02"), {}},
      {kCon + "AdvanceOrder", Advance("${ORDER}", "SHIPPED", "2026-11-03"), {}},
      {kCon + "AdvanceOrder", Advance("${ORDER}", "RECEIVED", "2026-11-04"), {}},
      {kCon + "AdvanceOrder", Advance("${ORDER}", "SETTLED", "2026-11-05"), {}},
      {kCon + "SubmitOrder", Order("${BUYER}", "FAIR", 2, "2026-11-01"), {{"ORDER2", "order_id"}}},
      // Shandong may buy the county's products; its agency orders one box,
      // which the supplier side confirms and ships.
      {kCon + "GrantPartnership",
       absl::StrCat("request_id: '${RID}' partnership { partner_province_code: '", kPartnerProvince,
                    "' origin_division_code: '", kCounty, "' valid_from: '2026-01-01' }"),
       {},
       prefecture},
      {kCon + "UpsertBuyer",
       absl::StrCat("request_id: '${RID}' buyer { name: '济南市对口支援办' "
                    "kind: BUYER_KIND_PARTNER_AGENCY division_code: '",
                    kPartnerCity, "' }"),
       {{"PBUYER", "buyer_id"}},
       PartnerToken()},
      {kCon + "SubmitOrder",
       Order("${PBUYER}", "PARTNER_STORE", 5, "2026-11-01"),
       {{"PORDER", "order_id"}},
       PartnerToken()},
      {kCon + "AdvanceOrder", Advance("${PORDER}", "CONFIRMED", "2026-11-02"), {}},
      {kCon + "AdvanceOrder", Advance("${PORDER}", "SHIPPED", "2026-11-03"), {}},
  };
}

std::vector<MatrixCase> ConsumptionCases() {
  const std::string c = kCounty;
  const std::string v = kVillage;
  const std::string jinan = kPartnerCity;
  return {
      {kCon + "UpsertSupplier", "consumption.supplier.upsert", Supplier("疏附县红枣合作社"), v},
      {kCon + "GetSupplier", "consumption.supplier.get", "supplier_id: '${SUPPLIER}'", v},
      {kCon + "UpsertBinding", "consumption.binding.upsert", Binding("${BINDING}"), v},
      {kCon + "ListBindings", "consumption.binding.list", "supplier_id: '${SUPPLIER}'", v},
      {kCon + "UpsertProduct", "consumption.product.upsert", Product("巴旦木", "坚果"), c},
      {kCon + "GetProduct", "consumption.product.get", "product_id: '${PRODUCT}'", c},
      // The first allowed caller reviews it; the others find it reviewed
      // (FAILED_PRECONDITION, still allowed).
      {kCon + "AdvanceCertification", "consumption.product.certify",
       Certify("${PRODUCT2}", "REVIEW", "2026-01-02"), c},
      {kCon + "UpsertBuyer", "consumption.buyer.upsert",
       absl::StrCat("request_id: '${RID}' buyer { name: '疏附县教育局' "
                    "kind: BUYER_KIND_BUDGET_UNIT division_code: '",
                    c, "' has_canteen: true canteen_food_budget_fen: 20000000 }"),
       c},
      {kCon + "UpsertBuyer", "consumption.buyer.upsert",
       absl::StrCat("request_id: '${RID}' buyer { name: '济南鲁疆食品有限公司' "
                    "kind: BUYER_KIND_PARTNER_COMPANY division_code: '",
                    jinan, "' }"),
       jinan},
      {kCon + "GetBuyer", "consumption.buyer.get", "buyer_id: '${BUYER}'", v},
      {kCon + "GetBuyer", "consumption.buyer.get", "buyer_id: '${PBUYER}'", jinan},
      {kCon + "GrantPartnership", "consumption.partnership.grant",
       absl::StrCat("request_id: '${RID}' partnership { partner_province_code: '320000000000' "
                    "origin_division_code: '",
                    c, "' valid_from: '2026-01-01' valid_to: '2028-12-31' }"),
       c},
      {kCon + "SubmitOrder", "consumption.order.submit",
       Order("${BUYER}", "LIVE_STREAM", 1, "2026-11-06"), v},
      {kCon + "SubmitOrder", "consumption.order.submit",
       Order("${PBUYER}", "PARTNER_STORE", 1, "2026-11-06"), jinan},
      // Either side reads an order: the buyer's village is the wider reach.
      {kCon + "GetOrder", "consumption.order.get", "order_id: '${ORDER}'", v},
      // The supplier side confirms (decided at the origin county) ...
      {kCon + "AdvanceOrder", "consumption.order.advance",
       Advance("${ORDER2}", "CONFIRMED", "2026-11-02"), c},
      // ... the buyer receives (decided at the buyer's division).
      {kCon + "AdvanceOrder", "consumption.order.advance",
       Advance("${PORDER}", "RECEIVED", "2026-11-04"), jinan},
      {kCon + "RefundOrder", "consumption.order.refund",
       "request_id: '${RID}' order_id: '${ORDER}' lines { line_id: '${LINE}' quantity: 1 } "
       "reason: '运输破损' date: '2026-11-10'",
       c},
      {kCon + "TraceOrderLine", "consumption.order.trace", "line_id: '${LINE}'", v},
      // Rows are authorized one by one on the product's origin: outside the
      // jurisdiction the row is refused in its result.
      {kCon + "ImportPlatformOrders", "consumption.import.orders",
       "batch_id: 'matrix-${RID}' rows { row_number: 1 platform_order_no: '832-${RID}' "
       "buyer_id: '${BUYER}' product_id: '${PRODUCT}' quantity: 3 unit_price_fen: 4800 "
       "order_date: '2026-11-08' status: ORDER_STATUS_RECEIVED }",
       c, "outside your jurisdiction"},
      {kCon + "PublishPolicy", "consumption.policy.publish",
       absl::StrCat("request_id: '${RID}' policy { owner_division_code: '", c,
                    "' canteen_share_bp: 1000 union_min_purchases: 2 publicity_days: 5 }"),
       c},
      {kCon + "GetEffectivePolicy", "consumption.policy.get", County(), c},
      {kCon + "GetTargetReport", "consumption.report.targets", County("year: 2026"), c},
      {kCon + "GetSalesReport", "consumption.report.sales", County("year: 2026"), c},
      {kCon + "GetAttributionReport", "consumption.report.attribution",
       County("year: 2026 page_size: 10"), c},
  };
}

}  // namespace zx::security
