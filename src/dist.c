/* dist.c - data-parallel training over MPI (see nin/dist.h). Every rank holds the whole network; the
 * parameter, gradient and momentum buffers are each one contiguous array, so averaging the gradients is
 * one read-back, one MPI_Allreduce of the whole buffer and one write. Without MPI the functions at the end
 * of the file are the single-process identities. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include <nin/dist.h>
#include <nin/error.h>
#include <nin/runtime.h>

#ifdef HAVE_MPI
#include <math.h>
#include <mpi.h>

static struct {
    int active;              /* MPI_Init was called */
    int rank, size, local_rank;
    float *buffer;           /* host copy of a parameter-sized buffer */
    size_t buffer_size;
    double allreduce_seconds;
} dist = { 0, 0, 1, 0, NULL, 0, 0.0 };

/* Open MPI's mpirun, PMIx launchers (srun among them) and MPICH's hydra each set one of these. */
static int launched_by_mpi(void)
{
    const char *vars[] = { "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK" };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}

int nin_dist_init(void)
{
    if (dist.active || !launched_by_mpi())
        return 0;
    int provided;
    /* only the main thread calls MPI; the batch loader threads never do */
    MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    dist.active = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &dist.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &dist.size);
    MPI_Comm host;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &host);
    MPI_Comm_rank(host, &dist.local_rank);
    MPI_Comm_free(&host);
    return 0;
}

void nin_dist_finalize(void)
{
    if (!dist.active)
        return;
    free(dist.buffer);
    dist.buffer = NULL;
    dist.buffer_size = 0;
    MPI_Finalize();
    dist.active = 0;
}

int nin_dist_rank(void) { return dist.rank; }
int nin_dist_size(void) { return dist.size; }

int nin_dist_device(int requested)
{
    if (requested >= 0 || dist.size == 1)
        return requested;
    nin_device_info *devices;
    int count = nin_list_devices(&devices), gpus = 0, chosen = -1;
    for (int i = 0; i < count; i++)
        gpus += devices[i].type == CL_DEVICE_TYPE_GPU;
    for (int i = 0, seen = 0; i < count && gpus > 0; i++)
        if (devices[i].type == CL_DEVICE_TYPE_GPU && seen++ == dist.local_rank % gpus)
            chosen = devices[i].index;
    free(devices);
    return chosen;
}

void nin_dist_sum(double *values, int count)
{
    if (dist.size > 1)
        MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

int nin_dist_max(int value)
{
    if (dist.size > 1)
        MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return value;
}

/* Whether every rank has `ok`: a rank that fails a step's preparation must not leave the others waiting in
 * its collective calls, so they all give up together. On a rank that did not fail, the last error says so. */
static int all_ranks_ok(int ok)
{
    int all = ok;
    MPI_Allreduce(MPI_IN_PLACE, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (ok && !all)
        nin_fail("another rank ran out of host memory");
    return all;
}

/* The host buffer for `floats` values, kept from step to step; NULL on every rank when any is out of host
 * memory (all ranks grow it at the same call: their networks are the same). */
static float *host_buffer(size_t floats)
{
    if (floats > dist.buffer_size) {
        free(dist.buffer);
        dist.buffer = nin_malloc(floats * sizeof(float));
        dist.buffer_size = dist.buffer ? floats : 0;
        if (!all_ranks_ok(dist.buffer != NULL)) {
            free(dist.buffer);
            dist.buffer = NULL;
            dist.buffer_size = 0;
        }
    }
    return dist.buffer;
}

int nin_dist_train_step(nin_net *net, const nin_sgd *sgd, nin_metrics *m)
{
    if (dist.size == 1)
        return nin_net_train_step(net, sgd, m);
    size_t n = nin_net_param_count(net);
    if (n > (size_t)2147483647)   /* the same on every rank */
        return nin_fail("%zu parameters are more than one MPI_Allreduce can average", n);
    float *grads = host_buffer(n);
    nin_metrics local = { 0.0f, 0 };
    int ok = grads && nin_net_forward(net, 1) == 0 && nin_net_loss(net, &local) == 0 && nin_net_backward(net) == 0 &&
             nin_net_get_grads(net, grads) == 0;
    if (grads && !all_ranks_ok(ok)) {   /* every rank fails the step together: none waits for the others */
        if (ok)
            nin_fail("another rank's training step failed");
        return -1;
    }
    if (!grads)
        return -1;
    double started = MPI_Wtime();
    MPI_Allreduce(MPI_IN_PLACE, grads, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    dist.allreduce_seconds += MPI_Wtime() - started;
    /* the loss gradient is divided by the global batch (nin_net_set_shard): the sum is the global mean */
    ok = nin_net_set_grads(net, grads) == 0 && nin_net_update(net, sgd) == 0;
    if (!all_ranks_ok(ok)) {
        if (ok)
            nin_fail("another rank's training step failed");
        return -1;
    }
    int batch = nin_net_batch(net);
    double sums[2] = { (double)local.loss * batch, local.correct };
    nin_dist_sum(sums, 2);
    *m = (nin_metrics){ (float)(sums[0] / ((double)batch * dist.size)), (int)sums[1] };
    return 0;
}

double nin_dist_allreduce_seconds(void) { return dist.allreduce_seconds; }

/* Broadcast rank 0's copy of a parameter-sized buffer; returns max |mine - rank 0's| over the ranks and the first
 * `compared` values, or -1 (on every rank) when a rank is out of host memory. The rest (batch norm's running
 * statistics, which each rank gathers from its own share of the batch) is made rank 0's without counting as
 * drift, as PyTorch's DistributedDataParallel does with buffers. */
static double broadcast_params(nin_net *net, int (*get)(nin_net *, float *), int (*set)(nin_net *, const float *),
                               size_t compared)
{
    size_t n = nin_net_param_count(net);
    float *root = host_buffer(n), *mine = root ? nin_malloc(n * sizeof *mine) : NULL;
    if (!root || !all_ranks_ok(mine != NULL)) {
        free(mine);
        return -1.0;
    }
    get(net, mine);
    memcpy(root, mine, n * sizeof *mine);
    MPI_Bcast(root, (int)n, MPI_FLOAT, 0, MPI_COMM_WORLD);
    double diff = 0.0;
    int differs = 0;
    for (size_t i = 0; i < n; i++) {
        differs |= mine[i] != root[i];
        if (i < compared)
            diff = fmax(diff, fabs((double)mine[i] - root[i]));
    }
    if (differs)
        set(net, root);
    free(mine);
    MPI_Allreduce(MPI_IN_PLACE, &diff, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    return diff;
}

double nin_dist_sync(nin_net *net)
{
    if (dist.size == 1)
        return 0.0;
    size_t trainable = nin_net_trainable_count(net);
    double diff = broadcast_params(net, nin_net_get_params, nin_net_set_params, trainable);
    if (diff < 0.0 || broadcast_params(net, nin_net_get_momentum, nin_net_set_momentum, trainable) < 0.0)
        return -1.0;
    return diff;
}

#else /* one process */

/* Started by mpirun as one of several processes, each would train alone and all would write the same files. */
int nin_dist_init(void)
{
    const char *size = getenv("OMPI_COMM_WORLD_SIZE") ? getenv("OMPI_COMM_WORLD_SIZE") : getenv("PMI_SIZE");
    if (size && atoi(size) > 1)
        return nin_fail("started as one of %s MPI processes, but this nin-cl was built without MPI: configure "
                        "--with-mpi (Debian packages libopenmpi-dev and openmpi-bin)", size);
    return 0;
}
void nin_dist_finalize(void) {}
int nin_dist_rank(void) { return 0; }
int nin_dist_size(void) { return 1; }
int nin_dist_device(int requested) { return requested; }

void nin_dist_sum(double *values, int count)
{
    (void)values;
    (void)count;
}

int nin_dist_max(int value) { return value; }
int nin_dist_train_step(nin_net *net, const nin_sgd *sgd, nin_metrics *m) { return nin_net_train_step(net, sgd, m); }
double nin_dist_allreduce_seconds(void) { return 0.0; }

double nin_dist_sync(nin_net *net)
{
    (void)net;
    return 0.0;
}

#endif
