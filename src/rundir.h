/* rundir.h - a training run's output directory (internal to train.c, rundir.c): made or checked before the
 * data is loaded, locked for the run's whole life, its per-epoch checkpoints pruned, its metrics file
 * appended atomically. Every function returns 0, or -1 with one line in nin_last_error(). */
#ifndef NIN_RUNDIR_H
#define NIN_RUNDIR_H

#include <stddef.h>
#include <nin/checkpoint.h>

#define NIN_RUN_LOCK "nin-cl.lock"   /* flock'ed by the run writing into the directory; removed at its end */

typedef struct nin_run_dir {
    char path[1024];
    int lock_fd;      /* -1: not locked */
    int made;         /* 1: this run created the directory */
} nin_run_dir;

/* Make the directory (mkdir -p; with NIN_OUT_UNIQUE a new one, out_dir or out_dir-2, -3...), check it can be
 * written, take its lock (refused at once, naming the process that holds it) and, with NIN_OUT_NEW, refuse
 * it when it holds an earlier run's checkpoints or metrics. */
int nin_run_dir_open(nin_run_dir *d, const char *out_dir, nin_out_policy policy);
/* --overwrite: remove the earlier run's checkpoints and metrics; their names go to removed ("" : none). */
int nin_run_dir_clear(const nin_run_dir *d, char *removed, size_t size);
/* The file `name` of the directory as a hard link to its file `from` (atomically replacing any older one). */
int nin_run_dir_link(const nin_run_dir *d, const char *from, const char *name);
/* Remove the per-epoch checkpoints epoch-E.nin of the epochs E <= last. */
void nin_run_dir_prune_epochs(const nin_run_dir *d, int last);
/* Rewrite the CSV file `name` atomically as: `header`, the complete lines of the epochs before `epoch` that it
 * held, then `line` (epoch's, ending in a newline). A line cut short or an epoch being redone is dropped. */
int nin_run_dir_append_epoch(const nin_run_dir *d, const char *name, const char *header, int epoch,
                             const char *line);
/* Release the lock; a directory this run made is removed again when the run failed before writing into it. */
void nin_run_dir_close(nin_run_dir *d, int failed);

#endif
