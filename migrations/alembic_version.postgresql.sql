-- The version table, exactly as alembic creates it (no table options: on MySQL it takes the
-- database's default character set). The runner, not the revisions, writes its rows.
CREATE TABLE IF NOT EXISTS alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
