/* The breadth-first search of `checker.analysis.engine.search`, compiled.
 *
 * Only the loop is here: the hash sets, the assembly of one endpoint's
 * moves from memoised pieces and the graph arrays. What a move *is* stays
 * in Python (`checker.analysis.space._Space` through the engine's `_Host`):
 * on the first sight of a piece's key the host is asked, and its answer
 * (interned part and channel ids) is kept here. So the semantics live once,
 * in the table and `space`, and the successors come out in exactly the
 * order `_Space.successors` yields them (a test compares node for node with
 * the plain search and with the pure-Python `engine.search`).
 *
 * A global state is (L_A, L_B, C_AB, C_BA, old SYN): interned endpoint parts
 * and channels, packed as the engine's int k = lo | hi << 59 with
 * lo = old | C_BA << 1 | C_AB << 30 and hi = L_A | L_B << 29.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define W 29
#define F ((1u << W) - 1)

/* ---- an open-addressing hash map: 128-bit key -> uint64 value ---- */

typedef struct {
    uint64_t *k0, *k1, *val;
    uint8_t *used;
    size_t cap, n; /* cap a power of two */
} Map;

static uint64_t mix(uint64_t a, uint64_t b) {
    uint64_t h = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull + (a << 6) + (a >> 2));
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
    return h;
}

static int map_init(Map *m, size_t cap) {
    m->cap = cap;
    m->n = 0;
    m->k0 = malloc(cap * sizeof(uint64_t));
    m->k1 = malloc(cap * sizeof(uint64_t));
    m->val = malloc(cap * sizeof(uint64_t));
    m->used = calloc(cap, 1);
    if (!m->k0 || !m->k1 || !m->val || !m->used) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void map_free(Map *m) {
    free(m->k0);
    free(m->k1);
    free(m->val);
    free(m->used);
    m->k0 = m->k1 = m->val = NULL;
    m->used = NULL;
}

/* The slot of the key: found (used) or where it goes. */
static inline size_t map_slot(const Map *m, uint64_t a, uint64_t b) {
    size_t mask = m->cap - 1, i = mix(a, b) & mask;
    while (m->used[i] && (m->k0[i] != a || m->k1[i] != b))
        i = (i + 1) & mask;
    return i;
}

static int map_grow(Map *m) {
    Map g;
    if (map_init(&g, m->cap * 2) < 0)
        return -1;
    for (size_t i = 0; i < m->cap; i++)
        if (m->used[i]) {
            size_t j = map_slot(&g, m->k0[i], m->k1[i]);
            g.used[j] = 1;
            g.k0[j] = m->k0[i];
            g.k1[j] = m->k1[i];
            g.val[j] = m->val[i];
        }
    g.n = m->n;
    map_free(m);
    *m = g;
    return 0;
}

/* Put a new key (its slot from map_slot, not used). */
static inline int map_put(Map *m, size_t slot, uint64_t a, uint64_t b, uint64_t v) {
    m->used[slot] = 1;
    m->k0[slot] = a;
    m->k1[slot] = b;
    m->val[slot] = v;
    if (++m->n * 2 > m->cap)
        return map_grow(m);
    return 0;
}

/* ---- growable arrays (_growable.h) ---- */

#include "_growable.h"
GROWABLE(U32s, uint32_t, u32_push, PyErr_NoMemory())

/* Growable arrays inside Python bytearrays, for what the search hands back
 * (keys, offsets, targets): the bytearray itself goes to Python, no copy (at
 * k=3 with loss and reordering the edges alone are 2.5 GB). The GIL is held. */
#define BA_GROWABLE(Name, T, push)                                                     \
    GROWABLE_STORE(Name, T, push, PyObject *ba;, {                                    \
        if (!a->ba && !(a->ba = PyByteArray_FromStringAndSize(NULL, 0)))              \
            return -1;                                                                \
        if (PyByteArray_Resize(a->ba, (Py_ssize_t)(c * sizeof(T))) < 0)               \
            return -1;                                                                \
        p = (T *)PyByteArray_AS_STRING(a->ba);                                        \
    })

BA_GROWABLE(K32s, uint32_t, k32_push)
BA_GROWABLE(K64s, uint64_t, k64_push)

/* The bytearray *ba cut to nbytes (a new reference, *ba emptied; NULL on error). */
static PyObject *ba_take(PyObject **ba, size_t nbytes) {
    PyObject *r = *ba ? *ba : PyByteArray_FromStringAndSize(NULL, 0);
    *ba = NULL;
    if (r && PyByteArray_Resize(r, (Py_ssize_t)nbytes) < 0) {
        Py_DECREF(r);
        return NULL;
    }
    return r;
}

/* ---- the set of global states: slot = (node id + 1) << 32 | 32 bits of the
 * key's hash, 0 empty; the key itself is read from keys_lo/keys_hi by the id.
 * 8 bytes a slot instead of the Map's 25 (at k=3 with loss and reordering,
 * 67.8M states: 1.1 GB instead of 6.7 GB). ---- */

typedef struct {
    uint64_t *slot;
    size_t cap, n; /* cap a power of two; kept under 70% full */
} IdSet;

static int ids_init(IdSet *m, size_t cap) {
    m->cap = cap;
    m->n = 0;
    m->slot = calloc(cap, sizeof(uint64_t));
    if (!m->slot) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* The node id of (lo, hi), or -1 with *where its empty slot. */
static inline int64_t ids_find(const IdSet *m, const K64s *klo, const K64s *khi, uint64_t lo, uint64_t hi,
                               uint64_t h, size_t *where) {
    size_t mask = m->cap - 1, i = h & mask;
    uint64_t fp = h >> 32;
    for (;;) {
        uint64_t e = m->slot[i];
        if (!e) {
            *where = i;
            return -1;
        }
        if ((e & 0xffffffffu) == fp) {
            size_t id = (size_t)(e >> 32) - 1;
            if (klo->v[id] == lo && khi->v[id] == hi)
                return (int64_t)id;
        }
        i = (i + 1) & mask;
    }
}

/* Put node `id` (its key already at keys_lo/keys_hi[id]) into the empty slot `where`. */
static int ids_put(IdSet *m, const K64s *klo, const K64s *khi, size_t where, uint64_t h, uint32_t id) {
    m->slot[where] = ((uint64_t)id + 1) << 32 | (h >> 32);
    if (++m->n * 10 <= m->cap * 7)
        return 0;
    IdSet g;
    if (ids_init(&g, m->cap * 2) < 0)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        uint64_t e = m->slot[i];
        if (!e)
            continue;
        size_t k = (size_t)(e >> 32) - 1, j = mix(klo->v[k], khi->v[k]) & (g.cap - 1);
        while (g.slot[j])
            j = (j + 1) & (g.cap - 1);
        g.slot[j] = e;
    }
    g.n = m->n;
    free(m->slot);
    *m = g;
    return 0;
}

/* ---- the search ---- */

enum { P_SPONT, P_TW, P_DELIV, P_FAULTS, P_OLD, P_APP, P_ROOM };

typedef struct {
    PyObject *host;
    /* what the host interned, mirrored: per part its incarnation count, its
       ISS and whether it must be renumbered; per channel its length */
    PyObject *py_inc, *py_iss, *py_hot, *py_chan_len;
    U32s inc, iss, chan_len;
    U32s hot; /* 0/1 */
    Map pieces;  /* (kind | side, key) -> offset << 20 | count into pool */
    U32s pool;   /* piece entries, 2 or 4 uint32 each */
    PyObject *brokes; /* list: pool's broke index - 1 -> the host's object */
    int cap, many, lossy;
} S;

static int mirror_list(PyObject *list, U32s *into) {
    Py_ssize_t n = PyList_GET_SIZE(list);
    for (Py_ssize_t i = (Py_ssize_t)into->n; i < n; i++) {
        long x = PyLong_AsLong(PyList_GET_ITEM(list, i));
        if (x == -1 && PyErr_Occurred())
            return -1;
        if (u32_push(into, (uint32_t)x) < 0)
            return -1;
    }
    return 0;
}

/* After any call into the host: copy what it interned since. */
static int mirror(S *s) {
    if (mirror_list(s->py_inc, &s->inc) < 0 || mirror_list(s->py_iss, &s->iss) < 0 ||
        mirror_list(s->py_chan_len, &s->chan_len) < 0)
        return -1;
    Py_ssize_t n = PyByteArray_GET_SIZE(s->py_hot);
    const char *h = PyByteArray_AS_STRING(s->py_hot);
    for (Py_ssize_t i = (Py_ssize_t)s->hot.n; i < n; i++)
        if (u32_push(&s->hot, (uint32_t)h[i]) < 0)
            return -1;
    return 0;
}

static uint32_t as_u32(PyObject *o, int *err) {
    long x = PyLong_AsLong(o);
    if (x == -1 && PyErr_Occurred())
        *err = 1;
    return (uint32_t)x;
}

/* The pool entry (offset << 20 | count) of a piece under (kind, side,
   extra, key), if known. */
static inline int piece_known(S *s, uint64_t a, uint64_t key, uint64_t *out) {
    size_t slot = map_slot(&s->pieces, a, key);
    if (!s->pieces.used[slot])
        return 0;
    *out = s->pieces.val[slot];
    return 1;
}

/* A miss: `method(*args)` of the host returns a sequence of tuples of
   `width` ints (for P_DELIV the 4th item is what broke: falsy for nothing)
   or, for width 1, of bare ints; kept in the pool under (a, key). */
static int piece_fill(S *s, int kind, uint64_t a, uint64_t key, uint64_t *out, const char *method, PyObject *args,
                      int width) {
    if (!args)
        return -1;
    PyObject *fn = PyObject_GetAttrString(s->host, method);
    if (!fn) {
        Py_DECREF(args);
        return -1;
    }
    PyObject *r = PyObject_CallObject(fn, args);
    Py_DECREF(fn);
    Py_DECREF(args);
    if (!r)
        return -1;
    PyObject *seq = PySequence_Fast(r, "a piece is a sequence");
    Py_DECREF(r);
    if (!seq)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    uint64_t off = s->pool.n;
    int err = 0;
    if (n >= (1 << 20)) {
        PyErr_SetString(PyExc_OverflowError, "a piece with more than 2^20 moves");
        err = 1;
    }
    for (Py_ssize_t i = 0; i < n && !err; i++) {
        PyObject *e = PySequence_Fast_GET_ITEM(seq, i);
        if (width == 1) {
            uint32_t v = as_u32(e, &err);
            if (!err && u32_push(&s->pool, v) < 0)
                err = 1;
            continue;
        }
        for (int j = 0; j < width && !err; j++) {
            PyObject *x = PyTuple_GetItem(e, j);
            if (!x) {
                err = 1;
                break;
            }
            uint32_t v = 0;
            if (kind == P_DELIV && j == 3) {
                int t = PyObject_IsTrue(x);
                if (t < 0 || (t && PyList_Append(s->brokes, x) < 0)) {
                    err = 1;
                    break;
                }
                if (t)
                    v = (uint32_t)PyList_GET_SIZE(s->brokes);
            } else
                v = as_u32(x, &err);
            if (!err && u32_push(&s->pool, v) < 0)
                err = 1;
        }
    }
    Py_DECREF(seq);
    if (err || mirror(s) < 0)
        return -1;
    *out = (off << 20) | (uint64_t)n;
    return map_put(&s->pieces, map_slot(&s->pieces, a, key), a, key, *out);
}

#define KEY_A(kind, side, extra) (((uint64_t)(extra) << 16) | ((uint64_t)(side) << 8) | (uint64_t)(kind))
/* e <- the piece, asking the host on a miss (args built only then) */
#define PIECE(kind, side, extra, key, method, width, ...)                                                        \
    do {                                                                                                         \
        uint64_t a_ = KEY_A(kind, side, extra), k_ = (key);                                                      \
        if (!piece_known(s, a_, k_, &e) &&                                                                       \
            piece_fill(s, kind, a_, k_, &e, method, Py_BuildValue(__VA_ARGS__), width) < 0)                      \
            return -1;                                                                                           \
    } while (0)

/* A channel with the channel `items` appended (interned by the host). */
static int app(S *s, uint32_t c, uint32_t items, uint32_t *out) {
    uint64_t e;
    PIECE(P_APP, 0, 0, ((uint64_t)c << 32) | items, "app", 1, "(II)", c, items);
    *out = s->pool.v[e >> 20];
    return 0;
}

typedef struct {
    uint32_t own, cout, cin, old, broke;
} Move;

typedef struct {
    Move *v;
    size_t n, cap;
} Moves;

static int move_push(Moves *m, uint32_t own, uint32_t cout, uint32_t cin, uint32_t old, uint32_t broke) {
    if (m->n == m->cap) {
        size_t c = m->cap ? m->cap * 2 : 64;
        Move *p = realloc(m->v, c * sizeof(Move));
        if (!p) {
            PyErr_NoMemory();
            return -1;
        }
        m->v = p;
        m->cap = c;
    }
    Move x = {own, cout, cin, old, broke};
    m->v[m->n++] = x;
    return 0;
}

/* One endpoint's moves, in `_Space.side_successors`'s order (the engine's
   `_side_moves`): user calls and timeouts while there is room, TIME-WAIT's
   end on an empty network, deliveries and faults of the inbox, the old SYN. */
static int side_moves(S *s, int side, uint32_t L, uint32_t P, uint32_t cout, uint32_t cin, uint32_t old,
                      uint32_t cab, uint32_t cba, Moves *out) {
    uint64_t e;
    uint32_t room;
    out->n = 0;
    if (s->many) {
        uint32_t mine = s->inc.v[L], peer = s->inc.v[P];
        PIECE(P_ROOM, 0, ((uint64_t)mine << 24) | peer, ((uint64_t)cout << 32) | cin, "room", 1, "(IIII)", cout, cin,
              mine, peer);
        room = s->pool.v[e >> 20];
    } else {
        uint32_t lo = s->chan_len.v[cout], li = s->chan_len.v[cin];
        room = li <= (uint32_t)s->cap ? (lo < (uint32_t)s->cap ? (uint32_t)s->cap - lo : 0) : 0;
    }
    if (room) {
        PIECE(P_SPONT, side, 0, ((uint64_t)L << 4) | room, "spont", 2, "(iII)", side, L, room);
        for (uint64_t j = 0, n = e & 0xFFFFF; j < n; j++) {
            /* copied out first: app may grow (realloc) the pool under a pointer into it */
            const uint32_t *p = s->pool.v + (e >> 20) + 2 * j;
            uint32_t own = p[0], items = p[1], c = cout;
            if (items && app(s, cout, items, &c) < 0)
                return -1;
            if (move_push(out, own, c, cin, old, 0) < 0)
                return -1;
        }
    }
    if (!cab && !cba) {
        PIECE(P_TW, side, 0, L, "tw", 2, "(iI)", side, L);
        for (uint64_t j = 0, n = e & 0xFFFFF; j < n; j++) {
            const uint32_t *p = s->pool.v + (e >> 20) + 2 * j;
            uint32_t own = p[0], items = p[1], c = 0;
            if (items && app(s, 0, items, &c) < 0)
                return -1;
            if (move_push(out, own, c, 0, old, 0) < 0)
                return -1;
        }
    }
    if (cin) {
        PIECE(P_DELIV, side, 0, ((uint64_t)L << 32) | cin, "deliv", 4, "(iII)", side, L, cin);
        for (uint64_t j = 0, n = e & 0xFFFFF; j < n; j++) {
            const uint32_t *p = s->pool.v + (e >> 20) + 4 * j;
            uint32_t own = p[0], items = p[1], rest = p[2], broke = p[3], c = cout;
            if (items && app(s, cout, items, &c) < 0)
                return -1;
            if (move_push(out, own, c, rest, old, broke) < 0)
                return -1;
        }
        if (s->lossy) {
            uint32_t fits = s->chan_len.v[cout] <= (uint32_t)s->cap;
            PIECE(P_FAULTS, side, 0, ((uint64_t)cin << 1) | fits, "faults", 1, "(iII)", side, cin, s->chan_len.v[cout]);
            for (uint64_t j = 0, n = e & 0xFFFFF; j < n; j++)
                if (move_push(out, L, cout, s->pool.v[(e >> 20) + j], old, 0) < 0)
                    return -1;
        }
    }
    if (old) {
        uint32_t peer_iss = s->iss.v[P];
        PIECE(P_OLD, side, 0, ((uint64_t)L << 32) | peer_iss, "old", 2, "(iII)", side, L, peer_iss);
        for (uint64_t j = 0, n = e & 0xFFFFF; j < n; j++) {
            const uint32_t *p = s->pool.v + (e >> 20) + 2 * j;
            uint32_t own = p[0], items = p[1], c = cout;
            if (items && app(s, cout, items, &c) < 0)
                return -1;
            if (move_push(out, own, c, cin, 0, 0) < 0)
                return -1;
        }
    }
    return 0;
}

static PyObject *to_int(uint64_t lo, uint64_t hi) {
    unsigned char b[16];
    unsigned __int128 k = (unsigned __int128)lo | ((unsigned __int128)hi << 59);
    for (int i = 0; i < 16; i++)
        b[i] = (unsigned char)(k >> (8 * i));
    return _PyLong_FromByteArray(b, 16, 1, 0);
}

static int from_int(PyObject *o, uint64_t *lo, uint64_t *hi) {
    unsigned char b[16];
    if (_PyLong_AsByteArray((PyLongObject *)o, b, 16, 1, 0) < 0)
        return -1;
    unsigned __int128 k = 0;
    for (int i = 15; i >= 0; i--)
        k = (k << 8) | b[i];
    *lo = (uint64_t)(k & (((unsigned __int128)1 << 59) - 1));
    *hi = (uint64_t)(k >> 59);
    return 0;
}

static PyObject *search(PyObject *self, PyObject *args) {
    PyObject *host, *start, *progress;
    int cap, many, lossy;
    Py_ssize_t max_states;
    if (!PyArg_ParseTuple(args, "OOiiinO", &host, &start, &cap, &many, &lossy, &max_states, &progress))
        return NULL;
    S s;
    memset(&s, 0, sizeof s);
    s.host = host;
    s.cap = cap;
    s.many = many;
    s.lossy = lossy;
    IdSet ids = {0};
    K64s keys_lo = {0}, keys_hi = {0}, offsets = {0};
    K32s targets = {0};
    Moves ma = {0}, mb = {0};
    PyObject *result = NULL, *broken = NULL;
    int truncated = 0;

    s.py_inc = PyObject_GetAttrString(host, "inc");
    s.py_iss = PyObject_GetAttrString(host, "iss");
    s.py_hot = PyObject_GetAttrString(host, "hot");
    s.py_chan_len = PyObject_GetAttrString(host, "chan_len");
    s.brokes = PyList_New(0);
    broken = PyList_New(0);
    if (!s.py_inc || !s.py_iss || !s.py_hot || !s.py_chan_len || !s.brokes || !broken)
        goto done;
    if (!PyList_Check(s.py_inc) || !PyList_Check(s.py_iss) || !PyByteArray_Check(s.py_hot) ||
        !PyList_Check(s.py_chan_len)) {
        PyErr_SetString(PyExc_TypeError, "host: inc, iss, chan_len must be lists and hot a bytearray");
        goto done;
    }
    if (mirror(&s) < 0 || ids_init(&ids, 1 << 16) < 0 || map_init(&s.pieces, 1 << 12) < 0)
        goto done;
    uint64_t lo, hi;
    if (from_int(start, &lo, &hi) < 0)
        goto done;
    size_t where = 0;
    uint64_t h0 = mix(lo, hi);
    ids_find(&ids, &keys_lo, &keys_hi, lo, hi, h0, &where);
    if (k64_push(&keys_lo, lo) < 0 || k64_push(&keys_hi, hi) < 0 ||
        ids_put(&ids, &keys_lo, &keys_hi, where, h0, 0) < 0 || k64_push(&offsets, 0) < 0)
        goto done;
    size_t report = 20000;
    uint32_t outs[4096];
    for (size_t i = 0; i < keys_lo.n; i++) {
        if ((i & 4095) == 0 && PyErr_CheckSignals() < 0)
            goto done;
        uint64_t klo = keys_lo.v[i], khi = keys_hi.v[i];
        uint32_t old = klo & 1, cba = (klo >> 1) & F, cab = (klo >> 30) & F;
        uint32_t la = khi & F, lb = (khi >> 29) & F;
        if (side_moves(&s, 0, la, lb, cab, cba, old, cab, cba, &ma) < 0 ||
            side_moves(&s, 1, lb, la, cba, cab, old, cab, cba, &mb) < 0)
            goto done;
        size_t nouts = 0;
        for (int side = 0; side < 2; side++) {
            Moves *m = side ? &mb : &ma;
            for (size_t j = 0; j < m->n; j++) {
                Move *x = &m->v[j];
                uint32_t nla = side ? la : x->own, nlb = side ? x->own : lb;
                uint32_t ncab = side ? x->cin : x->cout, ncba = side ? x->cout : x->cin;
                uint64_t hlo = (uint64_t)x->old | ((uint64_t)ncba << 1) | ((uint64_t)ncab << 30);
                uint64_t hhi = (uint64_t)nla | ((uint64_t)nlb << 29);
                if (s.hot.v[nla] || s.hot.v[nlb]) {
                    PyObject *k = to_int(hlo, hhi);
                    if (!k)
                        goto done;
                    PyObject *r = PyObject_CallMethod(host, "renumber", "O", k);
                    Py_DECREF(k);
                    if (!r)
                        goto done;
                    int bad = from_int(r, &hlo, &hhi);
                    Py_DECREF(r);
                    if (bad < 0 || mirror(&s) < 0)
                        goto done;
                }
                uint64_t h = mix(hlo, hhi);
                int64_t found = ids_find(&ids, &keys_lo, &keys_hi, hlo, hhi, h, &where);
                uint32_t v;
                if (found >= 0)
                    v = (uint32_t)found;
                else {
                    if (keys_lo.n >= 0xfffffffeu) {
                        PyErr_SetString(PyExc_OverflowError, "more global states than 32-bit node ids hold");
                        goto done;
                    }
                    if (keys_lo.n >= (size_t)max_states) {
                        truncated = 1;
                        continue;
                    }
                    v = (uint32_t)keys_lo.n;
                    if (k64_push(&keys_lo, hlo) < 0 || k64_push(&keys_hi, hhi) < 0 ||
                        ids_put(&ids, &keys_lo, &keys_hi, where, h, v) < 0)
                        goto done;
                    if (v >= report) {
                        report += 20000;
                        if (progress != Py_None) {
                            PyObject *r = PyObject_CallFunction(progress, "nn", (Py_ssize_t)v, (Py_ssize_t)(v - i));
                            if (!r)
                                goto done;
                            Py_DECREF(r);
                        }
                    }
                }
                size_t q = 0;
                while (q < nouts && outs[q] != v)
                    q++;
                if (q == nouts) {
                    if (nouts == sizeof outs / sizeof outs[0]) {
                        PyErr_SetString(PyExc_OverflowError, "more than 4096 successors of one state");
                        goto done;
                    }
                    outs[nouts++] = v;
                }
                if (x->broke) {
                    PyObject *t = Py_BuildValue("(nnO)", (Py_ssize_t)i, (Py_ssize_t)v,
                                                PyList_GET_ITEM(s.brokes, x->broke - 1));
                    if (!t || PyList_Append(broken, t) < 0) {
                        Py_XDECREF(t);
                        goto done;
                    }
                    Py_DECREF(t);
                }
            }
        }
        for (size_t q = 0; q < nouts; q++)
            if (k32_push(&targets, outs[q]) < 0)
                goto done;
        if (k64_push(&offsets, targets.n) < 0)
            goto done;
    }
    free(ids.slot);
    ids.slot = NULL;
    {
        PyObject *klo = ba_take(&keys_lo.ba, keys_lo.n * 8), *khi = klo ? ba_take(&keys_hi.ba, keys_hi.n * 8) : NULL;
        PyObject *ob = khi ? ba_take(&offsets.ba, offsets.n * 8) : NULL;
        PyObject *tb = ob ? ba_take(&targets.ba, targets.n * 4) : NULL;
        if (tb)
            result = Py_BuildValue("(OOOOOi)", klo, khi, ob, tb, broken, truncated);
        Py_XDECREF(klo);
        Py_XDECREF(khi);
        Py_XDECREF(ob);
        Py_XDECREF(tb);
    }
done:
    free(ids.slot);
    map_free(&s.pieces);
    free(s.inc.v);
    free(s.iss.v);
    free(s.chan_len.v);
    free(s.hot.v);
    free(s.pool.v);
    Py_XDECREF(keys_lo.ba);
    Py_XDECREF(keys_hi.ba);
    Py_XDECREF(offsets.ba);
    Py_XDECREF(targets.ba);
    free(ma.v);
    free(mb.v);
    Py_XDECREF(broken);
    Py_XDECREF(s.brokes);
    Py_XDECREF(s.py_inc);
    Py_XDECREF(s.py_iss);
    Py_XDECREF(s.py_hot);
    Py_XDECREF(s.py_chan_len);
    return result;
}

static PyMethodDef methods[] = {
    {"search", search, METH_VARARGS,
     "search(host, start, capacity, many, lossy, max_states, progress) -> "
     "(keys lo, keys hi (bytearrays of uint64: key = lo | hi << 59), offsets (bytearray of int64), "
     "targets (bytearray of uint32), broken, truncated)"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_csearch",
                                    "The compiled loop of checker.analysis.engine.search.", -1, methods};

PyMODINIT_FUNC PyInit__csearch(void) { return PyModule_Create(&module); }
