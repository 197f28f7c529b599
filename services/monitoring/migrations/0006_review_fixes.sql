-- A masked ID number plus a full birth date is the full ID number: keep only
-- the birth year in clear (the full date is in the sealed ID number).
ALTER TABLE persons ADD COLUMN birth_year smallint;
UPDATE persons SET birth_year = extract(year FROM birth_date);
ALTER TABLE persons ALTER COLUMN birth_year SET NOT NULL;
ALTER TABLE persons DROP COLUMN birth_date;

-- Two versions of one owner taking effect on the same day could not be
-- ordered; refuse the second at publication.
CREATE UNIQUE INDEX policies_owner_year_effective
  ON policies (owner_division_code, year, effective_from);
