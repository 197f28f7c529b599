-- Masked ID numbers keep the issuing region and the check digit only
-- (id_card::Mask). The earlier masks kept the last four characters, which
-- hid only the birth date; with the birth year shown beside them, a number
-- could be rebuilt from about 33 candidates. Re-mask what is stored.
UPDATE persons
   SET id_masked = CASE
         WHEN length(id_masked) >= 15
           THEN left(id_masked, 6) || repeat('*', length(id_masked) - 7) || right(id_masked, 1)
         ELSE repeat('*', length(id_masked))
       END
 WHERE id_masked <> CASE
         WHEN length(id_masked) >= 15
           THEN left(id_masked, 6) || repeat('*', length(id_masked) - 7) || right(id_masked, 1)
         ELSE repeat('*', length(id_masked))
       END;
