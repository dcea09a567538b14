/* The loops of `checker.analysis.graph.Compact`, compiled.
 *
 * After the (compiled) search, the graph checks spend their time in the
 * pure-Python loops over the compressed-sparse-row arrays: the reverse
 * adjacency, the terminal nodes, the attracting components (an iterative
 * Tarjan search), the forward breadth-first distance and networkx's
 * bidirectional shortest path. On millions of nodes these took longer than
 * the search itself, so the same loops are here, over the raw buffers of
 * the arrays (the buffer protocol: offsets int64, targets uint32 or int64).
 *
 * Each function gives exactly what its Python twin in graph.py gives (the
 * same components in the same order with the same member order, the same
 * path with networkx's tie-breaking); the Python code stays as the
 * fallback (no C compiler) and as the reference a test compares with.
 * Nothing recurses (40 million nodes); node-indexed scratch is int32, so a
 * graph has fewer than 2^31 - 2 nodes. The GIL is released in the loops.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static PyObject *NoPath;

/* ---- the arrays ---- */

typedef struct {
    Py_buffer ob, tb; /* offsets, targets */
    const int64_t *offs;
    const void *tg;
    int wide;      /* targets are int64 (else uint32) */
    int64_t n, m;  /* nodes, edges */
} Graph;

static inline int64_t tgt(const void *tg, int wide, int64_t j) {
    return wide ? ((const int64_t *)tg)[j] : (int64_t)((const uint32_t *)tg)[j];
}

static int int_buffer(PyObject *o, Py_buffer *b, const char *what, int allow4) {
    if (PyObject_GetBuffer(o, b, PyBUF_FORMAT | PyBUF_ND) < 0)
        return -1;
    const char *f = b->format ? b->format : "B";
    if (*f == '@')
        f++;
    int ok = b->ndim == 1 && f[0] && !f[1] && strchr("iIlLqQ", f[0]) &&
             (b->itemsize == 8 || (allow4 && b->itemsize == 4));
    if (!ok) {
        PyErr_Format(PyExc_TypeError, "%s: an array of %s integers", what, allow4 ? "4- or 8-byte" : "8-byte");
        PyBuffer_Release(b);
        return -1;
    }
    return 0;
}

static void graph_close(Graph *g) {
    PyBuffer_Release(&g->ob);
    PyBuffer_Release(&g->tb); /* nothing if it was not taken */
}

/* Reads and checks the arrays: offsets n+1 nondecreasing from 0, up to len(targets). */
static int graph_open(Graph *g, PyObject *offsets, PyObject *targets) {
    memset(g, 0, sizeof *g);
    if (int_buffer(offsets, &g->ob, "offsets", 0) < 0)
        return -1;
    if (targets && int_buffer(targets, &g->tb, "targets", 1) < 0) {
        PyBuffer_Release(&g->ob);
        return -1;
    }
    g->offs = g->ob.buf;
    g->n = g->ob.len / 8 - 1;
    if (targets) {
        g->tg = g->tb.buf;
        g->wide = g->tb.itemsize == 8;
        g->m = g->tb.len / g->tb.itemsize;
    }
    const char *bad = NULL;
    if (g->n < 0)
        bad = "offsets: empty (n + 1 entries expected)";
    else if (g->n > INT32_MAX - 2)
        bad = "more than 2^31 - 3 nodes";
    else if (g->offs[0] != 0)
        bad = "offsets[0] is not 0";
    else {
        for (int64_t u = 0; u < g->n && !bad; u++)
            if (g->offs[u + 1] < g->offs[u])
                bad = "offsets decrease";
        if (!bad && targets && g->offs[g->n] != g->m)
            bad = "offsets[n] is not len(targets)";
    }
    if (bad) {
        PyErr_SetString(PyExc_ValueError, bad);
        graph_close(g);
        return -1;
    }
    return 0;
}

/* growable arrays (_growable.h; realloc only: usable without the GIL) */
#include "_growable.h"
GROWABLE(I32s, int32_t, i32_push, (void)0)
GROWABLE(I64s, int64_t, i64_push, (void)0)

static PyObject *bad_target(void) {
    PyErr_SetString(PyExc_ValueError, "targets: a node id outside 0..n-1");
    return NULL;
}

static PyObject *int32_list(const int32_t *v, int64_t k) {
    PyObject *out = PyList_New((Py_ssize_t)k);
    if (!out)
        return NULL;
    for (int64_t i = 0; i < k; i++) {
        PyObject *x = PyLong_FromLong(v[i]);
        if (!x) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, (Py_ssize_t)i, x);
    }
    return out;
}

/* ---- reverse(offsets, targets) -> (offsets bytes int64, sources bytes) ---- */

static PyObject *reverse(PyObject *self, PyObject *args) {
    PyObject *po, *pt;
    Graph g;
    if (!PyArg_ParseTuple(args, "OO", &po, &pt) || graph_open(&g, po, pt) < 0)
        return NULL;
    int64_t n = g.n, m = g.offs[n];
    Py_ssize_t isz = g.tb.itemsize;
    PyObject *ro = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(8 * (n + 1)));
    PyObject *rs = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(isz * m));
    int64_t *fill = malloc(sizeof(int64_t) * (size_t)(n + 1));
    PyObject *result = NULL;
    if (!ro || !rs || !fill) {
        if (!fill)
            PyErr_NoMemory();
        goto done;
    }
    int64_t *count = (int64_t *)PyBytes_AS_STRING(ro);
    char *src = PyBytes_AS_STRING(rs);
    int bad = 0;
    Py_BEGIN_ALLOW_THREADS
    memset(count, 0, sizeof(int64_t) * (size_t)(n + 1));
    for (int64_t j = 0; j < m; j++) {
        int64_t v = tgt(g.tg, g.wide, j);
        if (v < 0 || v >= n) {
            bad = 1;
            break;
        }
        count[v + 1]++;
    }
    if (!bad) {
        for (int64_t i = 0; i < n; i++)
            count[i + 1] += count[i];
        memcpy(fill, count, sizeof(int64_t) * (size_t)(n + 1));
        for (int64_t u = 0; u < n; u++)
            for (int64_t j = g.offs[u]; j < g.offs[u + 1]; j++) {
                int64_t v = tgt(g.tg, g.wide, j);
                if (g.wide)
                    ((int64_t *)src)[fill[v]++] = u;
                else
                    ((uint32_t *)src)[fill[v]++] = (uint32_t)u;
            }
    }
    Py_END_ALLOW_THREADS
    if (bad)
        bad_target();
    else
        result = PyTuple_Pack(2, ro, rs);
done:
    free(fill);
    Py_XDECREF(ro);
    Py_XDECREF(rs);
    graph_close(&g);
    return result;
}

/* ---- terminal(offsets) -> list of the nodes without successors ---- */

static PyObject *terminal(PyObject *self, PyObject *args) {
    PyObject *po;
    Graph g;
    if (!PyArg_ParseTuple(args, "O", &po) || graph_open(&g, po, NULL) < 0)
        return NULL;
    PyObject *out = PyList_New(0);
    for (int64_t u = 0; out && u < g.n; u++)
        if (g.offs[u] == g.offs[u + 1]) {
            PyObject *x = PyLong_FromLongLong(u);
            if (!x || PyList_Append(out, x) < 0)
                Py_CLEAR(out);
            Py_XDECREF(x);
        }
    graph_close(&g);
    return out;
}

/* ---- attracting_components(offsets, targets) -> list of lists ----
 *
 * The iterative Tarjan search of graph.py, step for step. index[v] is -1
 * before v is seen, its preorder number while v is on the stack and
 * -2 - c once v is in component c (so "on the stack" is index >= 0 and
 * graph.py's comp array is folded in). */

static PyObject *attracting_components(PyObject *self, PyObject *args) {
    PyObject *po, *pt;
    Graph g;
    if (!PyArg_ParseTuple(args, "OO", &po, &pt) || graph_open(&g, po, pt) < 0)
        return NULL;
    int64_t n = g.n;
    size_t sz = (size_t)(n ? n : 1);
    int32_t *index = malloc(sz * sizeof(int32_t)), *low = malloc(sz * sizeof(int32_t));
    int32_t *stack = malloc(sz * sizeof(int32_t)), *wu = malloc(sz * sizeof(int32_t));
    int64_t *wj = malloc(sz * sizeof(int64_t));
    /* the attracting components: members in pop order in `found`, each
     * component's (start, length) in `runs` (both grown as needed) */
    I32s found = {0};
    I64s runs = {0};
    PyObject *out = NULL;
    int bad = 0;
    if (!index || !low || !stack || !wu || !wj) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    const int64_t *offs = g.offs;
    for (int64_t i = 0; i < n; i++)
        index[i] = -1;
    int32_t counter = 0, ncomp = 0;
    int64_t sp = 0, wp = 0;
    for (int32_t root = 0; root < n && !bad; root++) {
        if (index[root] != -1)
            continue;
        wu[0] = root;
        wj[0] = offs[root];
        wp = 1;
        index[root] = low[root] = counter++;
        stack[sp++] = root;
        while (wp) {
            int32_t u = wu[wp - 1];
            int64_t j = wj[wp - 1], end = offs[u + 1];
            int descended = 0;
            while (j < end) {
                int64_t v = tgt(g.tg, g.wide, j++);
                if (v < 0 || v >= n) {
                    bad = 1;
                    break;
                }
                if (index[v] == -1) {
                    wj[wp - 1] = j;
                    index[v] = low[v] = counter++;
                    stack[sp++] = (int32_t)v;
                    wu[wp] = (int32_t)v;
                    wj[wp] = offs[v];
                    wp++;
                    descended = 1;
                    break;
                }
                if (index[v] >= 0 && index[v] < low[u])
                    low[u] = index[v];
            }
            if (bad)
                break;
            if (descended)
                continue;
            wp--;
            if (wp) {
                int32_t p = wu[wp - 1];
                if (low[u] < low[p])
                    low[p] = low[u];
            }
            if (low[u] == index[u]) {
                int64_t base = sp;
                do
                    base--;
                while (stack[base] != u);
                int32_t mark = -2 - ncomp;
                for (int64_t s = base; s < sp; s++)
                    index[stack[s]] = mark;
                /* attracting: every edge of every member stays inside */
                int attracting = 1;
                for (int64_t s = base; s < sp && attracting; s++) {
                    int32_t w = stack[s];
                    for (int64_t k = offs[w]; k < offs[w + 1]; k++)
                        if (index[tgt(g.tg, g.wide, k)] != mark) {
                            attracting = 0;
                            break;
                        }
                }
                if (attracting) {
                    if (i64_push(&runs, found.n) < 0 || i64_push(&runs, sp - base) < 0) {
                        bad = 2;
                        break;
                    }
                    for (int64_t s = sp - 1; s >= base; s--)
                        if (i32_push(&found, stack[s]) < 0) {
                            bad = 2;
                            break;
                        }
                    if (bad)
                        break;
                }
                sp = base;
                ncomp++;
            }
        }
    }
    Py_END_ALLOW_THREADS
    if (bad) {
        if (bad == 2)
            PyErr_NoMemory();
        else
            bad_target();
        goto done;
    }
    int64_t nruns = (int64_t)runs.n / 2;
    out = PyList_New((Py_ssize_t)nruns);
    for (int64_t r = 0; out && r < nruns; r++) {
        PyObject *c = int32_list(found.v + runs.v[2 * r], runs.v[2 * r + 1]);
        if (!c)
            Py_CLEAR(out);
        else
            PyList_SET_ITEM(out, (Py_ssize_t)r, c);
    }
done:
    free(index);
    free(low);
    free(stack);
    free(wu);
    free(wj);
    free(found.v);
    free(runs.v);
    graph_close(&g);
    return out;
}

/* ---- distance(offsets, targets, source, target) -> int ----
 *
 * Breadth-first from the source, level by level (a queue in which each
 * level follows the one before), stopping when the target is seen. */

static PyObject *distance(PyObject *self, PyObject *args) {
    PyObject *po, *pt;
    long long source, target;
    Graph g;
    if (!PyArg_ParseTuple(args, "OOLL", &po, &pt, &source, &target))
        return NULL;
    if (source == target)
        return PyLong_FromLong(0);
    if (graph_open(&g, po, pt) < 0)
        return NULL;
    int64_t n = g.n, d = -1;
    if (source < 0 || source >= n) {
        graph_close(&g);
        PyErr_SetString(PyExc_IndexError, "source: not a node");
        return NULL;
    }
    uint8_t *seen = calloc((size_t)n, 1);
    int32_t *queue = malloc((size_t)n * sizeof(int32_t));
    int bad = 0;
    if (!seen || !queue) {
        free(seen);
        free(queue);
        graph_close(&g);
        return PyErr_NoMemory();
    }
    Py_BEGIN_ALLOW_THREADS
    int64_t head = 0, tail = 0, level_end, depth = 0;
    seen[source] = 1;
    queue[tail++] = (int32_t)source;
    while (head < tail && d < 0 && !bad) {
        level_end = tail;
        depth++;
        for (; head < level_end && d < 0 && !bad; head++) {
            int32_t v = queue[head];
            for (int64_t j = g.offs[v]; j < g.offs[v + 1]; j++) {
                int64_t w = tgt(g.tg, g.wide, j);
                if (w < 0 || w >= n) {
                    bad = 1;
                    break;
                }
                if (!seen[w]) {
                    seen[w] = 1;
                    queue[tail++] = (int32_t)w;
                    if (w == target) {
                        d = depth;
                        break;
                    }
                }
            }
        }
    }
    Py_END_ALLOW_THREADS
    free(seen);
    free(queue);
    graph_close(&g);
    if (bad)
        return bad_target();
    if (d < 0) {
        PyErr_Format(NoPath, "no path between %lld and %lld", source, target);
        return NULL;
    }
    return PyLong_FromLongLong(d);
}

/* ---- shortest_path(offsets, targets, roffsets, rsources, source, target) ----
 *
 * networkx's bidirectional_shortest_path as graph.py follows it: pred and
 * succ are arrays (-1: not in the dict, -2: None), the levels arrays. */

#define ABSENT (-1)
#define NONE (-2)

static PyObject *shortest_path(PyObject *self, PyObject *args) {
    PyObject *po, *pt, *pro, *prs;
    long long source, target;
    Graph g, r;
    if (!PyArg_ParseTuple(args, "OOOOLL", &po, &pt, &pro, &prs, &source, &target))
        return NULL;
    if (source == target)
        return Py_BuildValue("[L]", source);
    if (graph_open(&g, po, pt) < 0)
        return NULL;
    if (graph_open(&r, pro, prs) < 0) {
        graph_close(&g);
        return NULL;
    }
    int64_t n = g.n;
    PyObject *out = NULL;
    int32_t *pred = NULL, *succ = NULL, *fwd = NULL, *rev = NULL, *lvl = NULL;
    if (r.n != n) {
        PyErr_SetString(PyExc_ValueError, "the reverse graph has another number of nodes");
        goto done;
    }
    if (source < 0 || source >= n || target < 0 || target >= n) {
        PyErr_SetString(PyExc_IndexError, "source or target: not a node");
        goto done;
    }
    size_t sz = (size_t)n * sizeof(int32_t);
    pred = malloc(sz), succ = malloc(sz), fwd = malloc(sz), rev = malloc(sz), lvl = malloc(sz);
    if (!pred || !succ || !fwd || !rev || !lvl) {
        PyErr_NoMemory();
        goto done;
    }
    int64_t meet = -1, nf = 1, nr = 1, plen = 0;
    int bad = 0;
    Py_BEGIN_ALLOW_THREADS
    for (int64_t i = 0; i < n; i++)
        pred[i] = succ[i] = ABSENT;
    pred[source] = NONE;
    succ[target] = NONE;
    fwd[0] = (int32_t)source;
    rev[0] = (int32_t)target;
    while (nf && nr && meet < 0 && !bad) {
        int forward = nf <= nr;
        Graph *h = forward ? &g : &r;
        int32_t *mine = forward ? pred : succ, *theirs = forward ? succ : pred;
        int32_t *level = forward ? fwd : rev;
        int64_t nl = forward ? nf : nr, k = 0;
        /* level <- the side's list, the side's list <- empty (lvl) */
        if (forward)
            fwd = lvl;
        else
            rev = lvl;
        lvl = level;
        int32_t *next = forward ? fwd : rev;
        for (int64_t i = 0; i < nl && meet < 0 && !bad; i++) {
            int32_t v = level[i];
            for (int64_t j = h->offs[v]; j < h->offs[v + 1]; j++) {
                int64_t w = tgt(h->tg, h->wide, j);
                if (w < 0 || w >= n) {
                    bad = 1;
                    break;
                }
                if (mine[w] == ABSENT) {
                    next[k++] = (int32_t)w;
                    mine[w] = v;
                }
                if (theirs[w] != ABSENT) {
                    meet = w;
                    break;
                }
            }
        }
        if (forward)
            nf = k;
        else
            nr = k;
    }
    if (meet >= 0) { /* the path's length: back to the source, on to the target */
        int64_t w;
        for (w = meet; w != NONE; w = pred[w])
            plen++;
        for (w = succ[meet]; w != NONE; w = succ[w])
            plen++;
    }
    Py_END_ALLOW_THREADS
    if (bad) {
        bad_target();
        goto done;
    }
    if (meet < 0) {
        PyErr_Format(NoPath, "no path between %lld and %lld", source, target);
        goto done;
    }
    out = PyList_New((Py_ssize_t)plen);
    if (!out)
        goto done;
    int64_t i = 0, w;
    for (w = meet; w != NONE; w = pred[w])
        i++;
    int64_t back = i;
    for (w = meet; w != NONE; w = pred[w]) {
        PyObject *x = PyLong_FromLongLong(w);
        if (!x) {
            Py_CLEAR(out);
            goto done;
        }
        PyList_SET_ITEM(out, (Py_ssize_t)--back, x);
    }
    for (w = succ[meet]; w != NONE; w = succ[w]) {
        PyObject *x = PyLong_FromLongLong(w);
        if (!x) {
            Py_CLEAR(out);
            goto done;
        }
        PyList_SET_ITEM(out, (Py_ssize_t)i++, x);
    }
done:
    free(pred);
    free(succ);
    free(fwd);
    free(rev);
    free(lvl);
    graph_close(&g);
    graph_close(&r);
    return out;
}

static PyMethodDef methods[] = {
    {"reverse", reverse, METH_VARARGS,
     "reverse(offsets, targets) -> (offsets bytes (int64, n+1), sources bytes (the targets' item size)): "
     "each node's predecessors in ascending order"},
    {"terminal", terminal, METH_VARARGS, "terminal(offsets) -> the nodes without successors, ascending"},
    {"attracting_components", attracting_components, METH_VARARGS,
     "attracting_components(offsets, targets) -> list of lists of nodes (as graph.Compact's Tarjan search)"},
    {"distance", distance, METH_VARARGS,
     "distance(offsets, targets, source, target) -> edges on a shortest path; NoPath if none"},
    {"shortest_path", shortest_path, METH_VARARGS,
     "shortest_path(offsets, targets, roffsets, rsources, source, target) -> list of nodes "
     "(networkx's bidirectional search); NoPath if none"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_cgraph",
                                    "The compiled loops of checker.analysis.graph.Compact.", -1, methods};

PyMODINIT_FUNC PyInit__cgraph(void) {
    PyObject *m = PyModule_Create(&module);
    if (!m)
        return NULL;
    NoPath = PyErr_NewException("checker.analysis._cgraph.NoPath", PyExc_LookupError, NULL);
    if (!NoPath || PyModule_AddObjectRef(m, "NoPath", NoPath) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
