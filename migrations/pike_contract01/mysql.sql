-- pike_contract01: drop the glare artifact tables (children first).

DROP TABLE IF EXISTS artifact_blob_locations;

DROP TABLE IF EXISTS artifact_properties;

DROP TABLE IF EXISTS artifact_blobs;

DROP TABLE IF EXISTS artifact_dependencies;

DROP TABLE IF EXISTS artifact_tags;

DROP TABLE IF EXISTS artifacts;
