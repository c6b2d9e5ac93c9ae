/* cli_train.c - `nin-cl train`, `nin-cl test` and `nin-cl predict`. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <nin/dist.h>
#include <nin/health.h>
#include <nin/nin.h>
#include <nin/train.h>
#include "cli.h"

long cli_parse_long(const char *option, const char *text, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max)
        nin_fatal("%s takes a whole number from %ld to %ld, not '%s'", option, min, max, text);
    return v;
}

static float parse_float(const char *option, const char *text, double min, double max)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !(v >= min && v <= max))
        nin_fatal("%s takes a number from %g to %g, not '%s'", option, min, max, text);
    return (float)v;
}

static void copy_arg(char *dst, size_t size, const char *option, const char *text)
{
    if (strlen(text) >= size)
        nin_fatal("%s is longer than %zu characters", option, size - 1);
    strcpy(dst, text);
}

static const nin_dataset_spec *find_dataset(const char *name)
{
    const nin_dataset_spec *spec = nin_dataset_find(name);
    if (!spec)
        nin_fatal("unknown dataset '%s' (known: %s)", name, nin_dataset_names());
    return spec;
}

enum {
    OPT_DATA = 1000, OPT_NET, OPT_HEAD, OPT_FC_DROPOUT, OPT_NO_DROPOUT, OPT_PREPROCESS, OPT_AUGMENT, OPT_EXTRA,
    OPT_BATCH, OPT_EPOCHS, OPT_LR, OPT_MIN_LR, OPT_MOMENTUM, OPT_DECAY, OPT_INIT_STD, OPT_PATIENCE, OPT_VAL_SIZE,
    OPT_HELP, OPT_INIT, OPT_SEED, OPT_WARMUP, OPT_MAX_STEPS, OPT_TRAIN_LIMIT, OPT_OUT, OPT_RESUME, OPT_MODEL,
    OPT_ON_STALL, OPT_STALL_STEPS, OPT_NO_FINAL_RELU, OPT_DRY_RUN,
};

static const struct option train_options[] = {
    { "data", required_argument, NULL, OPT_DATA }, { "net", required_argument, NULL, OPT_NET },
    { "head", required_argument, NULL, OPT_HEAD }, { "fc-dropout", required_argument, NULL, OPT_FC_DROPOUT },
    { "no-dropout", no_argument, NULL, OPT_NO_DROPOUT },
    { "preprocess", required_argument, NULL, OPT_PREPROCESS }, { "augment", no_argument, NULL, OPT_AUGMENT },
    { "extra", no_argument, NULL, OPT_EXTRA }, { "batch", required_argument, NULL, OPT_BATCH },
    { "epochs", required_argument, NULL, OPT_EPOCHS }, { "lr", required_argument, NULL, OPT_LR },
    { "min-lr", required_argument, NULL, OPT_MIN_LR }, { "momentum", required_argument, NULL, OPT_MOMENTUM },
    { "weight-decay", required_argument, NULL, OPT_DECAY }, { "init-std", required_argument, NULL, OPT_INIT_STD },
    { "patience", required_argument, NULL, OPT_PATIENCE }, { "val-size", required_argument, NULL, OPT_VAL_SIZE },
    { "seed", required_argument, NULL, OPT_SEED }, { "warmup", required_argument, NULL, OPT_WARMUP },
    { "max-steps", required_argument, NULL, OPT_MAX_STEPS },
    { "train-limit", required_argument, NULL, OPT_TRAIN_LIMIT }, { "out", required_argument, NULL, OPT_OUT },
    { "resume", required_argument, NULL, OPT_RESUME }, { "help", no_argument, NULL, OPT_HELP },
    { "init", required_argument, NULL, OPT_INIT }, { "on-stall", required_argument, NULL, OPT_ON_STALL },
    { "stall-steps", required_argument, NULL, OPT_STALL_STEPS },
    { "no-final-relu", no_argument, NULL, OPT_NO_FINAL_RELU },
    { "dry-run", no_argument, NULL, OPT_DRY_RUN },
    { NULL, 0, NULL, 0 },
};

static const char train_usage[] =
    "usage: nin-cl train DATASET [options]   |   nin-cl train --resume DIR/last.nin [--data DIR]\n"
    "datasets: mnist, fashion-mnist, cifar10, cifar100, svhn, mnist-clutter\n"
    "  --data DIR            the dataset's files (default: $NIN_DATA_DIR/NAME, ~/.local/share/nin-cl/NAME)\n"
    "  --net NETDEF|PRESET   the network (default: the dataset's preset)\n"
    "  --head gap|fc         global average pooling (default) or a fully connected head (the paper's ablation)\n"
    "  --fc-dropout R        with --head fc: dropout before the fully connected layer\n"
    "  --no-dropout          remove every dropout layer\n"
    "  --preprocess standardize|zca|lcn   (default standardize)\n"
    "  --augment             random crops (pad 4) and horizontal flips (no flips for digits)\n"
    "  --extra               svhn: also train on extra_32x32.mat\n"
    "  --batch N (128)  --epochs N (100)  --lr F (0.07 x N/128)  --min-lr F (lr/200)  --momentum F (0.9)\n"
    "  --weight-decay F (1e-4)  --init-std F (0: sqrt(2/fan_in))  --patience N (3)  --val-size N (5000)\n"
    "  --init data|gaussian  the Gaussian init, then (data, the default) each layer rescaled to zero-mean\n"
    "                        unit-variance pre-activations on the first batch\n"
    "  --warmup N (300: steps of linear learning-rate warm-up)  --seed N (1)  --max-steps N\n"
    "  --train-limit N  --out DIR (runs/DATASET-DATE-TIME)  --resume FILE\n"
    "  --no-final-relu       no ReLU on the last convolution before the class scores (a dead one stalls a run)\n"
    "  --on-stall warn|stop  when the loss sits at ln(C), the class scores ignore the input or the loss climbs:\n"
    "                        print a warning (default), or also stop (exit 3; the checkpoints keep the last\n"
    "                        good epoch, the stalled network goes to DIR/stalled.nin)\n"
    "  --stall-steps N (50)  steps a symptom must last after the warm-up before the warning\n"
    "  --dry-run             print the device memory the run needs (and the largest batch that fits), then exit\n"
    "under mpirun -np N (a build with MPI): data-parallel over N ranks, --batch is the global batch\n";

/* --dry-run: the run's device memory, from the netdef and batch alone (no data loaded, nothing allocated), with
 * the GEMM packing block of the device's tuning file when there is one. */
static int print_budget(const nin_options *opt, const nin_train_config *cfg)
{
    const nin_dataset_spec *spec = find_dataset(cfg->dataset);
    nin_netdef def;
    nin_budget b;
    char err[1600], path[1200];
    nin_shape input = { spec->channels, spec->height, spec->width };
    nin_device_info *devices;
    int count = nin_list_devices(&devices);
    if (count == 0)
        nin_fatal("no OpenCL device found: install an OpenCL driver (e.g. the Debian package pocl-opencl-icd)");
    int index = opt->device < 0 ? nin_default_device(devices, count) : opt->device;
    if (index >= count)
        nin_fatal("no OpenCL device %d (nin-cl --devices lists them)", index);
    nin_gemm_tuning tuned = nin_gemm_tuning_default();   /* the device's tuning file, without opening it */
    if (nin_tuning_read(nin_tuning_path(&devices[index], path, sizeof path), &tuned, err, sizeof err) < 0 ||
        nin_netdef_parse(cfg->netdef, &def, err, sizeof err) != 0 ||
        nin_budget_compute(&def, input, cfg->batch, tuned.block_n, &b, err, sizeof err) != 0)
        nin_fatal("%s", err);
    printf("network %s\n", cfg->netdef);
    nin_budget_print(&b, &def, input, tuned.block_n, &devices[index], stdout);
    free(devices);
    return 0;
}

int cmd_train(const nin_options *opt, int argc, char **argv)
{
    nin_train_config cfg;
    const char *resume = NULL, *net = NULL, *head = "gap", *data = NULL, *out = NULL;
    float fc_dropout = 0.0f;
    int no_dropout = 0, dry_run = 0, no_final_relu = 0, stop_on_stall = 0, stall_steps = NIN_HEALTH_STALL_STEPS, c, index = 0, lr_set = 0, min_lr_set = 0, epochs = 0, max_steps = 0;
    const char *run_option = NULL;   /* an option that sets up a new run: meaningless with --resume */
    const char *dataset = argc > 1 && argv[1][0] != '-' ? argv[1] : NULL;
    nin_train_config_defaults(&cfg, dataset ? dataset : "");
    optind = dataset ? 2 : 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", train_options, &index)) != -1) {
        switch (c) {
        case OPT_DATA: data = optarg; break;
        case OPT_EPOCHS: cfg.epochs = epochs = (int)cli_parse_long("--epochs", optarg, 1, 100000); break;
        case OPT_MAX_STEPS: cfg.max_steps = max_steps = (int)cli_parse_long("--max-steps", optarg, 1, 2147483647L); break;
        case OPT_OUT: out = optarg; break;
        case OPT_RESUME: resume = optarg; break;
        case OPT_HELP: fputs(train_usage, stdout); return 0;
        case OPT_DRY_RUN: dry_run = 1; break;
        case OPT_NET: net = optarg; break;
        case OPT_HEAD:
            if (strcmp(optarg, "gap") != 0 && strcmp(optarg, "fc") != 0)
                nin_fatal("--head takes gap or fc, not '%s'", optarg);
            head = optarg;
            break;
        case OPT_FC_DROPOUT: fc_dropout = parse_float("--fc-dropout", optarg, 0.0, 0.95); break;
        case OPT_NO_DROPOUT: no_dropout = 1; break;
        case OPT_NO_FINAL_RELU: no_final_relu = 1; break;
        case OPT_ON_STALL:
            if (strcmp(optarg, "warn") != 0 && strcmp(optarg, "stop") != 0)
                nin_fatal("--on-stall takes warn or stop, not '%s'", optarg);
            stop_on_stall = strcmp(optarg, "stop") == 0;
            break;
        case OPT_STALL_STEPS: stall_steps = (int)cli_parse_long("--stall-steps", optarg, 1, 1000000); break;
        case OPT_PREPROCESS:
            if (nin_preprocess_parse(optarg, &cfg.preprocess) != 0)
                nin_fatal("--preprocess takes standardize, zca or lcn, not '%s'", optarg);
            break;
        case OPT_AUGMENT: cfg.augment = 1; break;
        case OPT_EXTRA: cfg.extra = 1; break;
        case OPT_BATCH: cfg.batch = (int)cli_parse_long("--batch", optarg, 1, 65536); break;
        case OPT_LR: cfg.lr = parse_float("--lr", optarg, 1e-9, 100.0), lr_set = 1; break;
        case OPT_MIN_LR: cfg.min_lr = parse_float("--min-lr", optarg, 0.0, 100.0), min_lr_set = 1; break;
        case OPT_MOMENTUM: cfg.momentum = parse_float("--momentum", optarg, 0.0, 0.9999); break;
        case OPT_DECAY: cfg.weight_decay = parse_float("--weight-decay", optarg, 0.0, 1.0); break;
        case OPT_INIT_STD: cfg.init_std = parse_float("--init-std", optarg, 0.0, 10.0); break;
        case OPT_PATIENCE: cfg.patience = (int)cli_parse_long("--patience", optarg, 1, 1000); break;
        case OPT_VAL_SIZE: cfg.val_size = (int)cli_parse_long("--val-size", optarg, 0, 10000000); break;
        case OPT_SEED: cfg.seed = (uint64_t)cli_parse_long("--seed", optarg, 0, 2147483647L); break;
        case OPT_WARMUP: cfg.warmup = (int)cli_parse_long("--warmup", optarg, 0, 10000000); break;
        case OPT_TRAIN_LIMIT: cfg.train_limit = (int)cli_parse_long("--train-limit", optarg, 1, 2147483647L); break;
        case OPT_INIT:
            if (strcmp(optarg, "data") != 0 && strcmp(optarg, "gaussian") != 0)
                nin_fatal("--init takes data or gaussian, not '%s'", optarg);
            cfg.data_init = strcmp(optarg, "data") == 0;
            break;
        default:
            fputs(train_usage, stderr);
            nin_fatal("unknown or incomplete option '%s' for train", argv[optind - 1]);
        }
        /* anything but these sets up a new run */
        if (c != OPT_DATA && c != OPT_EPOCHS && c != OPT_MAX_STEPS && c != OPT_OUT && c != OPT_RESUME &&
            c != OPT_ON_STALL && c != OPT_STALL_STEPS && c != OPT_DRY_RUN)
            run_option = train_options[index].name;
    }
    if (optind < argc)
        nin_fatal("unexpected argument '%s' for train (see nin-cl train --help)", argv[optind]);
    if (!dataset && !resume) {
        fputs(train_usage, stderr);
        nin_fatal("train needs a dataset (%s) or --resume FILE", nin_dataset_names());
    }
    nin_checkpoint ck = { 0 };
    if (resume) {
        /* the run goes on as it was configured; only where the data is, where the output goes and when to
         * stop can change */
        char err[1400];
        if (run_option)
            nin_fatal("--%s: --resume goes on with the checkpoint's settings; only --data, --out, --epochs, "
                      "--max-steps, --on-stall and --stall-steps can change", run_option);
        if (nin_checkpoint_load(resume, &ck, err, sizeof err) != 0)
            nin_fatal("%s", err);
        if (dataset && strcmp(dataset, ck.config.dataset) != 0)
            nin_fatal("%s is a %s checkpoint, not %s", resume, ck.config.dataset, dataset);
        cfg = ck.config;
        if (epochs)
            cfg.epochs = epochs;
        cfg.max_steps = max_steps;   /* a limit is for one invocation, not inherited */
        if (out)
            copy_arg(cfg.out_dir, sizeof cfg.out_dir, "--out", out);
        else {
            const char *slash = strrchr(resume, '/');
            snprintf(cfg.out_dir, sizeof cfg.out_dir, "%.*s", slash ? (int)(slash - resume) : 1, slash ? resume : ".");
        }
    } else {
        const nin_dataset_spec *spec = find_dataset(dataset);
        if (!lr_set)   /* the default is tuned for batch 128; scale it linearly with the batch (Goyal et al.) */
            cfg.lr = cfg.lr * (float)cfg.batch / 128.0f;
        if (!min_lr_set)
            cfg.min_lr = cfg.lr / 200.0f;
        nin_netdef def;
        char err[512];
        if (nin_netdef_parse(net ? net : spec->name, &def, err, sizeof err) != 0)
            nin_fatal("--net: %s", err);
        if (no_dropout)
            nin_netdef_remove_dropout(&def);
        if (strcmp(head, "fc") == 0 && nin_netdef_fc_head(&def, fc_dropout) != 0)
            nin_fatal("--head fc needs a network that ends in <classes>c1-gap");
        if (no_final_relu && nin_netdef_no_final_relu(&def) != 0)
            nin_fatal("--no-final-relu: the network has no convolution or fully connected layer");
        nin_netdef_format(&def, cfg.netdef, sizeof cfg.netdef);
        if (out)
            copy_arg(cfg.out_dir, sizeof cfg.out_dir, "--out", out);
        else {
            time_t t = time(NULL);
            char stamp[32];
            strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&t));
            snprintf(cfg.out_dir, sizeof cfg.out_dir, "runs/%s-%s", spec->name, stamp);
        }
    }
    if (data)
        copy_arg(cfg.data_dir, sizeof cfg.data_dir, "--data", data);
    cfg.stop_on_stall = stop_on_stall;
    cfg.stall_steps = stall_steps;
    if (dry_run) {
        nin_checkpoint_free(&ck);
        return print_budget(opt, &cfg);
    }
    if (nin_dist_init() != 0)   /* under mpirun: one rank of a data-parallel run */
        nin_fatal("%s", nin_last_error());
    if (nin_dist_rank() != 0 && !freopen("/dev/null", "w", stdout))   /* only rank 0 prints */
        nin_fatal("rank %d: cannot silence its standard output", nin_dist_rank());
    nin_context *ctx = cli_open_device(nin_dist_device(opt->device));
    if (!ctx)
        nin_fatal("%s", nin_last_error());
    int status = nin_train(ctx, &cfg, resume ? &ck : NULL, stdout, stderr);
    if (status < 0)
        nin_fatal("%s", nin_last_error());
    nin_checkpoint_free(&ck);
    nin_context_free(ctx);
    nin_dist_finalize();
    return status;
}

nin_net *load_model(nin_context *ctx, const char *path, int batch, int training, nin_checkpoint *ck)
{
    char err[1400];
    nin_netdef def;
    if (nin_checkpoint_load(path, ck, err, sizeof err) != 0)
        nin_fatal("%s", err);
    if (nin_netdef_parse(ck->config.netdef, &def, err, sizeof err) != 0)
        nin_fatal("%s: %s", path, err);
    nin_net *net = training ? nin_net_create(ctx, &def, ck->input, batch, ck->config.seed, 0.0f)
                            : nin_net_create_inference(ctx, &def, ck->input, batch);
    if (nin_net_param_count(net) != ck->params || nin_net_output_shape(net).c != ck->classes)
        nin_fatal("%s is corrupt: its network does not match its %zu parameters", path, ck->params);
    nin_net_set_params(net, ck->weights);
    return net;
}

static const struct option model_options[] = {
    { "model", required_argument, NULL, OPT_MODEL }, { "data", required_argument, NULL, OPT_DATA },
    { NULL, 0, NULL, 0 },
};

/* Parse --model FILE [--data DIR] anywhere on the line (getopt moves the other arguments to the end) and
 * return the index of the first of those. */
static int parse_model_options(int argc, char **argv, const char **model, const char **data, const char *usage)
{
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", model_options, NULL)) != -1) {
        if (c == OPT_MODEL)
            *model = optarg;
        else if (c == OPT_DATA && data)
            *data = optarg;
        else
            nin_fatal("unknown or incomplete option '%s': %s", argv[optind - 1], usage);
    }
    if (!*model)
        nin_fatal("%s", usage);
    return optind;
}

int cmd_test(const nin_options *opt, int argc, char **argv)
{
    const char *usage = "usage: nin-cl test --model FILE DATASET [--data DIR]";
    const char *model = NULL, *data = NULL;
    int first = parse_model_options(argc, argv, &model, &data, usage);
    if (first + 1 != argc)
        nin_fatal("%s", usage);
    const nin_dataset_spec *spec = find_dataset(argv[first]);
    nin_context *ctx = cli_open_device(opt->device);
    nin_checkpoint ck;
    nin_net *net = load_model(ctx, model, 100, 0, &ck);
    if (spec->classes != ck.classes || spec->channels != ck.input.c || spec->height != ck.input.h ||
        spec->width != ck.input.w)
        nin_fatal("%s was trained on %dx%dx%d images with %d classes; %s has %dx%dx%d with %d", model, ck.input.c,
                  ck.input.h, ck.input.w, ck.classes, spec->name, spec->channels, spec->height, spec->width,
                  spec->classes);
    char dir[1024], err[1024];
    nin_dataset test;
    nin_dataset_dir(spec, data, dir, sizeof dir);
    if (nin_dataset_load(spec, dir, NIN_SPLIT_TEST, &test, err, sizeof err) != 0)
        nin_fatal("%s", err);
    nin_eval e;
    if (nin_evaluate(net, &ck.pre, test.images, test.labels, test.count, &e) != 0)
        nin_fatal("%s", nin_last_error());
    printf("test_acc=%.4f test_loss=%.4f n=%d\n", e.acc, e.loss, e.count);
    nin_dataset_free(&test);
    nin_checkpoint_free(&ck);
    nin_net_free(net);
    nin_context_free(ctx);
    return 0;
}

int cmd_predict(const nin_options *opt, int argc, char **argv)
{
    const char *usage = "usage: nin-cl predict --model FILE IMAGE...";
    const char *model = NULL;
    int first = parse_model_options(argc, argv, &model, NULL, usage);
    if (first >= argc)
        nin_fatal("%s", usage);
    nin_context *ctx = cli_open_device(opt->device);
    nin_checkpoint ck;
    nin_net *net = load_model(ctx, model, 1, 0, &ck);
    const nin_dataset_spec *spec = nin_dataset_find(ck.config.dataset);
    int classes = ck.classes, top = classes < 5 ? classes : 5;
    float *x = nin_malloc((size_t)ck.input.c * ck.input.h * ck.input.w * sizeof *x), *logits = nin_malloc(classes * sizeof *logits);
    for (int i = first; i < argc; i++) {
        nin_image img, fitted;
        char err[1024];
        if (nin_image_load(argv[i], &img, err, sizeof err) != 0)
            nin_fatal("%s", err);
        nin_image_convert(&img, ck.input.c, ck.input.h, ck.input.w, &fitted);
        nin_preprocess_apply(&ck.pre, fitted.pixels, 1, x);
        nin_net_set_input(net, x, NULL);
        nin_net_forward(net, 0);
        nin_net_get_output(net, logits);
        nin_softmax(logits, classes, logits);
        printf("%s\n", argv[i]);
        for (int k = 0; k < top; k++) {   /* the k-th largest: repeated selection, classes are few */
            int best = -1;
            for (int c = 0; c < classes; c++)
                if (logits[c] >= 0.0f && (best < 0 || logits[c] > logits[best]))
                    best = c;
            if (spec && spec->classes == classes)
                printf("  %d. %-14s %.4f\n", k + 1, spec->class_names[best], logits[best]);
            else
                printf("  %d. class %-8d %.4f\n", k + 1, best, logits[best]);
            logits[best] = -1.0f;
        }
        nin_image_free(&img);
        nin_image_free(&fitted);
    }
    free(x);
    free(logits);
    nin_checkpoint_free(&ck);
    nin_net_free(net);
    nin_context_free(ctx);
    return 0;
}
