-- emc:window image_locations.id
-- Rename the key "backend" to "store" in image_locations.meta_data. A row changed no longer
-- holds "backend":. The runner walks image_locations.id in windows of at most a batch of ids
-- (lo <= id <= hi; the first line above, migrations/README.md): each batch reads its window
-- through the primary key, so it costs the same at the end of the table as at its start, where
-- looking for the next rows that hold "backend": would read again, batch after batch, every row
-- already done.
UPDATE image_locations
SET meta_data = REPLACE(meta_data, '"backend":', '"store":')
WHERE id BETWEEN :lo AND :hi
  AND INSTR(meta_data, '"backend":') > 0;
