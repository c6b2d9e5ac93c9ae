/* net_impl.h - the network's layout, shared by net.c and the memory budget (internal). */
#ifndef NIN_NET_IMPL_H
#define NIN_NET_IMPL_H

#include <nin/net.h>
#include "layer.h"

/* Lay the layers of def out on net->input and net->batch (shapes, parameter offsets, workspace sizes) without
 * allocating anything. Returns 0, or -1 with one line in err when a layer does not fit or overflows. */
int nin_net_layout(nin_net *net, const nin_netdef *def, char *err, size_t err_size);
/* A network that is only its layout (no buffer, free() it): for sizes and GEMM shapes. NULL with err set when
 * the layout fails (or, with err too, when out of host memory). */
nin_net *nin_net_plan(const nin_netdef *def, nin_shape input, int batch, char *err, size_t err_size);

#endif
