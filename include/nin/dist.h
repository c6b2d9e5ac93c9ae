/* nin/dist.h - data-parallel training over MPI. `mpirun -np N nin-cl train ...` starts N processes
 * ("ranks"), each driving one device; every rank computes the gradients of its share of each global batch
 * and one MPI_Allreduce averages them, so the parameters stay identical on every rank. Built without MPI,
 * or started without mpirun, every function here is the single-process identity. */
#ifndef NIN_DIST_H
#define NIN_DIST_H

#include <nin/net.h>

/* Join the MPI job when started by an MPI launcher (else run as the one rank). Call once, before the other
 * functions. Returns 0, or -1 with one line in nin_last_error() (started by a launcher as one of several
 * processes of a build without MPI). Only rank 0 should print: the program silences the others. */
int nin_dist_init(void);
void nin_dist_finalize(void);
int nin_dist_rank(void);
int nin_dist_size(void);
/* The device this rank drives: `requested` when >= 0 (--device N on each rank's command line), else with
 * several ranks the GPUs of the host round-robin by the rank's place on its host, else -1 (the default). */
int nin_dist_device(int requested);

/* Add `count` doubles over the ranks, in place (a nin_sum_fn). */
void nin_dist_sum(double *values, int count);
/* The largest of `value` over the ranks. */
int nin_dist_max(int value);

/* A data-parallel training step: forward and backward on this rank's share of the global batch, the
 * gradients averaged over the ranks with one all-reduce of the gradient buffer, then the update. Sets the
 * global batch's loss and correct count in *m; 0, or -1 with the error on every rank together
 * (out of host memory on any rank, a network too large for one all-reduce). One rank: nin_net_train_step. */
int nin_dist_train_step(nin_net *net, const nin_sgd *sgd, nin_metrics *m);
/* Seconds this rank has spent in the gradient all-reduce (waiting for the slowest rank included). */
double nin_dist_allreduce_seconds(void);

/* Give every rank rank 0's parameters and momentum; returns how far any rank's parameters were from them
 * (0 when the ranks were in step, as they should be), or -1 on every rank with one line in nin_last_error()
 * when any rank is out of host memory. */
double nin_dist_sync(nin_net *net);

#endif
