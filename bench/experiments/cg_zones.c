/* Callgrind zones: one C function per component, each calling a Python callable.
 *
 * callgrind attributes every Python frame to the interpreter's eval loop, so a Python
 * module's share cannot be read from its profile. Calling a component's entry points
 * through zone_<name>(fn, *args) gives it a C symbol of its own, and callgrind_annotate
 * --inclusive=yes reports what each zone cost, the Python code inside included.
 * Built by bench/experiments/window_zones.py (gcc, the interpreter's headers).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define ZONE(name)                                                                        \
    __attribute__((noinline)) static PyObject *zone_##name(                              \
        PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {     \
        if (nargs < 1) {                                                                  \
            PyErr_SetString(PyExc_TypeError, "zone: no callable");                        \
            return NULL;                                                                  \
        }                                                                                 \
        PyObject *r = PyObject_Vectorcall(args[0], args + 1, (nargs - 1), kwnames);       \
        __asm__ volatile("" ::: "memory");                                                \
        return r;                                                                         \
    }

#define ZONES(X) X(z00) X(z01) X(z02) X(z03) X(z04) X(z05) X(z06) X(z07) X(z08) X(z09) \
    X(z10) X(z11) X(z12) X(z13) X(z14) X(z15) X(z16) X(z17) X(z18) X(z19)

ZONES(ZONE)

#define ENTRY(name) {#name, (PyCFunction)(void (*)(void))zone_##name, METH_FASTCALL | METH_KEYWORDS, NULL},
static PyMethodDef methods[] = {ZONES(ENTRY){NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "cg_zones", NULL, -1, methods};

PyMODINIT_FUNC PyInit_cg_zones(void) { return PyModule_Create(&module); }
