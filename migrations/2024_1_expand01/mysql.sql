-- 2024_1_expand01: the tables of the centralized image cache (node_reference, cached_images).
-- InnoDB adds an index named node_reference_id to cached_images for its foreign key (the unique
-- key does not start with that column), as it does for Glance.

CREATE TABLE IF NOT EXISTS node_reference (
    node_reference_id BIGINT NOT NULL AUTO_INCREMENT,
    node_reference_url VARCHAR(255) NOT NULL,
    PRIMARY KEY (node_reference_id),
    CONSTRAINT uq_node_reference_node_reference_url UNIQUE (node_reference_url)
) ENGINE=InnoDB CHARSET=utf8;

CREATE TABLE IF NOT EXISTS cached_images (
    id BIGINT NOT NULL AUTO_INCREMENT,
    image_id VARCHAR(36) NOT NULL,
    last_accessed DATETIME NOT NULL,
    last_modified DATETIME NOT NULL,
    size BIGINT NOT NULL,
    hits INTEGER NOT NULL,
    checksum VARCHAR(32),
    node_reference_id BIGINT NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(node_reference_id) REFERENCES node_reference (node_reference_id),
    CONSTRAINT ix_cached_images_image_id_node_reference_id UNIQUE (image_id, node_reference_id)
) ENGINE=InnoDB CHARSET=utf8;
