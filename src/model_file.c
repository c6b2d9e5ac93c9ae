/* model_file.c - one reader for every model file nin-cl takes (nin_model_file_load of nin/onnx.h): a nin-cl
 * checkpoint or an ONNX model, told apart by the checkpoint's magic, so that test, predict, maps, inspect and
 * programs that embed libnin accept either without being told which. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <nin/error.h>
#include <nin/checkpoint.h>
#include <nin/onnx.h>

#define CHECKPOINT_MAGIC "NINCKPT"          /* the first 8 bytes of a checkpoint, NUL included (checkpoint.c) */
#define MAX_MODEL_BYTES ((size_t)1 << 31)   /* as a checkpoint: 2 GiB */

/* The rest of the open file f (size bytes in all, `have` of them already in head) into a new buffer. */
static void *read_rest(FILE *f, const char *path, size_t size, const void *head, size_t have, char *err,
                       size_t err_size)
{
    char *data = malloc(size ? size : 1);
    if (!data) {
        nin_set_error(err, err_size, "%s: out of host memory reading its %zu bytes", path, size);
        return NULL;
    }
    memcpy(data, head, have);
    if (fread(data + have, 1, size - have, f) != size - have) {
        nin_set_error(err, err_size, "cannot read model %s: %s", path, ferror(f) ? strerror(errno) : "file shrank");
        free(data);
        return NULL;
    }
    return data;
}

int nin_model_file_load(const char *path, nin_checkpoint *ck, char *err, size_t err_size)
{
    memset(ck, 0, sizeof *ck);
    FILE *f = fopen(path, "rb");
    if (!f)
        return nin_set_error(err, err_size, "cannot open model %s: %s", path, strerror(errno));
    struct stat st;
    char head[8];
    size_t have = fread(head, 1, sizeof head, f);
    if (fstat(fileno(f), &st) != 0) {
        int saved = errno;
        fclose(f);
        return nin_set_error(err, err_size, "cannot read model %s: %s", path, strerror(saved));
    }
    if ((size_t)st.st_size > MAX_MODEL_BYTES || (size_t)st.st_size < have) {
        fclose(f);
        return nin_set_error(err, err_size, "%s is not a model file (size %lld bytes)", path, (long long)st.st_size);
    }
    if (have == sizeof head && memcmp(head, CHECKPOINT_MAGIC, sizeof head) == 0) {
        fclose(f);
        return nin_checkpoint_load(path, ck, err, err_size);
    }
    void *data = read_rest(f, path, (size_t)st.st_size, head, have, err, err_size);
    fclose(f);
    if (!data)
        return -1;
    int status = nin_onnx_import_memory(data, (size_t)st.st_size, path, ck, err, err_size);
    free(data);
    return status;
}
