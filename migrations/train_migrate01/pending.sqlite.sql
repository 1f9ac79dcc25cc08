-- Locations whose meta_data still names its store with the pre-Train key "backend".
SELECT COUNT(*) FROM image_locations WHERE INSTR(meta_data, '"backend":') > 0;
