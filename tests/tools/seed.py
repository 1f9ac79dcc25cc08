#!/usr/bin/python3
"""seed.py - fill a Glance database (schema already built, e.g. by `glance-emc db sync`) with a
synthetic, reproducible population for purge tests and benchmarks.

    seed.py URL [--images N] [--seed S] [--now 'YYYY-MM-DD HH:MM:SS'] [--blocked-share F]

URL: sqlite:///path, postgresql://user:pw@host:port/db or mysql://user:pw@host:port/db (a
SQLAlchemy driver suffix such as +psycopg2 or +pymysql is accepted). The same N, seed and now
give the same rows, ids included, on every backend, so two copies can be compared row by row.

What it writes, per image (averages): 5 image_properties, 1 image_location, 1.5 image_members,
2.5 image_tags; one task (with its task_info) per 10 images. 30% of the images and 40% of the
tasks are soft-deleted, deleted_at spread over the 400 days before now; the children of a
deleted image are deleted with it (a few seconds apart, as Glance's separate statements do);
about 4% of the children of live images are deleted on their own. --blocked-share (default 0.02)
of the deleted images keep one live child row: purge_images_table must skip those images.

Two choices keep purges comparable between two copies and two tools run minutes apart:
- every deleted_at is at least an hour away from the time of day of `now`, so a cutoff of now
  minus whole days, taken up to an hour later, selects the same rows;
- deleted_at values are unique within each table, so "the oldest max_rows rows" is one set
  whatever way a database breaks ties.
Prints the row counts per table as JSON on stdout.
"""
import argparse
import datetime as dt
import json
import os
import random
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emcdb  # noqa: E402

DAY = 86400
BATCH = 2000


def connect(url):
    """(backend, connection) by emcdb.connect; on SQLite without foreign-key checks: the seeder
    writes parents before children, and the checks would only slow a 1M-image seed."""
    backend, conn = emcdb.connect(url)
    if backend == 'sqlite':
        conn.execute('PRAGMA foreign_keys = OFF')
    return backend, conn


class Gen:
    """Generates the rows; knows nothing of the backend."""

    def __init__(self, n_images, seed, now, blocked_share):
        self.rng = random.Random(seed)
        self.n = n_images
        self.now = now
        self.blocked_share = blocked_share
        self.used = {}  # table -> set of deleted_at (seconds since epoch)
        self.next_id = {}
        self.rows = {t: [] for t in ('images', 'image_properties', 'image_locations',
                                     'image_members', 'image_tags', 'tasks', 'task_info')}
        self.now_s = int(now.replace(tzinfo=dt.timezone.utc).timestamp())

    def uid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def nid(self, table):
        self.next_id[table] = self.next_id.get(table, 0) + 1
        return self.next_id[table]

    def unique(self, table, t):
        s = self.used.setdefault(table, set())
        while t in s:
            t += 1
        s.add(t)
        return t

    def random_deleted_at(self, table):
        # whole days back, then a time of day at least an hour from now's
        d = self.rng.randrange(0, 400)
        s = self.rng.randrange(3600, DAY - 3600)
        return self.unique(table, self.now_s - d * DAY - s)

    def ts(self, secs):
        return dt.datetime(1970, 1, 1) + dt.timedelta(seconds=secs)

    def child(self, table, image_id, created, img_deleted, keep_live, extra):
        """one child row; deleted with its image unless keep_live"""
        rid = self.nid(table)
        if img_deleted is not None and not keep_live:
            dele = self.unique(table, img_deleted + self.rng.randrange(0, 5))
        elif img_deleted is None and self.rng.random() < 0.04:
            dele = self.random_deleted_at(table)
        else:
            dele = None
        self.rows[table].append(dict(id=rid, image_id=image_id, created_at=created,
                                     deleted_at=dele, **extra))

    def run(self):
        rng = self.rng
        images = []
        for i in range(self.n):
            iid = self.uid()
            deleted = self.random_deleted_at('images') if rng.random() < 0.30 else None
            created = (deleted if deleted else self.now_s) - rng.randrange(DAY, 400 * DAY)
            self.rows['images'].append(dict(
                id=iid, name='image-%d' % i, size=rng.randrange(1 << 20, 1 << 34),
                status='deleted' if deleted else 'active', created_at=created,
                deleted_at=deleted, disk_format=rng.choice(['qcow2', 'raw', 'vmdk', 'iso']),
                container_format='bare', checksum='%032x' % rng.getrandbits(128),
                owner='project-%d' % rng.randrange(200), min_disk=0, min_ram=0,
                visibility=rng.choice(['private', 'public', 'shared', 'community'])))
            images.append(iid)
            # which child (if any) stays live although the image is deleted
            live = None
            if deleted and rng.random() < self.blocked_share:
                live = rng.choice(['image_properties', 'image_locations', 'image_members',
                                   'image_tags'])
            for k in range(rng.choice([3, 4, 5, 6, 7])):
                self.child('image_properties', iid, created, deleted,
                           live == 'image_properties' and k == 0,
                           dict(name='prop_%d' % k, value='v%d' % rng.randrange(1000)))
            nloc = 2 if rng.random() < 0.0007 else 1
            for k in range(nloc):
                self.child('image_locations', iid, created, deleted,
                           live == 'image_locations' and k == 0,
                           dict(value='file:///var/lib/glance/images/%s.%d' % (iid, k),
                                meta_data='{}', status='active'))
            nmem = rng.choice([0, 1, 1, 2, 2, 3])
            if live == 'image_members' and nmem == 0:
                nmem = 1
            for k in range(nmem):
                self.child('image_members', iid, created, deleted,
                           live == 'image_members' and k == 0,
                           dict(member='project-%d' % (k * 50 + rng.randrange(50)),
                                can_share=rng.random() < 0.1, status='accepted'))
            ntag = rng.choice([0, 1, 2, 3, 4, 5])
            if live == 'image_tags' and ntag == 0:
                ntag = 1
            for k in range(ntag):
                self.child('image_tags', iid, created, deleted,
                           live == 'image_tags' and k == 0, dict(value='tag-%d' % k))
        for i in range(max(1, self.n // 10)):
            tid = self.uid()
            deleted = self.random_deleted_at('tasks') if rng.random() < 0.40 else None
            created = (deleted if deleted else self.now_s) - rng.randrange(DAY, 30 * DAY)
            self.rows['tasks'].append(dict(
                id=tid, type='import', status='success' if rng.random() < 0.9 else 'failure',
                owner='project-%d' % rng.randrange(200), created_at=created, deleted_at=deleted,
                image_id=rng.choice(images), request_id='req-%s' % self.uid()))
            self.rows['task_info'].append(dict(task_id=tid, input='{"import_from": "x"}',
                                               result='{}', message=''))
        return self.rows


COLUMNS = {
    'images': ['id', 'name', 'size', 'status', 'created_at', 'updated_at', 'deleted_at', 'deleted',
               'disk_format', 'container_format', 'checksum', 'owner', 'min_disk', 'min_ram',
               'protected', 'visibility', 'os_hidden'],
    'image_properties': ['id', 'image_id', 'name', 'value', 'created_at', 'updated_at',
                         'deleted_at', 'deleted'],
    'image_locations': ['id', 'image_id', 'value', 'created_at', 'updated_at', 'deleted_at',
                        'deleted', 'meta_data', 'status'],
    'image_members': ['id', 'image_id', 'member', 'can_share', 'created_at', 'updated_at',
                      'deleted_at', 'deleted', 'status'],
    'image_tags': ['id', 'image_id', 'value', 'created_at', 'updated_at', 'deleted_at',
                   'deleted'],
    'tasks': ['id', 'type', 'status', 'owner', 'created_at', 'updated_at', 'deleted_at',
              'deleted', 'image_id', 'request_id'],
    'task_info': ['task_id', 'input', 'result', 'message'],
}


def to_db(backend, gen, table, row):
    out = []
    for c in COLUMNS[table]:
        if c == 'deleted':
            v = row['deleted_at'] is not None
        elif c == 'updated_at':
            v = row['deleted_at'] if row.get('deleted_at') is not None else row['created_at']
        elif c in ('protected', 'os_hidden'):
            v = False
        else:
            v = row[c]
        if c in ('created_at', 'updated_at', 'deleted_at') and v is not None:
            v = gen.ts(v)
            if backend == 'sqlite':  # as SQLAlchemy stores DateTime in SQLite
                v = v.strftime('%Y-%m-%d %H:%M:%S.%f')
        if isinstance(v, bool) and backend != 'postgresql':
            v = int(v)
        out.append(v)
    return out


def existing_columns(backend, conn, table):
    cur = conn.cursor()
    if backend == 'sqlite':
        cur.execute('PRAGMA table_info(%s)' % table)
        return {r[1] for r in cur.fetchall()}
    schema = 'current_schema()' if backend == 'postgresql' else 'DATABASE()'
    cur.execute('SELECT column_name FROM information_schema.columns WHERE table_schema = %s '
                "AND table_name = '%s'" % (schema, table))
    return {r[0] for r in cur.fetchall()}


def insert(backend, conn, gen, table, rows):
    have = existing_columns(backend, conn, table)
    keep = [i for i, c in enumerate(COLUMNS[table]) if c in have]  # older schemas lack some
    cols = [COLUMNS[table][i] for i in keep]
    cur = conn.cursor()
    data = [[v[i] for i in keep] for v in (to_db(backend, gen, table, r) for r in rows)]
    if backend == 'postgresql':
        from psycopg2.extras import execute_values
        execute_values(cur, 'INSERT INTO %s (%s) VALUES %%s' % (table, ', '.join(cols)), data,
                       page_size=BATCH)
        return
    ph = ', '.join(['?' if backend == 'sqlite' else '%s'] * len(cols))
    sql = 'INSERT INTO %s (%s) VALUES (%s)' % (table, ', '.join(cols), ph)
    for i in range(0, len(data), BATCH):
        cur.executemany(sql, data[i:i + BATCH])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('url')
    ap.add_argument('--images', type=int, default=1000)
    ap.add_argument('--seed', type=int, default=42)
    ap.add_argument('--now', help="UTC 'YYYY-MM-DD HH:MM:SS' (default: the current time)")
    ap.add_argument('--blocked-share', type=float, default=0.02)
    args = ap.parse_args()
    if args.now:
        now = dt.datetime.strptime(args.now, '%Y-%m-%d %H:%M:%S')
    else:
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    gen = Gen(args.images, args.seed, now, args.blocked_share)
    rows = gen.run()
    backend, conn = connect(args.url)
    order = ['images', 'image_properties', 'image_locations', 'image_members', 'image_tags',
             'tasks', 'task_info']
    for t in order:
        insert(backend, conn, gen, t, rows[t])
    if backend == 'postgresql':
        cur = conn.cursor()
        for t in ('image_properties', 'image_locations', 'image_members', 'image_tags'):
            cur.execute("SELECT setval(pg_get_serial_sequence('%s', 'id'), "
                        "(SELECT COALESCE(MAX(id), 0) + 1 FROM %s), false)" % (t, t))
    conn.commit()
    conn.close()
    json.dump({t: len(rows[t]) for t in order}, sys.stdout, sort_keys=True)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
