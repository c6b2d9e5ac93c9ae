/* nin/nin.h - the whole public API of libnin. */
#ifndef NIN_NIN_H
#define NIN_NIN_H
#include <nin/error.h>
#include <nin/runtime.h>
#include <nin/netdef.h>
#include <nin/net.h>
#include <nin/tune.h>
#include <nin/budget.h>
#include <nin/data.h>
#include <nin/preprocess.h>
#include <nin/checkpoint.h>
#include <nin/image.h>
#include <nin/download.h>
#include <nin/health.h>
#include <nin/train.h>
#include <nin/dist.h>
#include <nin/onnx.h>
#include <nin/model.h>
#endif
