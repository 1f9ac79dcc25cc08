#!/usr/bin/python3
"""latency_writer.py - a release n service writing images while a data migration runs, timing
each write (for migrate_bench.sh).

    latency_writer.py URL --stop-file F --out FILE

Until F exists: every 5 ms or so, one write in its own transaction, alternately an UPDATE of
the visibility of an existing image (picked at random among 5000) and an INSERT of a new image
(id 'lat-N', visibility only), on a loopback connection. Each write's start (epoch seconds) and
duration go to FILE as "start seconds ok|error"; a write that fails is logged and the writer
goes on.
"""
import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import emcdb  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('url')
    ap.add_argument('--stop-file', required=True)
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    backend, conn = emcdb.connect(a.url, autocommit=True, timeout=600)
    p = emcdb.ph(backend)
    cur = conn.cursor()
    cur.execute("SELECT id FROM images WHERE id NOT LIKE 'lat-%' LIMIT 5000")
    ids = [r[0] for r in cur.fetchall()]
    rng = random.Random(7)
    out = open(a.out, 'w')
    n = 0
    while not os.path.exists(a.stop_file):
        n += 1
        t0 = time.time()
        ok = 'ok'
        try:
            if n % 2:
                cur.execute('UPDATE images SET visibility = %s WHERE id = %s' % (p, p),
                            [rng.choice(['private', 'public', 'shared', 'community']),
                             rng.choice(ids)])
            else:
                cur.execute('INSERT INTO images (id, name, status, created_at, deleted, min_disk, '
                            'min_ram, protected, visibility) VALUES (%s)' % ', '.join([p] * 9),
                            ['lat-%07d' % n, 'lat', 'active', '2024-01-01 00:00:00',
                             emcdb.boolv(backend, False), 0, 0, emcdb.boolv(backend, False),
                             'private'])
        except Exception as e:  # each driver has its own classes
            ok = 'error:' + ' '.join(str(e).split())[:80]
            if backend == 'postgresql':
                conn.rollback()
        out.write('%.6f %.6f %s\n' % (t0, time.time() - t0, ok))
        out.flush()
        time.sleep(0.005)
    out.close()
    conn.close()


if __name__ == '__main__':
    main()
