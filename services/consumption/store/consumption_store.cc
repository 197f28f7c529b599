#include "services/consumption/store/consumption_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/pg/pg.h"

namespace zx::consumption {
namespace {

using pg::MessageBytes;
using pg::ParseMessage;

constexpr char kSettled[] = "(5, 7)";  // settled, or settled then wholly refunded

std::string YearStart(int year) { return absl::StrCat(year, "-01-01"); }
std::string NextYearStart(int year) { return absl::StrCat(year + 1, "-01-01"); }

}  // namespace

// ---- Suppliers, bindings, products, buyers, partnerships ----------------------------------

void UpsertSupplier(pqxx::transaction_base& tx, const v1::Supplier& s) {
  tx.exec_params(
      "INSERT INTO suppliers (supplier_id, division_code, body) VALUES ($1, $2, $3) "
      "ON CONFLICT (supplier_id) DO UPDATE SET division_code = EXCLUDED.division_code, "
      "body = EXCLUDED.body",
      s.supplier_id(), s.division_code(), MessageBytes(s));
}

std::optional<v1::Supplier> FindSupplier(pqxx::transaction_base& tx, const std::string& id) {
  const auto r = tx.exec_params("SELECT body FROM suppliers WHERE supplier_id = $1", id);
  if (r.empty()) return std::nullopt;
  return ParseMessage<v1::Supplier>(r[0][0]);
}

void LockSupplier(pqxx::transaction_base& tx, const std::string& id) {
  tx.exec_params("SELECT 1 FROM suppliers WHERE supplier_id = $1 FOR UPDATE", id);
}

void UpsertBinding(pqxx::transaction_base& tx, const v1::Binding& b) {
  tx.exec_params(
      "INSERT INTO bindings (binding_id, supplier_id, household_id, body) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (binding_id) DO UPDATE SET household_id = EXCLUDED.household_id, "
      "body = EXCLUDED.body",
      b.binding_id(), b.supplier_id(), b.household_id(), MessageBytes(b));
}

std::optional<v1::Binding> FindBinding(pqxx::transaction_base& tx, const std::string& id) {
  const auto r = tx.exec_params("SELECT body FROM bindings WHERE binding_id = $1", id);
  if (r.empty()) return std::nullopt;
  return ParseMessage<v1::Binding>(r[0][0]);
}

std::vector<v1::Binding> BindingsOf(pqxx::transaction_base& tx, const std::string& supplier_id,
                                    bool lock) {
  const auto r = tx.exec_params(
      absl::StrCat("SELECT body FROM bindings WHERE supplier_id = $1 ORDER BY binding_id",
                   lock ? " FOR UPDATE" : ""),
      supplier_id);
  std::vector<v1::Binding> out;
  for (const auto& row : r) out.push_back(ParseMessage<v1::Binding>(row[0]));
  return out;
}

void UpsertProduct(pqxx::transaction_base& tx, const v1::Product& p) {
  v1::Product body = p;
  body.clear_stock();  // the column is the truth
  tx.exec_params(
      "INSERT INTO products (product_id, supplier_id, origin_county, stock, body) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (product_id) DO UPDATE SET "
      "origin_county = EXCLUDED.origin_county, stock = EXCLUDED.stock, body = EXCLUDED.body",
      p.product_id(), p.supplier_id(), p.origin_county_code(), p.stock(), MessageBytes(body));
}

std::optional<v1::Product> FindProduct(pqxx::transaction_base& tx, const std::string& id,
                                       bool lock) {
  const auto r =
      tx.exec_params(absl::StrCat("SELECT body, stock FROM products WHERE product_id = $1",
                                  lock ? " FOR UPDATE" : ""),
                     id);
  if (r.empty()) return std::nullopt;
  auto p = ParseMessage<v1::Product>(r[0][0]);
  p.set_stock(r[0][1].as<int64_t>());
  return p;
}

std::vector<v1::Product> ReadProducts(pqxx::transaction_base& tx,
                                      const std::vector<std::string>& ids) {
  std::vector<v1::Product> out;
  for (const auto& row :
       tx.exec_params("SELECT body, stock FROM products WHERE product_id = ANY($1::text[])",
                      pg::ArrayLiteral(ids))) {
    auto p = ParseMessage<v1::Product>(row[0]);
    p.set_stock(row[1].as<int64_t>());
    out.push_back(std::move(p));
  }
  return out;
}

bool TakeStock(pqxx::transaction_base& tx, const std::string& product_id, int64_t quantity) {
  return tx.exec_params(
               "UPDATE products SET stock = stock - $2 WHERE product_id = $1 AND "
               "stock >= $2",
               product_id, quantity)
             .affected_rows() == 1;
}

void AddStock(pqxx::transaction_base& tx, const std::string& product_id, int64_t delta) {
  tx.exec_params("UPDATE products SET stock = stock + $2 WHERE product_id = $1", product_id, delta);
}

void UpsertBuyer(pqxx::transaction_base& tx, const v1::Buyer& b) {
  std::optional<std::string> toward;
  if (!b.counts_toward_buyer_id().empty()) toward = b.counts_toward_buyer_id();
  tx.exec_params(
      "INSERT INTO buyers (buyer_id, division_code, kind, counts_toward, body) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (buyer_id) DO UPDATE SET "
      "division_code = EXCLUDED.division_code, kind = EXCLUDED.kind, "
      "counts_toward = EXCLUDED.counts_toward, body = EXCLUDED.body",
      b.buyer_id(), b.division_code(), static_cast<int>(b.kind()), toward, MessageBytes(b));
}

std::optional<v1::Buyer> FindBuyer(pqxx::transaction_base& tx, const std::string& id) {
  const auto r = tx.exec_params("SELECT body FROM buyers WHERE buyer_id = $1", id);
  if (r.empty()) return std::nullopt;
  return ParseMessage<v1::Buyer>(r[0][0]);
}

void InsertPartnership(pqxx::transaction_base& tx, const v1::Partnership& p) {
  tx.exec_params(
      "INSERT INTO partnerships (partnership_id, partner_province, origin_division, body) "
      "VALUES ($1, $2, $3, $4)",
      p.partnership_id(), p.partner_province_code(), p.origin_division_code(), MessageBytes(p));
}

std::vector<v1::Partnership> PartnershipsOf(pqxx::transaction_base& tx,
                                            const std::string& partner_province) {
  std::vector<v1::Partnership> out;
  for (const auto& row : tx.exec_params("SELECT body FROM partnerships WHERE partner_province = $1 "
                                        "ORDER BY partnership_id",
                                        partner_province)) {
    out.push_back(ParseMessage<v1::Partnership>(row[0]));
  }
  return out;
}

// ---- Orders ---------------------------------------------------------------------------------

void InsertOrder(pqxx::transaction_base& tx, const v1::Order& o) {
  std::optional<std::string> platform_no;
  if (!o.platform_order_no().empty()) platform_no = o.platform_order_no();
  std::optional<std::string> settled_on;
  if (!o.settled_on().empty()) settled_on = o.settled_on();
  tx.exec_params(
      "INSERT INTO orders (order_id, buyer_id, buyer_division, channel, status, placed_on, "
      "settled_on, total_fen, refunded_fen, platform_order_no, body) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
      o.order_id(), o.buyer_id(), o.buyer_division_code(), static_cast<int>(o.channel()),
      static_cast<int>(o.status()), o.placed_on(), settled_on, o.total_fen(), o.refunded_fen(),
      platform_no, MessageBytes(o));
  std::vector<std::string> ids, products, suppliers, origins, quantities, prices;
  for (const auto& l : o.lines()) {
    ids.push_back(l.line_id());
    products.push_back(l.product_id());
    suppliers.push_back(l.supplier_id());
    origins.push_back(l.origin_county_code());
    quantities.push_back(std::to_string(l.quantity()));
    prices.push_back(std::to_string(l.unit_price_fen()));
  }
  tx.exec_params(
      "INSERT INTO order_lines (line_id, order_id, product_id, supplier_id, origin_county, "
      "quantity, unit_price_fen) SELECT l, $1, p, s, c, q, u FROM unnest($2::text[], $3::text[], "
      "$4::text[], $5::text[], $6::bigint[], $7::bigint[]) AS t(l, p, s, c, q, u)",
      o.order_id(), pg::ArrayLiteral(ids), pg::ArrayLiteral(products), pg::ArrayLiteral(suppliers),
      pg::ArrayLiteral(origins), pg::ArrayLiteral(quantities), pg::ArrayLiteral(prices));
}

void UpdateOrder(pqxx::transaction_base& tx, const v1::Order& o) {
  std::optional<std::string> settled_on;
  if (!o.settled_on().empty()) settled_on = o.settled_on();
  tx.exec_params(
      "UPDATE orders SET status = $2, settled_on = $3, refunded_fen = $4, body = $5 "
      "WHERE order_id = $1",
      o.order_id(), static_cast<int>(o.status()), settled_on, o.refunded_fen(), MessageBytes(o));
  for (const auto& l : o.lines()) {
    if (l.refunded_quantity() == 0) continue;
    tx.exec_params("UPDATE order_lines SET refunded_quantity = $2 WHERE line_id = $1", l.line_id(),
                   l.refunded_quantity());
  }
}

std::optional<v1::Order> FindOrder(pqxx::transaction_base& tx, const std::string& id, bool lock) {
  const auto r = tx.exec_params(
      absl::StrCat("SELECT body FROM orders WHERE order_id = $1", lock ? " FOR UPDATE" : ""), id);
  if (r.empty()) return std::nullopt;
  return ParseMessage<v1::Order>(r[0][0]);
}

std::optional<std::string> OrderOfLine(pqxx::transaction_base& tx, const std::string& line_id) {
  const auto r = tx.exec_params("SELECT order_id FROM order_lines WHERE line_id = $1", line_id);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

// ---- Attribution ----------------------------------------------------------------------------

void InsertLineShares(pqxx::transaction_base& tx, const std::string& line_id,
                      const std::vector<LineShare>& shares) {
  if (shares.empty()) return;
  std::vector<std::string> bindings, rules, bps, rates, households, villages;
  for (const auto& s : shares) {
    bindings.push_back(s.share.binding_id);
    rules.push_back(std::to_string(static_cast<int>(s.share.rule)));
    bps.push_back(std::to_string(s.share.share_bp));
    rates.push_back(std::to_string(s.share.fen_per_unit));
    households.push_back(s.household_id);
    villages.push_back(s.village_code);
  }
  tx.exec_params(
      "INSERT INTO line_shares (line_id, binding_id, rule, share_bp, fen_per_unit, household_id, "
      "village_code) SELECT $1, * FROM unnest($2::text[], $3::smallint[], $4::integer[], "
      "$5::bigint[], $6::text[], $7::text[])",
      line_id, pg::ArrayLiteral(bindings), pg::ArrayLiteral(rules), pg::ArrayLiteral(bps),
      pg::ArrayLiteral(rates), pg::ArrayLiteral(households), pg::ArrayLiteral(villages));
}

std::vector<LineShare> LineSharesOf(pqxx::transaction_base& tx, const std::string& line_id) {
  std::vector<LineShare> out;
  for (const auto& row :
       tx.exec_params("SELECT binding_id, rule, share_bp, fen_per_unit, household_id, village_code "
                      "FROM line_shares WHERE line_id = $1 ORDER BY binding_id",
                      line_id)) {
    out.push_back(LineShare{.share = Share{.binding_id = row[0].as<std::string>(),
                                           .rule = static_cast<v1::BindingRule>(row[1].as<int>()),
                                           .share_bp = row[2].as<int32_t>(),
                                           .fen_per_unit = row[3].as<int64_t>()},
                            .household_id = row[4].as<std::string>(),
                            .village_code = row[5].as<std::string>()});
  }
  return out;
}

void InsertAttributions(pqxx::transaction_base& tx, const std::vector<AttributionRow>& rows) {
  if (rows.empty()) return;
  std::vector<std::string> ids, lines, refunds, bindings, rules, households, villages, months,
      amounts, events;
  for (const auto& r : rows) {
    const auto& a = r.attribution;
    ids.push_back(a.attribution_id());
    lines.push_back(a.line_id());
    refunds.push_back(r.refund_id);
    bindings.push_back(a.binding_id());
    rules.push_back(std::to_string(static_cast<int>(a.rule())));
    households.push_back(a.household_id());
    villages.push_back(a.village_code());
    months.push_back(a.month());
    amounts.push_back(std::to_string(a.amount_fen()));
    events.push_back(a.event_id());
  }
  tx.exec_params(
      "INSERT INTO attributions (attribution_id, line_id, refund_id, binding_id, rule, "
      "household_id, village_code, month, amount_fen, event_id) "
      "SELECT a, l, NULLIF(r, ''), b, ru, h, v, m, am, e FROM unnest($1::text[], $2::text[], "
      "$3::text[], $4::text[], $5::smallint[], $6::text[], $7::text[], $8::text[], $9::bigint[], "
      "$10::text[]) AS t(a, l, r, b, ru, h, v, m, am, e)",
      pg::ArrayLiteral(ids), pg::ArrayLiteral(lines), pg::ArrayLiteral(refunds),
      pg::ArrayLiteral(bindings), pg::ArrayLiteral(rules), pg::ArrayLiteral(households),
      pg::ArrayLiteral(villages), pg::ArrayLiteral(months), pg::ArrayLiteral(amounts),
      pg::ArrayLiteral(events));
}

std::vector<v1::Attribution> AttributionsOf(pqxx::transaction_base& tx,
                                            const std::string& line_id) {
  std::vector<v1::Attribution> out;
  for (const auto& row : tx.exec_params(
           "SELECT attribution_id, binding_id, rule, household_id, village_code, amount_fen, "
           "month, event_id, coalesce(b.income_record_id, '') FROM attributions "
           "LEFT JOIN attribution_bookings b USING (event_id) WHERE line_id = $1 "
           "ORDER BY attribution_id",
           line_id)) {
    v1::Attribution a;
    a.set_attribution_id(row[0].as<std::string>());
    a.set_line_id(line_id);
    a.set_binding_id(row[1].as<std::string>());
    a.set_rule(static_cast<v1::BindingRule>(row[2].as<int>()));
    a.set_household_id(row[3].as<std::string>());
    a.set_village_code(row[4].as<std::string>());
    a.set_amount_fen(row[5].as<int64_t>());
    a.set_month(row[6].as<std::string>());
    a.set_event_id(row[7].as<std::string>());
    a.set_income_record_id(row[8].as<std::string>());
    out.push_back(std::move(a));
  }
  return out;
}

std::map<std::string, money::Fen> HeldOnLine(pqxx::transaction_base& tx,
                                             const std::string& line_id) {
  std::map<std::string, money::Fen> out;
  for (const auto& row : tx.exec_params("SELECT binding_id, sum(amount_fen)::bigint FROM "
                                        "attributions WHERE line_id = $1 GROUP BY binding_id",
                                        line_id)) {
    out[row[0].as<std::string>()] = row[1].as<int64_t>();
  }
  return out;
}

void MarkBookedMany(pqxx::transaction_base& tx,
                    const std::vector<std::pair<std::string, std::string>>& links) {
  if (links.empty()) return;
  std::vector<std::string> event_ids, record_ids;
  for (const auto& [event_id, record_id] : links) {
    event_ids.push_back(event_id);
    record_ids.push_back(record_id);
  }
  pg::ExecPrepared(
      tx, "consumption_mark_booked",
      "INSERT INTO attribution_bookings (event_id, income_record_id) SELECT b.event_id, "
      "b.record_id FROM unnest($1::text[], $2::text[]) AS b(event_id, record_id) "
      "JOIN attributions a USING (event_id) ON CONFLICT (event_id) DO NOTHING",
      pg::ArrayLiteral(event_ids), pg::ArrayLiteral(record_ids));
}

// ---- Policy and reports -------------------------------------------------------------------------

void InsertPolicy(pqxx::transaction_base& tx, const v1::ConsumptionPolicy& p) {
  tx.exec_params("INSERT INTO policies (owner_division, body) VALUES ($1, $2)",
                 p.owner_division_code(), MessageBytes(p));
}

std::optional<v1::ConsumptionPolicy> LoadPolicyFor(pqxx::transaction_base& tx,
                                                   const division::Code& division) {
  const auto r = tx.exec_params(
      "SELECT body FROM policies WHERE owner_division = ANY($1::text[]) "
      "ORDER BY length(rtrim(owner_division, '0')) DESC, seq DESC LIMIT 1",
      pg::ArrayLiteral(division::SelfAndAncestors(division)));
  if (r.empty()) return std::nullopt;
  return ParseMessage<v1::ConsumptionPolicy>(r[0][0]);
}

std::vector<v1::ConsumptionPolicy> PoliciesAlong(pqxx::transaction_base& tx,
                                                 const division::Code& division) {
  std::vector<v1::ConsumptionPolicy> out;
  for (const auto& row : tx.exec_params(
           "SELECT DISTINCT ON (owner_division) body FROM policies WHERE owner_division = "
           "ANY($1::text[]) ORDER BY owner_division, seq DESC",
           pg::ArrayLiteral(division::SelfAndAncestors(division)))) {
    out.push_back(ParseMessage<v1::ConsumptionPolicy>(row[0]));
  }
  return out;
}

std::vector<BuyerYear> LoadBuyerYears(pqxx::transaction_base& tx, const division::Code& division,
                                      int year) {
  std::vector<BuyerYear> out;
  const auto r = tx.exec_params(
      absl::StrCat(
          "WITH settled AS (SELECT buyer_id, sum(total_fen - refunded_fen) AS fen, "
          "count(*) FILTER (WHERE status = 5) AS n FROM orders WHERE status IN ",
          kSettled,
          " AND settled_on >= $2::date AND settled_on < $3::date GROUP BY buyer_id) "
          "SELECT b.body, coalesce(own.fen, 0), coalesce(own.n, 0), "
          "coalesce((SELECT sum(s.fen) FROM buyers c JOIN settled s ON s.buyer_id = c.buyer_id "
          "WHERE c.counts_toward = b.buyer_id), 0) "
          "FROM buyers b LEFT JOIN settled own ON own.buyer_id = b.buyer_id "
          "WHERE b.division_code LIKE $1 AND b.kind NOT IN (5, 6) ORDER BY b.buyer_id"),
      division::LikePattern(division), YearStart(year), NextYearStart(year));
  for (const auto& row : r) {
    BuyerYear by{.buyer = ParseMessage<v1::Buyer>(row[0])};
    by.purchases.own_fen = row[1].as<int64_t>();
    by.purchases.own_orders = row[2].as<int32_t>();
    by.purchases.counted_fen = by.purchases.own_fen + row[3].as<int64_t>();
    out.push_back(std::move(by));
  }
  return out;
}

v1::SalesReport LoadSales(pqxx::transaction_base& tx, const division::Code& division, int year) {
  v1::SalesReport out;
  out.set_division_code(division.str());
  out.set_year(year);
  const auto r = tx.exec_params(
      absl::StrCat("SELECT substr(o.buyer_division, 1, 2) || '0000000000', o.channel, "
                   "sum((l.quantity - l.refunded_quantity) * l.unit_price_fen), count(*) "
                   "FROM order_lines l JOIN orders o ON o.order_id = l.order_id "
                   "WHERE l.origin_county LIKE $1 AND o.status IN ",
                   kSettled,
                   " AND o.settled_on >= $2::date AND o.settled_on < $3::date "
                   "GROUP BY 1, 2 ORDER BY 1, 2"),
      division::LikePattern(division), YearStart(year), NextYearStart(year));
  int64_t total = 0;
  for (const auto& row : r) {
    auto* cell = out.add_cells();
    cell->set_buyer_province_code(row[0].as<std::string>());
    cell->set_channel(static_cast<v1::Channel>(row[1].as<int>()));
    cell->set_amount_fen(row[2].as<int64_t>());
    cell->set_lines(row[3].as<int64_t>());
    total += cell->amount_fen();
  }
  out.set_total_fen(total);
  return out;
}

v1::AttributionReport LoadAttributionReport(pqxx::transaction_base& tx,
                                            const division::Code& division, int year,
                                            const std::string& after_household, int limit) {
  v1::AttributionReport out;
  const std::string pattern = division::LikePattern(division);
  const std::string first = absl::StrCat(year, "-01"), last = absl::StrCat(year, "-12");
  for (const auto& row : tx.exec_params(
           "SELECT household_id, min(village_code), sum(amount_fen) FROM attributions "
           "WHERE village_code LIKE $1 AND month BETWEEN $2 AND $3 AND household_id > $4 "
           "GROUP BY household_id ORDER BY household_id LIMIT $5",
           pattern, first, last, after_household, limit + 1)) {
    if (out.households_size() == limit) {
      out.set_next_page_token(out.households(limit - 1).household_id());
      break;
    }
    auto* h = out.add_households();
    h->set_household_id(row[0].as<std::string>());
    h->set_village_code(row[1].as<std::string>());
    h->set_amount_fen(row[2].as<int64_t>());
  }
  if (after_household.empty()) {
    int64_t total = 0;
    for (const auto& row : tx.exec_params(
             "SELECT village_code, sum(amount_fen), count(DISTINCT household_id) FROM attributions "
             "WHERE village_code LIKE $1 AND month BETWEEN $2 AND $3 "
             "GROUP BY village_code ORDER BY village_code",
             pattern, first, last)) {
      auto* v = out.add_villages();
      v->set_village_code(row[0].as<std::string>());
      v->set_amount_fen(row[1].as<int64_t>());
      v->set_households(row[2].as<int32_t>());
      total += v->amount_fen();
    }
    out.set_total_fen(total);
  }
  return out;
}

}  // namespace zx::consumption
