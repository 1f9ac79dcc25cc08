-- ocata_expand01 (SQLite): add images.visibility and make images.is_public nullable.
--
-- SQLite cannot alter a column, so Glance's batch_alter_table rebuilds the table: a new table
-- _alembic_tmp_images, a copy of the rows, the old table dropped, the new one renamed, and the
-- indexes created again. The rebuilt table loses the CHECK constraints of images (the reflected
-- definition has none) and writes the default of `protected` as `0` instead of `(0)`: the
-- reference does the same. Glance adds visibility before the rebuild; here it is part of the
-- rebuilt table directly, in the same (last) position, with the same result.

DROP TABLE IF EXISTS _alembic_tmp_images;

CREATE TABLE _alembic_tmp_images (
    id VARCHAR(36) NOT NULL,
    name VARCHAR(255),
    size BIGINT,
    status VARCHAR(30) NOT NULL,
    is_public BOOLEAN,
    created_at DATETIME NOT NULL,
    updated_at DATETIME,
    deleted_at DATETIME,
    deleted BOOLEAN NOT NULL,
    disk_format VARCHAR(20),
    container_format VARCHAR(20),
    checksum VARCHAR(32),
    owner VARCHAR(255),
    min_disk INTEGER NOT NULL,
    min_ram INTEGER NOT NULL,
    protected BOOLEAN DEFAULT 0 NOT NULL,
    virtual_size BIGINT,
    visibility VARCHAR(9),
    PRIMARY KEY (id)
);

INSERT INTO _alembic_tmp_images (id, name, size, status, is_public, created_at, updated_at,
        deleted_at, deleted, disk_format, container_format, checksum, owner, min_disk, min_ram,
        protected, virtual_size)
    SELECT id, name, size, status, is_public, created_at, updated_at,
        deleted_at, deleted, disk_format, container_format, checksum, owner, min_disk, min_ram,
        protected, virtual_size
    FROM images;

DROP TABLE images;

ALTER TABLE _alembic_tmp_images RENAME TO images;

CREATE INDEX IF NOT EXISTS checksum_image_idx ON images (checksum);

CREATE INDEX IF NOT EXISTS created_at_image_idx ON images (created_at);

CREATE INDEX IF NOT EXISTS ix_images_deleted ON images (deleted);

CREATE INDEX IF NOT EXISTS ix_images_is_public ON images (is_public);

CREATE INDEX IF NOT EXISTS owner_image_idx ON images (owner);

CREATE INDEX IF NOT EXISTS updated_at_image_idx ON images (updated_at);

CREATE INDEX IF NOT EXISTS visibility_image_idx ON images (visibility);
