#include "services/federation/domain/federation.h"

#include <gtest/gtest.h>

#include "google/protobuf/text_format.h"

namespace zx::federation {
namespace {

division::Code Code(const std::string& text) { return *division::Code::Parse(text); }

v1::FederationConfig Config(const std::string& text) {
  v1::FederationConfig c;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &c)) << text;
  return c;
}

const char kKashgar[] = R"pb(
  level: LEVEL_PREFECTURE
  parent { division_code: "650000000000" level: LEVEL_REGION address: "127.0.0.1:1" }
  children { division_code: "653121000000" level: LEVEL_COUNTY address: "127.0.0.1:2" }
  children { division_code: "653122000000" level: LEVEL_COUNTY address: "127.0.0.1:3" }
  partners { division_code: "370000000000" level: LEVEL_PARTNER grants: "federation.report.read" }
)pb";

auth::Principal Instance(const std::string& cn) { return *auth::PrincipalFromCertificate(cn); }

TEST(Topology, AcceptsAPrefectureWithItsParentChildrenAndPartner) {
  auto t = BuildTopology(Code("653100000000"), Config(kKashgar));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->parent()->division.str(), "650000000000");
  EXPECT_EQ(t->children().size(), 2u);
  EXPECT_EQ(t->ChildContaining(Code("653122103000"))->division.str(), "653122000000");
  EXPECT_EQ(t->ChildContaining(Code("653201000000")), nullptr);
}

TEST(Topology, ACountyIsOnlyEverTheChildOfItsOwnPrefecture) {
  auto t = BuildTopology(
      Code("653121000000"), Config(R"pb(
        level: LEVEL_COUNTY
        parent { division_code: "653200000000" level: LEVEL_PREFECTURE address: "127.0.0.1:1" }
      )pb"));
  ASSERT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("parent.division_code"), std::string::npos) << t.status();
  EXPECT_NE(t.status().message().find("can only be the child of 653100000000"), std::string::npos);
}

TEST(Topology, RefusesChildrenNotDirectlyBelowAndWrongLevels) {
  auto t = BuildTopology(
      Code("653100000000"), Config(R"pb(
        level: LEVEL_COUNTY
        children { division_code: "653201000000" level: LEVEL_COUNTY address: "127.0.0.1:2" }
        children { division_code: "653121000000" level: LEVEL_PREFECTURE address: "" }
        partners { division_code: "650000000000" level: LEVEL_PARTNER grants: "everything" }
      )pb"));
  ASSERT_FALSE(t.ok());
  const std::string m(t.status().message());
  EXPECT_NE(m.find("level"), std::string::npos) << m;
  EXPECT_NE(m.find("653201000000 is not directly below 653100000000"), std::string::npos) << m;
  EXPECT_NE(m.find("children[1].level"), std::string::npos) << m;
  EXPECT_NE(m.find("children[1].address"), std::string::npos) << m;
  EXPECT_NE(m.find("another province"), std::string::npos) << m;
  EXPECT_NE(m.find("unknown grant"), std::string::npos) << m;
}

TEST(IdentifyPeer, KnowsConfiguredPeersAndRefusesEveryoneElseWithTheReason) {
  auto t = *BuildTopology(Code("653100000000"), Config(kKashgar));
  EXPECT_EQ((*IdentifyPeer(t, Instance("county:653121000000")))->relation, Relation::kChild);
  EXPECT_EQ((*IdentifyPeer(t, Instance("region:650000000000")))->relation, Relation::kParent);
  EXPECT_EQ((*IdentifyPeer(t, Instance("partner:370000000000")))->relation, Relation::kPartner);

  auto other_county = IdentifyPeer(t, Instance("county:653123000000"));
  EXPECT_EQ(other_county.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(other_county.status().message().find("not a configured child"), std::string::npos);

  auto foreign = IdentifyPeer(t, Instance("county:653201000000"));
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(foreign.status().message().find("does not belong to"), std::string::npos);

  EXPECT_EQ(IdentifyPeer(t, Instance("partner:440000000000")).status().code(),
            absl::StatusCode::kPermissionDenied);
  auth::Principal person{"li", auth::Role::kCountyOfficial, Code("653121000000"), "", ""};
  EXPECT_EQ(IdentifyPeer(t, person).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(CheckEnvelopeAllowed, ReportsGoUpPoliciesAndApprovalsGoDown) {
  auto t = *BuildTopology(Code("653100000000"), Config(kKashgar));
  const Peer& child = *t.Find(Code("653121000000"), Relation::kChild);
  const Peer& parent = *t.parent();
  v1::Envelope report;
  report.mutable_report()->mutable_report()->set_division_code("653121000000");
  EXPECT_TRUE(CheckEnvelopeAllowed(child, report).ok());
  EXPECT_FALSE(CheckEnvelopeAllowed(parent, report).ok());
  // A child reporting for another county is refused.
  report.mutable_report()->mutable_report()->set_division_code("653122000000");
  EXPECT_EQ(CheckEnvelopeAllowed(child, report).code(), absl::StatusCode::kPermissionDenied);

  v1::Envelope policy;
  policy.mutable_policy()->mutable_policy()->set_owner_division_code("650000000000");
  EXPECT_TRUE(CheckEnvelopeAllowed(parent, policy).ok());
  EXPECT_FALSE(CheckEnvelopeAllowed(child, policy).ok());
  v1::Envelope approval;
  approval.mutable_approval();
  EXPECT_TRUE(CheckEnvelopeAllowed(parent, approval).ok());
  EXPECT_FALSE(CheckEnvelopeAllowed(child, approval).ok());
  EXPECT_FALSE(CheckEnvelopeAllowed(child, v1::Envelope{}).ok());
}

TEST(CheckEnvelopeAllowed, AcksPoliciesAndDirectiveStepsStayOnThePeersOwnLine) {
  auto t = *BuildTopology(Code("653100000000"), Config(kKashgar));
  const Peer& child = *t.Find(Code("653121000000"), Relation::kChild);
  const Peer& parent = *t.parent();
  v1::Envelope ack;
  ack.mutable_policy_ack()->mutable_ack()->set_division_code("653121000000");
  EXPECT_TRUE(CheckEnvelopeAllowed(child, ack).ok());
  ack.mutable_policy_ack()->mutable_ack()->set_division_code("653122000000");
  EXPECT_FALSE(CheckEnvelopeAllowed(child, ack).ok()) << "an ack for the sibling";
  v1::Envelope policy;
  policy.mutable_policy()->mutable_policy()->set_owner_division_code("650000000000");
  EXPECT_TRUE(CheckEnvelopeAllowed(parent, policy).ok());
  policy.mutable_policy()->mutable_policy()->set_owner_division_code("653100000000");
  EXPECT_FALSE(CheckEnvelopeAllowed(parent, policy).ok()) << "owned below the parent";
  v1::Envelope step;
  step.mutable_directive()->mutable_directive()->set_target_division_code("653121101201");
  EXPECT_TRUE(CheckEnvelopeAllowed(child, step).ok());
  step.mutable_directive()->mutable_directive()->set_target_division_code("653122101201");
  EXPECT_FALSE(CheckEnvelopeAllowed(child, step).ok()) << "a step on the sibling's directive";
  v1::Envelope escalation;
  auto* raised = escalation.mutable_escalation()->mutable_escalation();
  raised->set_raiser_division_code("653121000000");
  raised->set_status(v1::ESCALATION_STATUS_RAISED);
  raised->set_subject_division_code("653121101201");
  EXPECT_TRUE(CheckEnvelopeAllowed(child, escalation).ok());
  raised->set_subject_division_code("653122000000");
  EXPECT_EQ(CheckEnvelopeAllowed(child, escalation).code(), absl::StatusCode::kPermissionDenied)
      << "an escalation about the sibling county";
  raised->set_subject_division_code("650000000000");
  EXPECT_FALSE(CheckEnvelopeAllowed(child, escalation).ok()) << "about the region above";
}

TEST(ValidateEnvelope, NamesTheBadFieldOfAPeersEnvelope) {
  v1::Envelope report;
  report.mutable_report()->mutable_report()->set_period("2026-13");
  report.mutable_report()->mutable_report()->set_revision(1);
  auto s = ValidateEnvelope(report, 3);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("envelopes[3].report.report.period"), std::string::npos) << s;
  v1::Envelope directive;
  directive.mutable_directive()->mutable_directive()->set_directive_id("dr-x");
  directive.mutable_directive()->mutable_directive()->set_deadline("2026-12-31");
  EXPECT_NE(ValidateEnvelope(directive, 0).message().find("directive_id"), std::string::npos);
  EXPECT_FALSE(ValidateEnvelope(v1::Envelope{}, 0).ok());
  EXPECT_TRUE(IsDirectiveStep(v1::DIRECTIVE_STATUS_ISSUED, v1::DIRECTIVE_STATUS_ACKNOWLEDGED));
  EXPECT_FALSE(IsDirectiveStep(v1::DIRECTIVE_STATUS_ISSUED, v1::DIRECTIVE_STATUS_COMPLETED));
  EXPECT_FALSE(IsDirectiveStep(v1::DIRECTIVE_STATUS_COMPLETED, v1::DIRECTIVE_STATUS_ISSUED));
}

v1::DeliverRequest Seqs(std::initializer_list<int64_t> seqs) {
  v1::DeliverRequest r;
  for (int64_t s : seqs) r.add_envelopes()->set_seq(s);
  return r;
}

TEST(EnvelopesToApply, SkipsDuplicatesAndStopsAtTheFirstGap) {
  EXPECT_EQ(EnvelopesToApply(0, Seqs({1, 2, 3})), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(EnvelopesToApply(2, Seqs({1, 2, 3, 4})), (std::vector<int>{2, 3}));
  EXPECT_EQ(EnvelopesToApply(2, Seqs({1, 2})), (std::vector<int>{}));
  EXPECT_EQ(EnvelopesToApply(0, Seqs({2, 3})), (std::vector<int>{}));
  EXPECT_EQ(EnvelopesToApply(0, Seqs({1, 3, 4})), (std::vector<int>{0}));
  EXPECT_EQ(EnvelopesToApply(0, Seqs({1, 1, 2})), (std::vector<int>{0, 2}));
}

TEST(SumRollups, AddsCountsAndWeighsMeans) {
  zx::monitoring::v1::Rollup a, b;
  a.set_households(10);
  a.mutable_household_colours()->set_red(2);
  a.set_assessed_households(10);
  a.set_mean_per_capita_net_income_fen(1000);
  (*a.mutable_counters())["households"] = 10;
  auto* s = a.add_objects_by_state();
  s->set_name("county_confirmed");
  s->set_count(1);
  b.set_households(30);
  b.mutable_household_colours()->set_red(1);
  b.set_assessed_households(30);
  b.set_mean_per_capita_net_income_fen(2000);
  (*b.mutable_counters())["households"] = 30;
  s = b.add_objects_by_state();
  s->set_name("county_confirmed");
  s->set_count(4);
  auto sum = SumRollups({&a, &b}, "653100000000");
  EXPECT_EQ(sum.division_code(), "653100000000");
  EXPECT_EQ(sum.households(), 40);
  EXPECT_EQ(sum.household_colours().red(), 3);
  EXPECT_EQ(sum.mean_per_capita_net_income_fen(), 1750);  // (10*1000 + 30*2000) / 40
  EXPECT_EQ(sum.counters().at("households"), 40);
  ASSERT_EQ(sum.objects_by_state_size(), 1);
  EXPECT_EQ(sum.objects_by_state(0).count(), 5);
  EXPECT_EQ(sum.median_per_capita_net_income_fen(), 0);  // not additive: left unset
}

TEST(MissingChildren, ListsChildrenWithoutAReport) {
  auto t = *BuildTopology(Code("653100000000"), Config(kKashgar));
  EXPECT_EQ(MissingChildren(t, {"653121000000"}), (std::vector<std::string>{"653122000000"}));
  EXPECT_TRUE(MissingChildren(t, {"653122000000", "653121000000"}).empty());
}

TEST(AdvanceDirective, FollowsIssuedAcknowledgedInProgressCompleted) {
  EXPECT_EQ(*AdvanceDirective(v1::DIRECTIVE_STATUS_ISSUED, v1::DIRECTIVE_STEP_ACKNOWLEDGE),
            v1::DIRECTIVE_STATUS_ACKNOWLEDGED);
  EXPECT_EQ(*AdvanceDirective(v1::DIRECTIVE_STATUS_ACKNOWLEDGED, v1::DIRECTIVE_STEP_START),
            v1::DIRECTIVE_STATUS_IN_PROGRESS);
  EXPECT_EQ(*AdvanceDirective(v1::DIRECTIVE_STATUS_IN_PROGRESS, v1::DIRECTIVE_STEP_COMPLETE),
            v1::DIRECTIVE_STATUS_COMPLETED);
  EXPECT_EQ(*AdvanceDirective(v1::DIRECTIVE_STATUS_ACKNOWLEDGED, v1::DIRECTIVE_STEP_COMPLETE),
            v1::DIRECTIVE_STATUS_COMPLETED);
  EXPECT_EQ(
      AdvanceDirective(v1::DIRECTIVE_STATUS_ISSUED, v1::DIRECTIVE_STEP_COMPLETE).status().code(),
      absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(AdvanceDirective(v1::DIRECTIVE_STATUS_COMPLETED, v1::DIRECTIVE_STEP_ACKNOWLEDGE)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  // Overdue stays overdue until it is completed.
  EXPECT_EQ(*AdvanceDirective(v1::DIRECTIVE_STATUS_OVERDUE, v1::DIRECTIVE_STEP_ACKNOWLEDGE),
            v1::DIRECTIVE_STATUS_OVERDUE);
  EXPECT_EQ(*AdvanceDirective(v1::DIRECTIVE_STATUS_OVERDUE, v1::DIRECTIVE_STEP_COMPLETE),
            v1::DIRECTIVE_STATUS_COMPLETED);
}

TEST(Escalations, TravelUpRaisedAndComeBackDecidedOnce) {
  auto t = *BuildTopology(Code("653100000000"), Config(kKashgar));
  const Peer& child = *t.Find(Code("653121000000"), Relation::kChild);
  const Peer& parent = *t.parent();
  v1::Envelope raised;
  auto* e = raised.mutable_escalation()->mutable_escalation();
  e->set_raiser_division_code("653121000000");
  e->set_subject_division_code("653121000000");
  e->set_status(v1::ESCALATION_STATUS_RAISED);
  EXPECT_TRUE(CheckEnvelopeAllowed(child, raised).ok());
  e->set_raiser_division_code("653122000000");
  EXPECT_FALSE(CheckEnvelopeAllowed(child, raised).ok()) << "raised for another county";
  EXPECT_FALSE(CheckEnvelopeAllowed(parent, raised).ok()) << "a parent does not raise";
  e->set_status(v1::ESCALATION_STATUS_APPROVED);
  EXPECT_TRUE(CheckEnvelopeAllowed(parent, raised).ok());
  EXPECT_FALSE(CheckEnvelopeAllowed(child, raised).ok()) << "a child does not decide";

  EXPECT_TRUE(
      CheckEscalationDecision(v1::ESCALATION_STATUS_RAISED, v1::ESCALATION_STATUS_NOTED).ok());
  EXPECT_EQ(CheckEscalationDecision(v1::ESCALATION_STATUS_APPROVED, v1::ESCALATION_STATUS_REJECTED)
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      CheckEscalationDecision(v1::ESCALATION_STATUS_RAISED, v1::ESCALATION_STATUS_RAISED).code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(IsOverdue, OnlyOpenDirectivesPastTheirDeadline) {
  v1::Directive d;
  d.set_deadline("2026-11-20");
  d.set_status(v1::DIRECTIVE_STATUS_IN_PROGRESS);
  EXPECT_FALSE(IsOverdue(d, absl::CivilDay(2026, 11, 20)));
  EXPECT_TRUE(IsOverdue(d, absl::CivilDay(2026, 11, 21)));
  d.set_status(v1::DIRECTIVE_STATUS_COMPLETED);
  EXPECT_FALSE(IsOverdue(d, absl::CivilDay(2026, 11, 21)));
}

TEST(Backoff, DoublesUpToTheCapScaledByJitter) {
  const auto initial = absl::Milliseconds(100), max = absl::Seconds(30);
  EXPECT_EQ(Backoff(1, initial, max, 1.0), absl::Milliseconds(100));
  EXPECT_EQ(Backoff(4, initial, max, 1.0), absl::Milliseconds(800));
  EXPECT_EQ(Backoff(40, initial, max, 1.0), absl::Seconds(30));
  EXPECT_EQ(Backoff(4, initial, max, 0.5), absl::Milliseconds(400));
  EXPECT_EQ(Backoff(4, initial, max, 0.1), absl::Milliseconds(400));  // jitter clamped
}

TEST(PrincipalFromCertificate, ReadsLevelAndDivision) {
  auto p = auth::PrincipalFromCertificate("county:653121000000");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->role, auth::Role::kCountyOfficial);
  EXPECT_EQ(p->instance_level, "county");
  auto partner = auth::PrincipalFromCertificate("partner:370000000000");
  ASSERT_TRUE(partner.ok());
  EXPECT_EQ(partner->partner_province, "370000000000");
  EXPECT_FALSE(auth::PrincipalFromCertificate("county").ok());
  EXPECT_FALSE(auth::PrincipalFromCertificate("mayor:653121000000").ok());
  EXPECT_FALSE(auth::PrincipalFromCertificate("county:65312").ok());
}

}  // namespace
}  // namespace zx::federation
