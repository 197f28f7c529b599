// zx-employment: 就业帮扶 (workers, jobs, matching, placements, wages, posts).
#include "services/employment/api/employment_service.h"

int main(int argc, char** argv) {
  return zx::server::RunServiceMain(zx::employment::EmploymentSpec(), argc, argv);
}
