/* A growable array of T and its push, shared by the compiled parts
 * (_csearch.c, _cgraph.c). GROWABLE: realloc only, so usable without the
 * GIL; on a failed realloc push runs ON_FAIL (e.g. PyErr_NoMemory(), with
 * the GIL held) and returns -1. GROWABLE_STORE is the same array over
 * another store: EXTRA declares its fields, and RESIZE sets `T *p` to room
 * for `c` items (or returns -1). */
#ifndef TCPCHECK_GROWABLE_H
#define TCPCHECK_GROWABLE_H
#include <stdlib.h>

#define GROWABLE_STORE(Name, T, push, EXTRA, RESIZE)     \
    typedef struct {                                     \
        EXTRA                                            \
        T *v;                                            \
        size_t n, cap;                                   \
    } Name;                                              \
    static int push(Name *a, T x) {                      \
        if (a->n == a->cap) {                            \
            size_t c = a->cap ? a->cap * 2 : 1024;       \
            T *p;                                        \
            RESIZE                                       \
            a->v = p;                                    \
            a->cap = c;                                  \
        }                                                \
        a->v[a->n++] = x;                                \
        return 0;                                        \
    }

#define GROWABLE(Name, T, push, ON_FAIL)                 \
    GROWABLE_STORE(Name, T, push, , {                    \
        p = realloc(a->v, c * sizeof(T));                \
        if (!p) {                                        \
            ON_FAIL;                                     \
            return -1;                                   \
        }                                                \
    })

#endif
