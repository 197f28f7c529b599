#include "services/employment/domain/requests.h"

#include <gtest/gtest.h>

namespace zx::employment {
namespace {

// A Kashgar prefecture instance.
RequestEnv Env() { return {.instance = *division::Code::Parse("653100000000")}; }

v1::UpsertEmployerRequest PartnerEmployer(const std::string& division, const std::string& pp) {
  v1::UpsertEmployerRequest req;
  req.set_request_id("r-1");
  v1::Employer* e = req.mutable_employer();
  e->set_name("青岛示范电子厂");
  e->set_kind(v1::EMPLOYER_KIND_PARTNER_PROVINCE);
  e->set_division_code(division);
  e->set_partner_province(pp);
  return req;
}

std::string Errors(const v1::UpsertEmployerRequest& req) {
  errors::Validator v;
  Validate(req, Env(), v);
  return v.ok() ? "" : std::string(v.ToStatus().message());
}

TEST(EmployerDivision, PartnerRegistersAtItsOwnProvince) {
  EXPECT_EQ(Errors(PartnerEmployer("370000000000", "37")), "");
}

TEST(EmployerDivision, LocalStaffRegisterPartnerEmployersInsideTheInstance) {
  EXPECT_EQ(Errors(PartnerEmployer("653121000000", "37")), "");
}

TEST(EmployerDivision, AProvinceOtherThanTheEmployersOwnIsRefused) {
  // Shandong's employer filed under Guangdong, or below the province level.
  EXPECT_NE(Errors(PartnerEmployer("440000000000", "37")).find("employer.division_code"),
            std::string::npos);
  EXPECT_NE(Errors(PartnerEmployer("370200000000", "37")).find("employer.division_code"),
            std::string::npos);
}

TEST(EmployerDivision, OwnRegionIsNoPartnerAndOtherKindsStayInside) {
  EXPECT_NE(Errors(PartnerEmployer("650000000000", "65")).find("must be inside 653100000000"),
            std::string::npos);
  v1::UpsertEmployerRequest local = PartnerEmployer("370000000000", "");
  local.mutable_employer()->set_kind(v1::EMPLOYER_KIND_ENTERPRISE);
  EXPECT_NE(Errors(local).find("must be inside 653100000000"), std::string::npos);
}

}  // namespace
}  // namespace zx::employment
