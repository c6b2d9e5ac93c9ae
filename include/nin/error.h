/* nin/error.h - the one error path of nin-cl.
 *
 * Every OpenCL and CLBlast call of the library goes through CL_CHECK (src/runtime_impl.h): a failure becomes one
 * line naming the call, the error's name and file:line, which the caller of the public function gets back.
 */
#ifndef NIN_ERROR_H
#define NIN_ERROR_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

/* libnin never prints or exits on its own. A function that fails returns -1 (or NULL) and leaves one line
 * that names what failed (the OpenCL call, the error's name and file:line; the file; the option) in the
 * calling thread's last error, which the caller reads with nin_last_error(). */
const char *nin_last_error(void);
/* Set the calling thread's last error (newlines folded to spaces); returns -1. */
int nin_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Name of an OpenCL (CL_*) or CLBlast (CLBlast*) status code, e.g. "CL_OUT_OF_RESOURCES". */
const char *nin_cl_error_name(int code);


/* Write a one-line message (newlines folded to spaces) into err for a function that returns -1 on failure;
 * returns -1. */
int nin_set_error(char *err, size_t err_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Seconds on the monotonic clock, for timing. */
double nin_now(void);

/* mkdir -p: 0, or -1 with one line in err. */
int nin_make_dirs(const char *path, char *err, size_t err_size);

/* malloc/calloc that leave "out of host memory allocating N bytes" in nin_last_error() when they return NULL. */
void *nin_malloc(size_t bytes);
void *nin_calloc(size_t count, size_t size);

#endif
