#!/usr/bin/python3
"""row_locker.py - a service holding a row lock, for the tests of what a batch does when it
meets one.

    row_locker.py URL TABLE TAIL LOG FLAG PATTERN LINGER [reference]

Picks the row `SELECT id FROM TABLE TAIL` (TAIL: a WHERE, ORDER BY, LIMIT... naming one row)
without locking it, then locks that row by its primary key (`SELECT ... FOR UPDATE`: by key,
because InnoDB would lock every row that a scan by another column reads), writes "locked" to
FLAG, waits until the file LOG contains PATTERN (at most 60 s), waits LINGER seconds more,
commits, and prints "held S s": how long it held the lock.

With `reference` (TABLE images), it takes the lock as Glance does when it tags an image: it
inserts an image_tags row that references the image, which the foreign key check makes hold a
shared lock on the image's row (PostgreSQL FOR KEY SHARE, InnoDB a shared record lock); the
commit then leaves the image referenced.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emcdb  # noqa: E402


def main():
    url, table, tail, log, flag, pattern, linger = sys.argv[1:8]
    reference = sys.argv[8:9] == ['reference']
    backend, c = emcdb.connect(url)
    cur = c.cursor()
    cur.execute("SELECT id FROM %s %s" % (table, tail))
    key = cur.fetchone()[0]
    ph = emcdb.ph(backend)
    if reference:
        cur.execute("INSERT INTO image_tags (image_id, value, created_at, updated_at, deleted) "
                    "VALUES (%s, 'held', %s, %s, %s)" % (ph, ph, ph, ph),
                    (key, '2026-01-01 00:00:00', '2026-01-01 00:00:00', False))
    else:
        cur.execute("SELECT id FROM %s WHERE id = %s FOR UPDATE" % (table, ph), (key,))
    with open(flag, 'w') as f:
        f.write('locked\n')
    t0 = time.time()
    while time.time() - t0 < 60:
        with open(log) as f:
            if pattern in f.read():
                break
        time.sleep(0.05)
    time.sleep(float(linger))
    c.commit()
    print('held %.1f s' % (time.time() - t0))


if __name__ == '__main__':
    main()
