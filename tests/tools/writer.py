#!/usr/bin/python3
"""writer.py - a Glance service writing images during a rolling upgrade, and the check of what
such writers leave (issue 4 item 6).

    writer.py run URL --role old|new --log FILE [--duration S] [--max-ops N] [--stop-file F]
                      [--seed-prefix P] [--seed 1]
    writer.py check URL OLD_LOG NEW_LOG

`run` writes until --duration seconds pass, --max-ops writes are done or --stop-file exists,
one write per transaction, a few milliseconds apart, on loopback connections only:
- role old writes as release n-1 (Newton) does: images.is_public only. It inserts images
  (`old-...`) and flips is_public on its own images and on the seed images whose id starts with
  --seed-prefix (default `seed-old-`).
- role new writes as release n does: images.visibility only. It inserts images (`new-...`) and
  sets visibility on its own images and on the seed images `seed-new-...`; one update in fifty
  sets visibility to NULL, which release n never means: the triggers (or, once contracted, the
  NOT NULL constraint) must refuse it. That update is made only of a row that has a visibility
  (`AND visibility IS NOT NULL`): on a row not yet migrated it would change nothing, and the
  reference's triggers let it through; one that matches no row is logged as {"noop"}.
Each write that succeeds is logged as a JSON line {"id", "is_public" | "visibility"}; a write
that fails is logged as {"error", "refused"} where refused says whether it was one of those the
schema exists to refuse. The last line is a summary {"ok", "refused", "failed"}.

`check` reads both logs and the database (after the upgrade) and prints one line per problem,
exit status 1 when there is any: a write that failed other than as designed, an image lost,
an image whose visibility is not what its last write meant (is_public true: public; false:
private or shared; a visibility: itself), a seed image left alone whose visibility is not what
the data migration gives (public; shared with a live member; private).
"""
import argparse
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emcdb  # noqa: E402

REFUSALS = ('Invalid visibility value', 'NOT NULL constraint failed', 'not-null constraint',
            'cannot be null', 'null value in column')


def refused(text):
    return any(r in text for r in REFUSALS)


def run(args):
    backend, conn = emcdb.connect(args.url, autocommit=True, timeout=60)
    if backend == 'postgresql':
        conn.cursor().execute("SET statement_timeout = '120s'")
    rng = random.Random('%s-%s' % (args.role, args.seed))
    p = emcdb.ph(backend)
    cur = conn.cursor()
    cur.execute('SELECT id FROM images WHERE id LIKE %s ORDER BY id' % p,
                [args.seed_prefix + '%'])
    mine = [r[0] for r in cur.fetchall()]
    log = open(args.log, 'w')
    counts = {'ok': 0, 'refused': 0, 'failed': 0, 'noop': 0}
    end = time.time() + args.duration
    n = 0
    while n < args.max_ops and time.time() < end and not (
            args.stop_file and os.path.exists(args.stop_file)):
        n += 1
        try:
            if not mine or rng.random() < 0.4:
                iid = '%s-%06d' % (args.role, n)
                cols = {'id': iid, 'name': 'w-%s' % iid, 'status': 'active',
                        'created_at': '2024-01-01 00:00:00',
                        'deleted': emcdb.boolv(backend, False), 'min_disk': 0, 'min_ram': 0,
                        'protected': emcdb.boolv(backend, False)}
                if args.role == 'old':
                    val = {'is_public': rng.random() < 0.5}
                    cols['is_public'] = emcdb.boolv(backend, val['is_public'])
                else:
                    val = {'visibility': rng.choice(['private', 'public', 'shared', 'community'])}
                    cols.update(val)
                keys = list(cols)
                cur.execute('INSERT INTO images (%s) VALUES (%s)' % (
                    ', '.join(keys), ', '.join([p] * len(keys))), [cols[k] for k in keys])
                mine.append(iid)
            else:
                iid = rng.choice(mine)
                if args.role == 'old':
                    val = {'is_public': rng.random() < 0.5}
                    cur.execute('UPDATE images SET is_public = %s WHERE id = %s' % (p, p),
                                [emcdb.boolv(backend, val['is_public']), iid])
                elif rng.random() < 0.02:
                    # a visibility to NULL, which the schema must refuse. A row the data
                    # migration has not reached yet has no visibility: setting NULL there
                    # changes nothing, and the reference's triggers let such an update through
                    # (NEW.visibility <=> OLD.visibility), so only rows with a value are probed
                    val = {'visibility': None}
                    cur.execute('UPDATE images SET visibility = NULL WHERE id = %s AND '
                                'visibility IS NOT NULL' % p, [iid])
                    if cur.rowcount == 0:
                        val = {'noop': iid}
                else:
                    val = {'visibility': rng.choice(['private', 'public', 'shared', 'community'])}
                    cur.execute('UPDATE images SET visibility = %s WHERE id = %s' % (p, p),
                                [val['visibility'], iid])
            if 'noop' in val:
                counts['noop'] += 1
                log.write(json.dumps(val) + '\n')
            elif 'visibility' in val and val['visibility'] is None:
                # the schema let an invalid write through
                counts['failed'] += 1
                log.write(json.dumps({'id': iid, 'error': 'visibility NULL accepted',
                                      'refused': False}) + '\n')
            else:
                counts['ok'] += 1
                log.write(json.dumps(dict(id=iid, **val)) + '\n')
        except Exception as e:  # each driver has its own error classes
            text = ' '.join(str(e).split())
            ok = refused(text)
            counts['refused' if ok else 'failed'] += 1
            log.write(json.dumps({'error': text[:300], 'refused': ok}) + '\n')
            if backend != 'sqlite':
                try:
                    conn.rollback()
                except Exception:
                    pass
        log.flush()
        time.sleep(rng.uniform(0.001, 0.006))
    log.write(json.dumps(counts) + '\n')
    log.close()
    conn.close()
    return 0


def read_log(path):
    last, summary, errors = {}, None, []
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            if 'ok' in e and 'failed' in e:
                summary = e
            elif 'error' in e:
                errors.append(e)
            elif 'noop' in e:
                continue
            else:
                last[e['id']] = e
    return last, summary, errors


def check(args):
    problems = []
    logs = {}
    for role, path in (('old', args.old_log), ('new', args.new_log)):
        last, summary, errors = read_log(path)
        logs[role] = last
        if summary is None:
            problems.append('%s writer: no summary line (did it die?)' % role)
        for e in errors:
            if not e['refused']:
                problems.append('%s writer: a write failed: %s' % (role, e['error']))
        if summary and summary['ok'] == 0:
            problems.append('%s writer: no write succeeded' % role)
    backend, conn = emcdb.connect(args.url)
    cur = conn.cursor()
    cur.execute('SELECT id, visibility FROM images')
    vis = dict(cur.fetchall())
    cur.execute('SELECT DISTINCT image_id FROM image_members WHERE NOT deleted')
    members = {r[0] for r in cur.fetchall()}
    seed_meta = {}
    cur.execute("SELECT id, name FROM images WHERE id LIKE 'seed-%'")
    for iid, name in cur.fetchall():
        seed_meta[iid] = name
    conn.close()
    inserted = 0
    for role, last in logs.items():
        for iid, e in last.items():
            if iid.startswith(role + '-'):
                inserted += 1
            if iid not in vis:
                problems.append('image %s (written by the %s writer) is lost' % (iid, role))
                continue
            v = vis[iid]
            if 'visibility' in e:
                if v != e['visibility']:
                    problems.append('image %s: visibility %s, the new writer last wrote %s' %
                                    (iid, v, e['visibility']))
            elif e['is_public'] and v != 'public':
                problems.append('image %s: visibility %s, the old writer last wrote is_public '
                                'true' % (iid, v))
            elif not e['is_public'] and v not in ('private', 'shared'):
                problems.append('image %s: visibility %s, the old writer last wrote is_public '
                                'false' % (iid, v))
    written = set(logs['old']) | set(logs['new'])
    for iid, name in seed_meta.items():
        if iid in written:
            continue
        # name holds the seed's is_public: seed-pub / seed-priv
        want = 'public' if name.startswith('pub') else (
            'shared' if iid in members else 'private')
        if vis[iid] != want:
            problems.append('seed image %s (%s): visibility %s, the migration gives %s' %
                            (iid, name, vis[iid], want))
    seeds = len(seed_meta)
    if len(vis) != seeds + inserted:
        problems.append('%d images, expected %d seeds + %d inserted' % (len(vis), seeds,
                                                                         inserted))
    for p in problems[:50]:
        print(p)
    if len(problems) > 50:
        print('... %d more' % (len(problems) - 50))
    return 1 if problems else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    r = sub.add_parser('run')
    r.add_argument('url')
    r.add_argument('--role', choices=['old', 'new'], required=True)
    r.add_argument('--log', required=True)
    r.add_argument('--duration', type=float, default=60)
    r.add_argument('--max-ops', type=int, default=100000)
    r.add_argument('--stop-file')
    r.add_argument('--seed-prefix')
    r.add_argument('--seed', type=int, default=1)
    c = sub.add_parser('check')
    c.add_argument('url')
    c.add_argument('old_log')
    c.add_argument('new_log')
    args = ap.parse_args()
    if args.cmd == 'run':
        if not args.seed_prefix:
            args.seed_prefix = 'seed-%s-' % args.role
        return run(args)
    return check(args)


if __name__ == '__main__':
    sys.exit(main())
