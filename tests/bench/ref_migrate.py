#!/usr/bin/python3
"""ref_migrate.py - run the reference's data migration ocata_migrate01 (Glance's own Python,
Debian's python3-glance: three UPDATEs over the whole table) on a database, timing each
statement (for migrate_bench.sh).

    ref_migrate.py SQLALCHEMY-URL

Prints "rows N wall S longest S": rows changed, wall time, the longest statement (each one
commits by itself, so it is also the longest transaction).
"""
import sys
import time

from sqlalchemy import create_engine, event

from glance.db.sqlalchemy.alembic_migrations.data_migrations import \
    ocata_migrate01_community_images as m


def main():
    engine = create_engine(sys.argv[1])
    times = []

    @event.listens_for(engine, 'before_cursor_execute')
    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info['t0'] = time.time()

    @event.listens_for(engine, 'after_cursor_execute')
    def after(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith('UPDATE'):
            times.append(time.time() - conn.info['t0'])

    t0 = time.time()
    rows = m.migrate(engine)
    wall = time.time() - t0
    print('rows %d wall %.3f longest %.3f' % (rows, wall, max(times) if times else 0))


if __name__ == '__main__':
    main()
