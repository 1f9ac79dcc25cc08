-- Rename the key "backend" to "store" in image_locations.meta_data, at most :batch rows per
-- batch. A row changed no longer holds "backend":.
UPDATE image_locations
SET meta_data = REPLACE(meta_data, '"backend":', '"store":')
WHERE id IN (
    SELECT id FROM image_locations
    WHERE INSTR(meta_data, '"backend":') > 0
    ORDER BY id
    LIMIT :batch);
