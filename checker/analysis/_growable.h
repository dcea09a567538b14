/* A growable array of T and its push, shared by the compiled parts
 * (_csearch.c, _cgraph.c): realloc only, so usable without the GIL; on a
 * failed realloc push runs ON_FAIL (e.g. PyErr_NoMemory(), with the GIL
 * held) and returns -1. */
#ifndef TCPCHECK_GROWABLE_H
#define TCPCHECK_GROWABLE_H
#include <stdlib.h>

#define GROWABLE(Name, T, push, ON_FAIL)                 \
    typedef struct {                                     \
        T *v;                                            \
        size_t n, cap;                                   \
    } Name;                                              \
    static int push(Name *a, T x) {                      \
        if (a->n == a->cap) {                            \
            size_t c = a->cap ? a->cap * 2 : 1024;       \
            T *p = realloc(a->v, c * sizeof(T));         \
            if (!p) {                                    \
                ON_FAIL;                                 \
                return -1;                               \
            }                                            \
            a->v = p;                                    \
            a->cap = c;                                  \
        }                                                \
        a->v[a->n++] = x;                                \
        return 0;                                        \
    }

#endif
