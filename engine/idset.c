/* idset.c - see idset.h */
#include "idset.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct slot {
    uint32_t hash;
    size_t member; /* the member's index plus one; 0 = empty slot */
};

/* the members in the order added: member i's key is arena + moff[i], NUL-terminated, of length
 * moff[i + 1] - moff[i] - 1; marks[i] is set once by idset_mark */
struct idset {
    struct slot *slots;
    size_t nslots; /* a power of two, at least twice the members */
    size_t n;
    size_t *moff;
    atomic_uchar *marks;
    size_t ncap; /* members moff (plus one) and marks have room for */
    atomic_size_t nmarked;
    char *arena;
    size_t used, cap;
};

/* key_hash: 8 bytes at a time, each folded in by a multiply and a shift (a byte-at-a-time
 * hash was a tenth of the SQLite preview's time, on 36-byte UUIDs) */
static uint32_t key_hash(const char *key, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15u ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, key + i, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDu;
        h ^= h >> 32;
    }
    uint64_t w = 0;
    memcpy(&w, key + i, n - i);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53u;
    h ^= h >> 29;
    return (uint32_t)h;
}

struct idset *idset_new(void)
{
    struct idset *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    atomic_init(&s->nmarked, 0);
    s->nslots = 1024;
    s->slots = calloc(s->nslots, sizeof(*s->slots));
    if (!s->slots) {
        free(s);
        return NULL;
    }
    return s;
}

void idset_free(struct idset *s)
{
    if (!s)
        return;
    free(s->slots);
    free(s->marks);
    free(s->moff);
    free(s->arena);
    free(s);
}

static size_t key_len(const struct idset *s, size_t m)
{
    return s->moff[m + 1] - s->moff[m] - 1;
}

/* find: the slot holding key, or the empty slot where it would go */
static struct slot *find(const struct idset *s, const char *key, size_t n, uint32_t h)
{
    size_t mask = s->nslots - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct slot *sl = &s->slots[i];
        if (!sl->member)
            return sl;
        size_t m = sl->member - 1;
        if (sl->hash == h && key_len(s, m) == n && memcmp(s->arena + s->moff[m], key, n) == 0)
            return sl;
    }
}

static int grow(struct idset *s)
{
    size_t nn = s->nslots * 2;
    struct slot *ns = calloc(nn, sizeof(*ns));
    if (!ns)
        return -1;
    for (size_t i = 0; i < s->nslots; i++) {
        if (!s->slots[i].member)
            continue;
        size_t j = s->slots[i].hash & (nn - 1);
        while (ns[j].member)
            j = (j + 1) & (nn - 1);
        ns[j] = s->slots[i];
    }
    free(s->slots);
    s->slots = ns;
    s->nslots = nn;
    return 0;
}

/* reserve: room for one more member and its key of n bytes (and NUL) */
static int reserve(struct idset *s, size_t n)
{
    if ((s->n + 1) * 2 > s->nslots && grow(s) < 0)
        return -1;
    if (s->used + n + 1 > s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 65536;
        while (nc < s->used + n + 1)
            nc *= 2;
        char *na = realloc(s->arena, nc);
        if (!na)
            return -1;
        s->arena = na;
        s->cap = nc;
    }
    if (s->n == s->ncap) {
        size_t nc = s->ncap ? s->ncap * 2 : 1024;
        size_t *no = realloc(s->moff, (nc + 1) * sizeof(*no));
        if (!no)
            return -1;
        s->moff = no;
        s->moff[s->n] = s->used;
        atomic_uchar *nm = realloc(s->marks, nc * sizeof(*nm));
        if (!nm)
            return -1;
        for (size_t i = s->ncap; i < nc; i++)
            atomic_init(&nm[i], 0);
        s->marks = nm;
        s->ncap = nc;
    }
    return 0;
}

int idset_add(struct idset *s, const char *key, size_t n)
{
    if (n > UINT32_MAX || reserve(s, n) < 0)
        return -1;
    uint32_t h = key_hash(key, n);
    struct slot *sl = find(s, key, n, h);
    if (sl->member)
        return 0;
    memcpy(s->arena + s->used, key, n);
    s->arena[s->used + n] = '\0';
    s->used += n + 1;
    *sl = (struct slot){.hash = h, .member = ++s->n};
    s->moff[s->n] = s->used;
    return 0;
}

int idset_mark(struct idset *s, const char *key, size_t n)
{
    if (n > UINT32_MAX)
        return 0;
    struct slot *sl = find(s, key, n, key_hash(key, n));
    if (!sl->member)
        return 0;
    /* the first mark counts; concurrent markers race only on the exchange */
    if (atomic_exchange_explicit(&s->marks[sl->member - 1], 1, memory_order_relaxed) == 0)
        atomic_fetch_add_explicit(&s->nmarked, 1, memory_order_relaxed);
    return 1;
}

const char *idset_member(const struct idset *s, size_t i, size_t *n)
{
    if (i >= s->n) {
        *n = 0;
        return NULL;
    }
    *n = key_len(s, i);
    return s->arena + s->moff[i];
}

size_t idset_size(const struct idset *s)
{
    return s->n;
}

size_t idset_marked(struct idset *s)
{
    return atomic_load(&s->nmarked);
}
