-- Rename the key "backend" to "store" in image_locations.meta_data, at most :batch rows per
-- batch. A row changed no longer holds "backend":. (MySQL allows no LIMIT in an IN subquery,
-- but a single-table UPDATE takes ORDER BY and LIMIT.)
UPDATE image_locations
SET meta_data = REPLACE(meta_data, '"backend":', '"store":')
WHERE INSTR(meta_data, CAST('"backend":' AS BINARY)) > 0
ORDER BY id
LIMIT :batch;
