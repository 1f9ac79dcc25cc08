-- Locations whose meta_data still names its store with the pre-Train key "backend".
SELECT COUNT(*) FROM image_locations WHERE POSITION('"backend":' IN meta_data) > 0;
