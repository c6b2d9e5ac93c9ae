/* clblast_params.c - CLBlast's GEMM kernel parameters: their names, the rules a set of values must follow, the
 * "clblast" lines of the tuning file, and their application to a device with CLBlastOverrideParameters.
 *
 * CLBlast 1.5 builds its GEMM from three database entries: "Xgemm" (the indirect kernel, for large GEMMs, after
 * padding and transposing its operands), "XgemmDirect" (one kernel, for small ones) and "GemmRoutine", whose
 * XGEMM_MIN_INDIRECT_SIZE picks between them (XgemmDirect when m n k < its cube). The rules below are those of
 * CLBlast 1.5.3's tuners (src/tuning/kernels/xgemm.hpp, xgemm_direct.hpp: multiples that make the per-thread
 * tiles whole, local memory and work-group size), so that `nin-cl tune` only tries kernels that can build, and a
 * hand-edited tuning file is refused with its line rather than failing inside a GEMM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <clblast_c.h>
#include "runtime_impl.h"

/* Each kernel's parameters in CLBlast's order (its database: src/database/kernels/xgemm/xgemm_32.hpp etc.). */
static const struct {
    const char *name;
    int count;
    const char *params[NIN_CLBLAST_PARAMS_MAX];
} kernels[NIN_CLBLAST_KERNELS] = {
    { "Xgemm", 16, { "GEMMK", "KREG", "KWG", "KWI", "MDIMA", "MDIMC", "MWG", "NDIMB", "NDIMC", "NWG", "SA", "SB",
                     "STRM", "STRN", "VWM", "VWN" } },
    { "XgemmDirect", 10, { "KWID", "MDIMAD", "MDIMCD", "NDIMBD", "NDIMCD", "PADA", "PADB", "VWMD", "VWND", "WGD" } },
    { "GemmRoutine", 1, { "XGEMM_MIN_INDIRECT_SIZE" } },
};

#define PARAM_MAX NIN_CLBLAST_PARAM_MAX   /* keeps the products below far from overflow */

const char *nin_clblast_kernel_name(int kernel) { return kernels[kernel].name; }
int nin_clblast_param_count(int kernel) { return kernels[kernel].count; }
const char *nin_clblast_param_name(int kernel, int param) { return kernels[kernel].params[param]; }

int nin_clblast_device_limits(cl_device_id device, nin_clblast_limits *limits)
{
    cl_ulong local = 0;
    if (CL_CHECK(NULL, clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof limits->work_group,
                                       &limits->work_group, NULL)) ||
        CL_CHECK(NULL, clGetDeviceInfo(device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof local, &local, NULL)))
        return -1;
    limits->local_bytes = (size_t)local;
    return 0;
}

/* The rules, one at a time: the first broken one in why. */
typedef struct rules { char *why; size_t size; int broken; } rules;

static void require(rules *r, int holds, const char *what)
{
    if (!holds && !r->broken++)
        snprintf(r->why, r->size, "%s", what);
}

/* a is a multiple of b (b = 0 never divides) */
static int multiple(size_t a, size_t b) { return b != 0 && a % b == 0; }
static int vector_width(size_t v) { return v == 1 || v == 2 || v == 4 || v == 8 || v == 16; }

/* Xgemm: v in kernels[0]'s order. KDIMA = MDIMC NDIMC / MDIMA threads load a column of A's tile (KDIMB for B). */
static void xgemm_rules(rules *r, const size_t *v, const nin_clblast_limits *limits)
{
    size_t gemmk = v[0], kreg = v[1], kwg = v[2], kwi = v[3], mdima = v[4], mdimc = v[5], mwg = v[6], ndimb = v[7];
    size_t ndimc = v[8], nwg = v[9], sa = v[10], sb = v[11], strm = v[12], strn = v[13], vwm = v[14], vwn = v[15];
    require(r, gemmk <= 1 && sa <= 1 && sb <= 1 && strm <= 1 && strn <= 1, "GEMMK, SA, SB, STRM, STRN are 0 or 1");
    require(r, vector_width(vwm) && vector_width(vwn), "VWM, VWN are 1, 2, 4, 8 or 16");
    require(r, multiple(kwg, kwi), "KWG is a multiple of KWI");
    require(r, multiple(mwg, mdimc * vwm) && multiple(nwg, ndimc * vwn), "MWG is a multiple of MDIMC*VWM and NWG "
            "of NDIMC*VWN");
    require(r, multiple(mwg, mdima * vwm) && multiple(nwg, ndimb * vwn), "MWG is a multiple of MDIMA*VWM and NWG "
            "of NDIMB*VWN");
    if (gemmk == 0) {
        require(r, kreg == 1, "KREG is 1 with GEMMK=0");
        require(r, multiple(mdimc * ndimc, mdima) && multiple(mdimc * ndimc, ndimb) &&
                   multiple(kwg, mdima ? mdimc * ndimc / mdima : 0) && multiple(kwg, ndimb ? mdimc * ndimc / ndimb : 0),
                "KWG is a multiple of MDIMC*NDIMC/MDIMA and of MDIMC*NDIMC/NDIMB (whole)");
        require(r, !limits->local_bytes || 4 * (sa * kwg * mwg + sb * kwg * nwg) <= limits->local_bytes,
                "the tiles SA*KWG*MWG + SB*KWG*NWG fit in the device's local memory");
    } else {   /* the 2-D register tiling kernel: no local memory, k one at a time, KREG of them in registers */
        require(r, multiple(kreg, vwn), "KREG is a multiple of VWN with GEMMK=1");
        require(r, kwg == 1 && kwi == 1 && sa == 0 && sb == 0 && strm == 0 && strn == 0,
                "KWG=1 KWI=1 SA=0 SB=0 STRM=0 STRN=0 with GEMMK=1");
        require(r, mdima == mdimc && ndimb == ndimc, "MDIMA=MDIMC and NDIMB=NDIMC with GEMMK=1");
    }
    require(r, !limits->work_group || mdimc * ndimc <= limits->work_group,
            "the work-group MDIMC*NDIMC fits the device's largest");
}

/* XgemmDirect: one WGD x WGD tile of C per work-group, tiles of A and B in local memory (padded by PADA, PADB). */
static void direct_rules(rules *r, const size_t *v, const nin_clblast_limits *limits)
{
    size_t kwid = v[0], mdimad = v[1], mdimcd = v[2], ndimbd = v[3], ndimcd = v[4], pada = v[5], padb = v[6];
    size_t vwmd = v[7], vwnd = v[8], wgd = v[9];
    require(r, pada <= 1 && padb <= 1, "PADA, PADB are 0 or 1");
    require(r, vector_width(vwmd) && vector_width(vwnd), "VWMD, VWND are 1, 2, 4, 8 or 16");
    require(r, multiple(wgd, kwid), "WGD is a multiple of KWID");
    require(r, multiple(wgd, mdimcd * vwmd) && multiple(wgd, ndimcd * vwnd) && multiple(wgd, mdimad * vwmd) &&
               multiple(wgd, ndimbd * vwnd), "WGD is a multiple of MDIMCD*VWMD, NDIMCD*VWND, MDIMAD*VWMD, NDIMBD*VWND");
    require(r, multiple(mdimcd * ndimcd, mdimad) && multiple(mdimcd * ndimcd, ndimbd) &&
               multiple(wgd, mdimad ? mdimcd * ndimcd / mdimad : 0) &&
               multiple(wgd, ndimbd ? mdimcd * ndimcd / ndimbd : 0),
            "WGD is a multiple of MDIMCD*NDIMCD/MDIMAD and of MDIMCD*NDIMCD/NDIMBD (whole)");
    require(r, !limits->local_bytes || 4 * (wgd * (wgd + pada) + wgd * (wgd + padb)) <= limits->local_bytes,
            "the tiles WGD*(WGD+PADA) + WGD*(WGD+PADB) fit in the device's local memory");
    require(r, !limits->work_group || mdimcd * ndimcd <= limits->work_group,
            "the work-group MDIMCD*NDIMCD fits the device's largest");
}

int nin_clblast_valid(int kernel, const size_t *v, const nin_clblast_limits *limits, char *why, size_t why_size)
{
    static const nin_clblast_limits none = { 0, 0 };
    rules r = { why, why_size, 0 };
    for (int p = 0; p < kernels[kernel].count; p++)
        require(&r, v[p] <= PARAM_MAX, "every value is at most 65536");
    if (kernel == NIN_CLBLAST_XGEMM)
        xgemm_rules(&r, v, limits ? limits : &none);
    else if (kernel == NIN_CLBLAST_DIRECT)
        direct_rules(&r, v, limits ? limits : &none);
    return r.broken ? -1 : 0;
}

/* The kernel named in a line, -1 when there is none of that name. */
static int kernel_named(const char *name)
{
    for (int k = 0; k < NIN_CLBLAST_KERNELS; k++)
        if (strcmp(name, kernels[k].name) == 0)
            return k;
    return -1;
}

/* One NAME=VALUE of kernel k into values (seen marks the names already given): 0, or -1 with the reason. */
static int read_assignment(int k, const char *word, size_t *values, int *seen, char *why, size_t why_size)
{
    const char *eq = strchr(word, '=');
    char *end;
    int p = 0;
    while (eq && p < kernels[k].count &&
           !(strlen(kernels[k].params[p]) == (size_t)(eq - word) && strncmp(word, kernels[k].params[p], eq - word) == 0))
        p++;
    if (!eq || p == kernels[k].count)
        return nin_set_error(why, why_size, "'%s' is no NAME=VALUE of a %s parameter", word, kernels[k].name);
    if (seen[p]++)
        return nin_set_error(why, why_size, "%s is given twice", kernels[k].params[p]);
    long long v = strtoll(eq + 1, &end, 10);
    if (eq[1] < '0' || eq[1] > '9' || *end || v > PARAM_MAX)
        return nin_set_error(why, why_size, "%s is no number in 0..%d", word, PARAM_MAX);
    values[p] = (size_t)v;
    return 0;
}

int nin_clblast_read_line(const char *line, nin_clblast_params *p, char *why, size_t why_size)
{
    char copy[1024], *save = NULL;
    snprintf(copy, sizeof copy, "%.*s", (int)strcspn(line, "\r\n"), line);
    char *word = strtok_r(copy, " \t", &save);
    if (!word || strcmp(word, "clblast") != 0)
        return 0;
    char *name = strtok_r(NULL, " \t", &save);
    int k = name ? kernel_named(name) : -1, seen[NIN_CLBLAST_PARAMS_MAX] = { 0 };
    if (k < 0)
        return nin_set_error(why, why_size, "expected 'clblast Xgemm|XgemmDirect|GemmRoutine NAME=VALUE ...'");
    size_t values[NIN_CLBLAST_PARAMS_MAX] = { 0 };
    while ((word = strtok_r(NULL, " \t", &save)))
        if (read_assignment(k, word, values, seen, why, why_size) != 0)
            return -1;
    for (int q = 0; q < kernels[k].count; q++)
        if (!seen[q])
            return nin_set_error(why, why_size, "clblast %s without %s (every parameter of the kernel is needed)",
                                 kernels[k].name, kernels[k].params[q]);
    char rule[160];
    if (nin_clblast_valid(k, values, NULL, rule, sizeof rule) != 0)
        return nin_set_error(why, why_size, "clblast %s: the rule '%s' is broken", kernels[k].name, rule);
    memcpy(p->values[k], values, sizeof values);
    p->set[k] = 1;
    return 1;
}

void nin_clblast_write(FILE *f, const nin_clblast_params *p)
{
    for (int k = 0; k < NIN_CLBLAST_KERNELS; k++) {
        if (!p->set[k])
            continue;
        fprintf(f, "clblast %s", kernels[k].name);
        for (int q = 0; q < kernels[k].count; q++)
            fprintf(f, " %s=%zu", kernels[k].params[q], p->values[k][q]);
        fputc('\n', f);
    }
}

int nin_clblast_apply(cl_device_id device, int kernel, const size_t *values)
{
    return (int)CLBlastOverrideParameters(device, kernels[kernel].name, CLBlastPrecisionSingle,
                                          (size_t)kernels[kernel].count, (const char **)kernels[kernel].params, values);
}
