-- ocata_contract01 (SQLite): drop images.is_public (and its index), make images.visibility
-- NOT NULL DEFAULT 'shared'.
--
-- SQLite cannot drop or alter such a column in place, so Glance rebuilds images (batch_alter_table:
-- twice, once for the drop and once for the alter; one rebuild to the final definition gives the
-- same table). A rebuild copies every column the table has at that moment, and which columns that
-- is depends on the expand revisions already applied: this file is for a database
-- with rocky_expand02 (os_hidden, os_hash_algo, os_hash_value): what `db sync` does, since it
-- runs the whole expand branch first.
--
-- Copying a row whose visibility is still NULL fails (NOT NULL constraint), as in the reference:
-- ocata_migrate01 must have run first.

DROP TABLE IF EXISTS _alembic_tmp_images;

CREATE TABLE _alembic_tmp_images (
    id VARCHAR(36) NOT NULL,
    name VARCHAR(255),
    size BIGINT,
    status VARCHAR(30) NOT NULL,
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
    visibility VARCHAR(9) DEFAULT 'shared' NOT NULL,
    os_hidden BOOLEAN DEFAULT 0 NOT NULL,
    os_hash_algo VARCHAR(64),
    os_hash_value VARCHAR(128),
    PRIMARY KEY (id)
);

INSERT INTO _alembic_tmp_images (id, name, size, status, created_at, updated_at, deleted_at,
        deleted, disk_format, container_format, checksum, owner, min_disk, min_ram, protected,
        virtual_size, visibility, os_hidden, os_hash_algo, os_hash_value)
    SELECT id, name, size, status, created_at, updated_at, deleted_at,
        deleted, disk_format, container_format, checksum, owner, min_disk, min_ram, protected,
        virtual_size, visibility, os_hidden, os_hash_algo, os_hash_value
    FROM images;

DROP TABLE images;

ALTER TABLE _alembic_tmp_images RENAME TO images;

CREATE INDEX IF NOT EXISTS checksum_image_idx ON images (checksum);

CREATE INDEX IF NOT EXISTS created_at_image_idx ON images (created_at);

CREATE INDEX IF NOT EXISTS ix_images_deleted ON images (deleted);

CREATE INDEX IF NOT EXISTS os_hash_value_image_idx ON images (os_hash_value);

CREATE INDEX IF NOT EXISTS os_hidden_image_idx ON images (os_hidden);

CREATE INDEX IF NOT EXISTS owner_image_idx ON images (owner);

CREATE INDEX IF NOT EXISTS updated_at_image_idx ON images (updated_at);

CREATE INDEX IF NOT EXISTS visibility_image_idx ON images (visibility);
