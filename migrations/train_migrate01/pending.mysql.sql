-- Locations whose meta_data still names its store with the pre-Train key "backend".
-- (Compared as bytes: MySQL's INSTR ignores case on a utf8 column, REPLACE does not.)
SELECT COUNT(*) FROM image_locations WHERE INSTR(meta_data, CAST('"backend":' AS BINARY)) > 0;
