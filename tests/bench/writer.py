#!/usr/bin/python3
"""writer.py - a small concurrent writer for purge benchmarks: until STOPFILE exists, in a loop,
one transaction that inserts a live image_properties row for a live image and updates that
image's updated_at; each transaction timed. Prints JSON: count, p50_ms, p99_ms, max_ms, failed.
A transaction the database fails (a lock wait that runs out: MariaDB gives up after 50 s) is
rolled back, counted in failed, and its time until the failure counts as its latency.

    writer.py URL STOPFILE [--pause S]

URL as tests/tools/seed.py takes it. A lock wait is part of the latency (SQLite waits up to 120 s).
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import emcdb  # noqa: E402


def connect(url):
    # SQLite without an implicit transaction (write() opens its own, BEGIN IMMEDIATE), waiting
    # up to 120 s for the lock as the tools do
    return emcdb.connect(url, autocommit=False, timeout=120) if not url.startswith('sqlite') \
        else emcdb.connect(url, autocommit=True, timeout=120)


def write(backend, conn, cur, ph, img, name, stamp):
    if backend == 'sqlite':
        cur.execute('BEGIN IMMEDIATE')
    cur.execute('INSERT INTO image_properties (image_id, name, value, created_at, deleted) '
                'VALUES (%s, %s, %s, %s, %s)' % (ph, ph, ph, ph, ph),
                (img, name, 'x', stamp, False if backend == 'postgresql' else 0))
    cur.execute('UPDATE images SET updated_at = %s WHERE id = %s' % (ph, ph), (stamp, img))
    if backend == 'sqlite':
        cur.execute('COMMIT')
    else:
        conn.commit()


def main():
    url, stopfile = sys.argv[1], sys.argv[2]
    pause = float(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == '--pause' else 0.01
    backend, conn = connect(url)
    ph = '?' if backend == 'sqlite' else '%s'
    cur = conn.cursor()
    cur.execute('SELECT id FROM images WHERE deleted_at IS NULL ORDER BY id LIMIT 50')
    live = [r[0] for r in cur.fetchall()]
    if backend != 'sqlite':
        conn.commit()
    lat = []
    i = failed = 0
    stamp = time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())
    pid = os.getpid()
    while not os.path.exists(stopfile):
        img = live[i % len(live)]
        t0 = time.perf_counter()
        try:
            write(backend, conn, cur, ph, img, 'w%d_%d' % (pid, i), stamp)
        except Exception:  # the driver's own error classes differ; any failure is a failed write
            failed += 1
            try:
                if backend == 'sqlite':
                    cur.execute('ROLLBACK')
                else:
                    conn.rollback()
            except Exception:
                pass
        lat.append((time.perf_counter() - t0) * 1000)
        i += 1
        time.sleep(pause)
    conn.close()
    lat.sort()

    def pct(p):
        return round(lat[min(len(lat) - 1, int(p * len(lat)))], 2) if lat else None
    json.dump({'count': len(lat), 'p50_ms': pct(0.50), 'p99_ms': pct(0.99),
               'max_ms': round(lat[-1], 2) if lat else None, 'failed': failed}, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
