#!/usr/bin/python3
"""trigger_cases.py - run the rolling-upgrade trigger cases (ocata_expand01: is_public and
visibility kept in step) on a database that has the triggers, one line per case on stdout:

    trigger_cases.py URL [--reference-triggers]

Each case is an INSERT or UPDATE on images as a Newton service (is_public only), an Ocata or
later service (visibility only), or a faulty one (both, neither, NULL), in its own transaction;
the line gives the row after it (`is_public=1 visibility=public`) or `refused` when the write
failed with 'Invalid visibility value'. Any other error is printed as such. Two databases whose
triggers behave alike print the same lines.

--reference-triggers (MySQL/MariaDB only) first replaces the database's triggers by Glance's
own, taken from the installed reference (python3-glance), so that its lines are the oracle.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emcdb  # noqa: E402

MSG = 'Invalid visibility value'

# (name, setup insert or None, statement kind, values)
# setup: dict of is_public / visibility for a first, valid insert of the row
CASES = [
    ('insert is_public true', None, 'insert', {'is_public': True}),
    ('insert is_public false', None, 'insert', {'is_public': False}),
    ('insert visibility public', None, 'insert', {'visibility': 'public'}),
    ('insert visibility private', None, 'insert', {'visibility': 'private'}),
    ('insert visibility shared', None, 'insert', {'visibility': 'shared'}),
    ('insert visibility community', None, 'insert', {'visibility': 'community'}),
    ('insert both, agreeing', None, 'insert', {'is_public': True, 'visibility': 'public'}),
    ('insert both, disagreeing', None, 'insert', {'is_public': False, 'visibility': 'public'}),
    ('insert neither', None, 'insert', {}),
    ('insert is_public NULL', None, 'insert', {'is_public': None}),
    ('insert visibility NULL', None, 'insert', {'visibility': None}),
    ('update is_public false->true', {'is_public': False}, 'update', {'is_public': True}),
    ('update is_public true->false', {'is_public': True}, 'update', {'is_public': False}),
    ('update is_public ->NULL', {'is_public': True}, 'update', {'is_public': None}),
    ('update is_public same', {'is_public': True}, 'update', {'is_public': True}),
    ('update visibility ->public', {'visibility': 'private'}, 'update', {'visibility': 'public'}),
    ('update visibility ->community', {'visibility': 'public'}, 'update',
     {'visibility': 'community'}),
    ('update visibility ->shared', {'is_public': True}, 'update', {'visibility': 'shared'}),
    ('update visibility ->NULL', {'visibility': 'private'}, 'update', {'visibility': None}),
    ('update visibility same', {'visibility': 'community'}, 'update',
     {'visibility': 'community'}),
    ('update both changed', {'is_public': False}, 'update',
     {'is_public': True, 'visibility': 'public'}),
    ('update both, is_public same', {'is_public': False}, 'update',
     {'is_public': False, 'visibility': 'public'}),
    ('update both, visibility same', {'visibility': 'private'}, 'update',
     {'is_public': True, 'visibility': 'private'}),
    ('update name only', {'visibility': 'community'}, 'update', {'name': 'renamed'}),
]


def reference_triggers(conn):
    from glance.db.sqlalchemy.alembic_migrations.versions import \
        ocata_expand01_add_visibility as m
    cur = conn.cursor()
    cur.execute('DROP TRIGGER IF EXISTS insert_visibility')
    cur.execute('DROP TRIGGER IF EXISTS update_visibility')
    ins = m.MYSQL_INSERT_TRIGGER
    upd = m.MYSQL_UPDATE_TRIGGER
    cur.execute(ins % ((m.ERROR_MESSAGE,) * ins.count('%s')))
    cur.execute(upd % ((m.ERROR_MESSAGE,) * upd.count('%s')))
    conn.commit()


def run_case(backend, conn, n, case):
    name, setup, kind, vals = case
    p = emcdb.ph(backend)
    cur = conn.cursor()
    iid = 'trigger-case-%03d' % n
    base = {'id': iid, 'name': name, 'status': 'active', 'created_at': '2020-01-01 00:00:00',
            'deleted': emcdb.boolv(backend, False), 'min_disk': 0, 'min_ram': 0,
            'protected': emcdb.boolv(backend, False)}

    def insert(cols):
        row = dict(base)
        for k, v in cols.items():
            row[k] = emcdb.boolv(backend, v) if k == 'is_public' else v
        keys = list(row)
        cur.execute('INSERT INTO images (%s) VALUES (%s)' % (', '.join(keys),
                                                              ', '.join([p] * len(keys))),
                    [row[k] for k in keys])

    try:
        if setup is not None:
            insert(setup)
            conn.commit()
        if kind == 'insert':
            insert(vals)
        else:
            sets = ', '.join('%s = %s' % (k, p) for k in vals)
            cur.execute('UPDATE images SET %s WHERE id = %s' % (sets, p),
                        [emcdb.boolv(backend, v) if k == 'is_public' else v
                         for k, v in vals.items()] + [iid])
        conn.commit()
    except Exception as e:  # the driver's own error classes differ
        conn.rollback()
        text = str(e)
        return 'refused' if MSG in text else 'error %s' % text.strip().splitlines()[0]
    cur.execute('SELECT is_public, visibility FROM images WHERE id = %s' % p, [iid])
    row = cur.fetchone()
    conn.commit()
    return 'is_public=%s visibility=%s' % (emcdb.as_bool(row[0]), row[1])


def main():
    url = sys.argv[1]
    backend, conn = emcdb.connect(url)
    if '--reference-triggers' in sys.argv[2:]:
        if backend != 'mysql':
            raise SystemExit('--reference-triggers: Glance has triggers for MySQL only')
        reference_triggers(conn)
    for n, case in enumerate(CASES):
        print('%s: %s' % (case[0], run_case(backend, conn, n, case)))
    conn.close()


if __name__ == '__main__':
    main()
