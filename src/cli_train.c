/* cli_train.c - `nin-cl train`, `nin-cl test` and `nin-cl predict`: their option tables, and each run in
 * phases: the settings of a new or a resumed run, the memory budget of --dry-run, the training itself; a
 * checkpoint's test accuracy; a checkpoint's top classes for image files. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <nin/dist.h>
#include <nin/health.h>
#include <nin/nin.h>
#include <nin/train.h>
#include "cli.h"

/* --- train: the table ------------------------------------------------------------------------------ */

typedef struct train_args {
    nin_train_config cfg;                 /* the settings most options write; defaults from the library */
    const nin_dataset_spec *dataset;
    const char *data, *out, *resume, *net, *lr_steps, *init_from;
    int on_stall, head, init, preprocess, data_changed, schedule; /* indices into their choice lists below */
    float fc_dropout;
    int no_dropout, no_final_relu, dry_run, overwrite, report_memory;
} train_args;

enum { HEAD_GAP, HEAD_FC };
enum { INIT_DATA, INIT_GAUSSIAN };
enum { STALL_WARN, STALL_STOP };
enum { DATA_CHANGED_STOP, DATA_CHANGED_OK };
static const char *const head_choices[] = { "gap", "fc", NULL };
static const char *const init_choices[] = { "data", "gaussian", NULL };
static const char *const stall_choices[] = { "warn", "stop", NULL };
static const char *const data_changed_choices[] = { "stop", "ok", NULL };
static const char *const preprocess_choices[] = { "standardize", "zca", "lcn", NULL };
static const char *const schedule_choices[] = { "plateau", "step", "cosine", NULL };

#define T(member) offsetof(train_args, member)
/* CLI_KEEPS_RUN: what --resume may change; the run goes on with the checkpoint's settings otherwise */
static const cli_option train_options[] = {
    { .name = "DATASET", .kind = CLI_DATASET, .offset = T(dataset), .flags = CLI_ARGUMENT,
      .help = "what to train on; with --resume, it must be the checkpoint's" },
    { .name = "data", .kind = CLI_STRING, .offset = T(data), .metavar = "DIR", .flags = CLI_KEEPS_RUN,
      .help = "the dataset's files", .shown_default = "$NIN_DATA_DIR/NAME, else ~/.local/share/nin-cl/NAME" },
    { .name = "out", .kind = CLI_STRING, .offset = T(out), .metavar = "DIR", .flags = CLI_KEEPS_RUN,
      .help = "where last.nin, best.nin and metrics.csv go; the run locks it, and a new run refuses a directory "
              "that holds an earlier run's",
      .shown_default = "a new runs/DATASET-DATE-TIME[-N]; with --resume, the checkpoint's directory" },
    { .name = "overwrite", .kind = CLI_FLAG, .offset = T(overwrite), .flags = CLI_KEEPS_RUN,
      .help = "replace the earlier run in --out DIR: its checkpoints and metrics are removed when this run starts" },
    { .name = "keep-epochs", .kind = CLI_INT, .offset = T(cfg.keep_epochs), .min = 0, .max = 1000000,
      .metavar = "N", .flags = CLI_KEEPS_RUN,
      .help = "also keep the checkpoints of the last N epochs, as DIR/epoch-E.nin (to roll back with --resume)" },
    { .name = "epochs", .kind = CLI_INT, .offset = T(cfg.epochs), .min = 1, .max = 100000, .metavar = "N",
      .flags = CLI_KEEPS_RUN, .help = "stop after this many epochs" },
    { .name = "max-steps", .kind = CLI_INT, .offset = T(cfg.max_steps), .min = 1, .max = 2147483647,
      .metavar = "N", .flags = CLI_KEEPS_RUN, .shown_default = "no limit",
      .help = "stop after N steps of this invocation, inside an epoch if need be (--resume finishes it)" },
    { .name = "on-stall", .kind = CLI_CHOICE, .offset = T(on_stall), .choices = stall_choices,
      .flags = CLI_KEEPS_RUN,
      .help = "when the loss sits at ln(C), the class scores ignore the input or the loss climbs: print a warning, "
              "or also stop (exit 3; the checkpoints keep the last good epoch, the stalled network goes to "
              "DIR/stalled.nin)" },
    { .name = "stall-steps", .kind = CLI_INT, .offset = T(cfg.stall_steps), .min = 1, .max = 1000000,
      .metavar = "N", .flags = CLI_KEEPS_RUN,
      .help = "steps a symptom must last after the warm-up before the warning" },
    { .name = "resume", .kind = CLI_STRING, .offset = T(resume), .metavar = "FILE", .flags = CLI_KEEPS_RUN,
      .help = "go on with the run a checkpoint (DIR/last.nin) was written by, with its settings" },
    { .name = "data-changed", .kind = CLI_CHOICE, .offset = T(data_changed), .choices = data_changed_choices,
      .flags = CLI_KEEPS_RUN,
      .help = "--resume against data other than the run's (its checkpoint keeps the data's fingerprint): stop "
              "naming what differs, or go on with the new data" },
    { .name = "report-memory", .kind = CLI_FLAG, .offset = T(report_memory), .flags = CLI_KEEPS_RUN | CLI_HIDDEN,
      .help = "print the resident memory after each epoch" },
    { .name = "dry-run", .kind = CLI_FLAG, .offset = T(dry_run), .flags = CLI_KEEPS_RUN,
      .help = "print the device memory the run needs (and the largest batch that fits), then exit" },
    { .name = "net", .kind = CLI_STRING, .offset = T(net), .metavar = "NETDEF|PRESET", .help = "the network",
      .shown_default = "the dataset's preset" },
    { .name = "init-from", .kind = CLI_STRING, .offset = T(init_from), .metavar = "MODEL",
      .help = "fine-tune: start from the weights and preprocessing of a trained model (a checkpoint or ONNX file); "
              "its class layer starts anew when its classes are not the dataset's. The network is the model's "
              "unless --net says otherwise (the same layers, up to the class count)" },
    { .name = "head", .kind = CLI_CHOICE, .offset = T(head), .choices = head_choices,
      .help = "global average pooling, or a fully connected head (the paper's ablation)" },
    { .name = "fc-dropout", .kind = CLI_FLOAT, .offset = T(fc_dropout), .min = 0.0, .max = 0.95, .metavar = "R",
      .help = "with --head fc: dropout before the fully connected layer" },
    { .name = "no-dropout", .kind = CLI_FLAG, .offset = T(no_dropout), .help = "remove every dropout layer" },
    { .name = "no-final-relu", .kind = CLI_FLAG, .offset = T(no_final_relu),
      .help = "no ReLU on the last convolution before the class scores (a dead one stalls a run)" },
    { .name = "init", .kind = CLI_CHOICE, .offset = T(init), .choices = init_choices,
      .help = "the Gaussian init, then (data) each layer rescaled to zero-mean unit-variance pre-activations on "
              "the first batch" },
    { .name = "init-std", .kind = CLI_FLOAT, .offset = T(cfg.init_std), .min = 0.0, .max = 10.0, .metavar = "F",
      .help = "the standard deviation of the Gaussian init", .shown_default = "0: sqrt(2/fan_in)" },
    { .name = "preprocess", .kind = CLI_CHOICE, .offset = T(preprocess), .choices = preprocess_choices,
      .help = "per-channel standardization, ZCA whitening (the paper's CIFAR setup) or local contrast "
              "normalization (its SVHN setup)" },
    { .name = "augment", .kind = CLI_FLAG, .offset = T(cfg.augment),
      .help = "random crops (pad 4) and horizontal flips (no flips for digits)" },
    { .name = "extra", .kind = CLI_FLAG, .offset = T(cfg.extra), .help = "svhn: also train on extra_32x32.mat" },
    { .name = "batch", .kind = CLI_INT, .offset = T(cfg.batch), .min = 1, .max = 65536, .metavar = "N",
      .help = "images per step (under mpirun, of all ranks together)" },
    { .name = "lr", .kind = CLI_FLOAT, .offset = T(cfg.lr), .min = 1e-9, .max = 100.0, .metavar = "F",
      .help = "the learning rate; the default is for batch 128 and scales linearly with --batch" },
    { .name = "schedule", .kind = CLI_CHOICE, .offset = T(schedule), .choices = schedule_choices,
      .help = "how the learning rate falls after the warm-up: divided by 10 after --patience epochs without a "
              "better validation accuracy, the run ending below --min-lr (plateau, the paper's); divided by 10 "
              "after each epoch of --lr-steps (step, Caffe's multistep); or at every step along a half cosine "
              "that reaches 0 at the end of --epochs (cosine; --epochs given with --resume moves that end)" },
    { .name = "lr-steps", .kind = CLI_STRING, .offset = T(lr_steps), .metavar = "E1,E2,...",
      .help = "--schedule step: the epochs after which the learning rate is divided by 10, increasing (30,60: "
              "epochs 31 to 60 at lr/10, from 61 on lr/100)" },
    { .name = "min-lr", .kind = CLI_FLOAT, .offset = T(cfg.min_lr), .min = 0.0, .max = 100.0, .metavar = "F",
      .help = "--schedule plateau: stop when the learning rate falls below this", .shown_default = "lr/200" },
    { .name = "momentum", .kind = CLI_FLOAT, .offset = T(cfg.momentum), .min = 0.0, .max = 0.9999, .metavar = "F",
      .help = "SGD momentum" },
    { .name = "weight-decay", .kind = CLI_FLOAT, .offset = T(cfg.weight_decay), .min = 0.0, .max = 1.0,
      .metavar = "F", .help = "L2 weight decay" },
    { .name = "bias-lr-mult", .kind = CLI_FLOAT, .offset = T(cfg.bias_lr_mult), .min = 0.0, .max = NIN_MAX_LR_MULT,
      .metavar = "F", .help = "every bias learns at F times the learning rate (Caffe's NIN: 2)" },
    { .name = "class-lr-mult", .kind = CLI_FLOAT, .offset = T(cfg.class_lr_mult), .min = 0.0,
      .max = NIN_MAX_LR_MULT, .metavar = "F",
      .help = "the class layer's weights and biases learn at F times the learning rate, its biases at "
              "--bias-lr-mult times that (Caffe's NIN: 0.1)" },
    { .name = "patience", .kind = CLI_INT, .offset = T(cfg.patience), .min = 1, .max = 1000, .metavar = "N",
      .help = "--schedule plateau: divide the learning rate by 10 after N epochs without a better validation "
              "accuracy" },
    { .name = "val-size", .kind = CLI_INT, .offset = T(cfg.val_size), .min = 0, .max = 10000000, .metavar = "N",
      .help = "training images held out for validation" },
    { .name = "warmup", .kind = CLI_INT, .offset = T(cfg.warmup), .min = 0, .max = 10000000, .metavar = "N",
      .help = "steps of linear learning-rate warm-up" },
    { .name = "seed", .kind = CLI_SEED, .offset = T(cfg.seed), .min = 0, .max = 2147483647, .metavar = "N",
      .help = "the seed of the initialization, the data order, dropout and augmentation" },
    { .name = "size", .kind = CLI_INT, .offset = T(cfg.image_size), .min = 1, .max = 4096, .metavar = "N",
      .help = "images: each picture's shorter side is scaled to N (an area filter) and the centre N x N kept" },
    { .name = "channels", .kind = CLI_INT, .offset = T(cfg.image_channels), .min = 1, .max = 3, .metavar = "1|3",
      .help = "images: every picture converted to gray (1) or RGB (3)" },
    { .name = "test-split", .kind = CLI_FLOAT, .offset = T(cfg.test_split), .min = 0.001, .max = 0.9,
      .metavar = "F", .help = "images without train/ and test/ folders: the fraction of each class held out "
                              "for testing (seeded by --seed)" },
    { .name = "skip-bad", .kind = CLI_FLAG, .offset = T(cfg.skip_bad),
      .help = "images: leave out pictures that cannot be read, and say how many, instead of stopping" },
    { .name = "train-limit", .kind = CLI_INT, .offset = T(cfg.train_limit), .min = 1, .max = 2147483647,
      .metavar = "N", .help = "train on the first N training images only", .shown_default = "all" },
    CLI_END,
};
#undef T

static int cmd_train(const nin_options *opt, int argc, char **argv);

const cli_command cli_train = {
    .name = "train",
    .summary = "train a network on a dataset, or go on with a run from its checkpoint",
    .synopsis = "DATASET [options]   |   nin-cl train --resume DIR/last.nin [--data DIR]",
    .about = "Under mpirun -np N (a build with MPI) the run is data-parallel over N ranks and --batch is the "
             "global batch.",
    .options = train_options,
    .run = cmd_train,
    .restricted_by = "resume",
    .restriction = "--resume goes on with the checkpoint's settings",
};

/* --- train: the settings of the run ------------------------------------------------------------------ */

static void copy_arg(char *dst, size_t size, const char *option, const char *text)
{
    if (strlen(text) >= size)
        cli_usage_error("%s is longer than %zu characters", option, size - 1);
    strcpy(dst, text);
}

/* The network of a new run: --net or the preset, changed by --no-dropout, --head fc and --no-final-relu. */
/* The network a run starts from: --net, else the --init-from model's, else the dataset's preset. */
static void base_network(const train_args *a, nin_netdef *def)
{
    if (a->net || !a->init_from) {
        cli_parse_netdef("--net: ", a->net ? a->net : a->dataset->name, def);
        return;
    }
    nin_checkpoint model;
    cli_read_checkpoint(a->init_from, &model);
    cli_parse_netdef("--init-from: ", model.config.netdef, def);
    nin_checkpoint_free(&model);
}

static void network_of_run(const train_args *a, nin_train_config *cfg)
{
    nin_netdef def;
    base_network(a, &def);
    if (a->no_dropout)
        nin_netdef_remove_dropout(&def);
    if (a->head == HEAD_FC && nin_netdef_fc_head(&def, a->fc_dropout) != 0)
        cli_usage_error("--head fc needs a network that ends in <classes>c1-gap");
    if (a->no_final_relu && nin_netdef_no_final_relu(&def) != 0)
        cli_usage_error("--no-final-relu: the network has no convolution or fully connected layer");
    nin_netdef_format(&def, cfg->netdef, sizeof cfg->netdef);
}

/* --size, --channels, --test-split and --skip-bad read image folders: for the images dataset only. */
static void check_image_options(const train_args *a, const cli_parsed *parsed)
{
    static const char *const image_options[] = { "size", "channels", "test-split", "skip-bad" };
    for (size_t i = 0; i < sizeof image_options / sizeof image_options[0]; i++)
        if (cli_given(&cli_train, parsed, image_options[i]) && strcmp(a->dataset->name, "images") != 0)
            cli_usage_error("--%s is for the images dataset, not %s", image_options[i], a->dataset->name);
    if (a->cfg.image_channels == 2)
        cli_usage_error("--channels 2: pictures are converted to gray (1) or RGB (3)");
}

/* --schedule, and what belongs to it: --lr-steps to step (which needs them), --patience and --min-lr to plateau. */
static void schedule_of_run(const train_args *a, const cli_parsed *parsed, nin_train_config *cfg)
{
    static const char *const plateau_options[] = { "patience", "min-lr" };
    const char *name = schedule_choices[a->schedule];
    nin_schedule_parse(name, &cfg->schedule);
    if (a->lr_steps && cfg->schedule != NIN_SCHEDULE_STEP)
        cli_usage_error("--lr-steps is for --schedule step, not %s", name);
    if (cfg->schedule == NIN_SCHEDULE_STEP && !a->lr_steps)
        cli_usage_error("--schedule step needs --lr-steps E1,E2,...: the epochs after which the learning rate is "
                        "divided by 10");
    if (a->lr_steps && (!*a->lr_steps || nin_lr_steps_parse(a->lr_steps, cfg->lr_steps) != 0))
        cli_usage_error("--lr-steps takes up to %d epochs, increasing whole numbers from 1 such as 30,60, not '%s'",
                        NIN_MAX_LR_STEPS, a->lr_steps);
    for (size_t i = 0; i < sizeof plateau_options / sizeof plateau_options[0]; i++)
        if (cfg->schedule != NIN_SCHEDULE_PLATEAU && cli_given(&cli_train, parsed, plateau_options[i]))
            cli_usage_error("--%s is for --schedule plateau, not %s", plateau_options[i], name);
    if (cfg->schedule == NIN_SCHEDULE_PLATEAU && !(cfg->min_lr < cfg->lr))
        cli_usage_error("--min-lr %g is not below --lr %g: the plateau rule would stop before the first step",
                        cfg->min_lr, cfg->lr);
}

static void new_run_settings(const train_args *a, const cli_parsed *parsed, nin_train_config *cfg)
{
    check_image_options(a, parsed);
    *cfg = a->cfg;
    snprintf(cfg->dataset, sizeof cfg->dataset, "%s", a->dataset->name);
    if (!cli_given(&cli_train, parsed, "lr"))   /* tuned for batch 128; linear in the batch (Goyal et al.) */
        cfg->lr = cfg->lr * (float)cfg->batch / 128.0f;
    if (!cli_given(&cli_train, parsed, "min-lr"))
        cfg->min_lr = cfg->lr / 200.0f;
    cfg->data_init = a->init == INIT_DATA && !a->init_from;
    nin_preprocess_parse(preprocess_choices[a->preprocess], &cfg->preprocess);
    if (a->init_from) {
        if (cli_given(&cli_train, parsed, "preprocess") || cli_given(&cli_train, parsed, "init"))
            cli_usage_error("--init-from: the run takes the model's weights and preprocessing, not --%s",
                            cli_given(&cli_train, parsed, "init") ? "init" : "preprocess");
        copy_arg(cfg->init_from, sizeof cfg->init_from, "--init-from", a->init_from);
    }
    schedule_of_run(a, parsed, cfg);
    network_of_run(a, cfg);
    if (a->out) {
        copy_arg(cfg->out_dir, sizeof cfg->out_dir, "--out", a->out);
        cfg->out_policy = a->overwrite ? NIN_OUT_OVERWRITE : NIN_OUT_NEW;
    } else {   /* a new directory: runs/DATASET-DATE-TIME, or with -2, -3... when another run took that name */
        time_t t = time(NULL);
        char stamp[32];
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&t));
        snprintf(cfg->out_dir, sizeof cfg->out_dir, "runs/%s-%s", a->dataset->name, stamp);
        cfg->out_policy = NIN_OUT_UNIQUE;
    }
}

/* Whether the paths a and b name one existing directory. */
static int same_directory(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* --resume: the run goes on as it was configured; only where the data is, where the output goes and when to
 * stop can change (the CLI_KEEPS_RUN options; cli_parse refused the others). */
static void resumed_settings(const train_args *a, const cli_parsed *parsed, nin_checkpoint *ck,
                             nin_train_config *cfg)
{
    char err[1400];
    if (nin_checkpoint_load(a->resume, ck, err, sizeof err) != 0)   /* a run's own checkpoint: not an ONNX model */
        cli_fatal("%s", err);
    if (a->dataset && strcmp(a->dataset->name, ck->config.dataset) != 0)
        cli_fatal("%s is a %s checkpoint, not %s", a->resume, ck->config.dataset, a->dataset->name);
    *cfg = ck->config;
    if (cli_given(&cli_train, parsed, "epochs"))
        cfg->epochs = a->cfg.epochs;
    if (cli_given(&cli_train, parsed, "keep-epochs"))
        cfg->keep_epochs = a->cfg.keep_epochs;
    char path[1024];
    snprintf(path, sizeof path, "%s", a->resume);
    const char *own = dirname(path);   /* the checkpoint's directory: the run's own files, which it goes on writing */
    copy_arg(cfg->out_dir, sizeof cfg->out_dir, "--out", a->out ? a->out : own);
    cfg->out_policy = !a->out || same_directory(a->out, own) ? NIN_OUT_CONTINUE
                    : a->overwrite                           ? NIN_OUT_OVERWRITE
                                                             : NIN_OUT_NEW;
}

/* What belongs to this invocation, new run or resumed: the data's place, the step limit, the health monitor, what
 * a resume does with data other than the run's. */
static void invocation_settings(const train_args *a, nin_train_config *cfg)
{
    if (a->data)
        copy_arg(cfg->data_dir, sizeof cfg->data_dir, "--data", a->data);
    cfg->max_steps = a->cfg.max_steps;   /* a limit is for one invocation, not inherited */
    cfg->stop_on_stall = a->on_stall == STALL_STOP;
    cfg->stall_steps = a->cfg.stall_steps;
    cfg->data_changed_ok = a->data_changed == DATA_CHANGED_OK;
    cfg->report_memory = a->report_memory;
}

/* --- train: the run ---------------------------------------------------------------------------------- */

/* --dry-run: the run's device memory, from the netdef and batch alone (no data loaded, nothing allocated), with
 * the GEMM packing block of the device's tuning file when there is one. */
static int print_budget(const nin_options *opt, const nin_train_config *cfg)
{
    const nin_dataset_spec *spec = cli_find_dataset(cfg->dataset);
    nin_netdef def;
    nin_budget b;
    char err[1600], path[1200];
    nin_shape input = { spec->channels, spec->height, spec->width };
    if (strcmp(spec->name, "images") == 0)
        input = (nin_shape){ cfg->image_channels, cfg->image_size, cfg->image_size };
    nin_device_info *devices;
    int index = cli_pick_device(opt->device, &devices);
    nin_gemm_tuning tuned = nin_gemm_tuning_default();   /* the device's tuning file, without opening it */
    if (nin_tuning_read(nin_tuning_path(&devices[index], path, sizeof path), &tuned, err, sizeof err) < 0 ||
        nin_netdef_parse(cfg->netdef, &def, err, sizeof err) != 0 ||
        nin_budget_compute(&def, input, cfg->batch, &tuned, &b, err, sizeof err) != 0)
        cli_fatal("%s", err);
    printf("network %s\n", cfg->netdef);
    nin_budget_print(&b, &def, input, &tuned, &devices[index], stdout);
    free(devices);
    return 0;
}

static int run_training(const nin_options *opt, const nin_train_config *cfg, nin_checkpoint *resume)
{
    cli_check(nin_dist_init());   /* under mpirun: one rank of a data-parallel run */
    if (nin_dist_rank() != 0 && !freopen("/dev/null", "w", stdout))   /* only rank 0 prints */
        cli_fatal("rank %d: cannot silence its standard output", nin_dist_rank());
    nin_context *ctx = cli_open_context(nin_dist_device(opt->device));
    int status = cli_check(nin_train(ctx, cfg, resume, stdout, stderr));
    nin_context_free(ctx);
    nin_dist_finalize();
    return status;
}

static int cmd_train(const nin_options *opt, int argc, char **argv)
{
    train_args a = { 0 };
    nin_train_config_defaults(&a.cfg, "");
    cli_parsed parsed = cli_parse(&cli_train, argc, argv, &a);
    if (!a.dataset && !a.resume)
        cli_usage_error("train needs a dataset (%s) or --resume FILE", nin_dataset_names());
    nin_train_config cfg;
    nin_checkpoint ck = { 0 };
    if (a.resume)
        resumed_settings(&a, &parsed, &ck, &cfg);
    else
        new_run_settings(&a, &parsed, &cfg);
    invocation_settings(&a, &cfg);
    int status = a.dry_run ? print_budget(opt, &cfg) : run_training(opt, &cfg, a.resume ? &ck : NULL);
    nin_checkpoint_free(&ck);
    return status;
}

/* --- test and predict -------------------------------------------------------------------------------- */

typedef struct model_args {
    const char *model, *data, *confusion, *logits;
    int limit;
    const nin_dataset_spec *dataset;
    cli_list images;
} model_args;

static const cli_option test_options[] = {
    { .name = "DATASET", .kind = CLI_DATASET, .offset = offsetof(model_args, dataset),
      .flags = CLI_ARGUMENT | CLI_REQUIRED, .help = "whose test split to evaluate on" },
    CLI_MODEL_OPTION(model_args),
    CLI_DATA_OPTION(model_args, "the dataset's files"),
    { .name = "confusion", .kind = CLI_STRING, .offset = offsetof(model_args, confusion), .metavar = "OUT.png",
      .help = "also draw the confusion matrix as a PNG" },
    { .name = "logits", .kind = CLI_STRING, .offset = offsetof(model_args, logits), .metavar = "OUT.npy",
      .help = "also write every test image's logits (the network's outputs before softmax) as a NumPy array of "
              "float32, images x classes, in the test split's order" },
    { .name = "limit", .kind = CLI_INT, .offset = offsetof(model_args, limit), .min = 1, .max = 2147483647,
      .metavar = "N", .shown_default = "every test image", .help = "evaluate the first N test images only" },
    CLI_END,
};

static const cli_option predict_options[] = {
    { .name = "IMAGE", .kind = CLI_REST, .offset = offsetof(model_args, images), .flags = CLI_ARGUMENT | CLI_REQUIRED,
      .help = "JPEG, PNG, PGM or PPM files; each is scaled to the network's input" },
    CLI_MODEL_OPTION(model_args),
    CLI_END,
};

/* A warning when the test images are those the model was trained on (the checkpoint's fingerprint of its data):
 * their accuracy says nothing about new images. */
static void warn_if_trained_on(const char *model, const nin_checkpoint *ck, const nin_dataset *test, const char *dir)
{
    size_t dim = (size_t)ck->input.c * ck->input.h * ck->input.w;
    nin_split_fingerprint f = nin_fingerprint_split(test->images, test->labels, test->count, dim);
    const char *part = nin_fingerprint_trained_on(&ck->data, &f);
    if (part)
        fprintf(stderr, "nin-cl: warning: the test images in %s are the %s images %s was trained on: this accuracy "
                "says nothing about images it has not seen\n", dir, part, model);
}

/* rows x cols float32 as a NumPy .npy file (format 1.0: magic, header length, a dict padded to 64 bytes, the
 * data in C order, little-endian). */
static void write_npy(const char *path, const float *data, int rows, int cols)
{
    char header[128];
    int n = snprintf(header, sizeof header, "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", rows,
                     cols);
    int total = (10 + n + 1 + 63) / 64 * 64;   /* magic 6 + version 2 + length 2, the dict, '\n' */
    memset(header + n, ' ', (size_t)(total - 10 - n - 1));
    header[total - 10 - 1] = '\n';
    unsigned char prefix[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)((total - 10) & 0xff),
                                 (unsigned char)((total - 10) >> 8) };
    FILE *f = fopen(path, "wb");
    size_t count = (size_t)rows * cols;
    int ok = f && fwrite(prefix, 1, sizeof prefix, f) == sizeof prefix &&
             fwrite(header, 1, (size_t)(total - 10), f) == (size_t)(total - 10) &&
             fwrite(data, sizeof *data, count, f) == count;   /* the hosts nin-cl runs on are little-endian */
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok)
        cli_fatal("%s: cannot write the logits: %s", path, strerror(errno));
}

static int cmd_test(const nin_options *opt, int argc, char **argv)
{
    model_args a = { 0 };
    cli_parse(&cli_test, argc, argv, &a);
    cli_model m;
    cli_open_model(&m, a.model, opt->device, 100, 0);
    char dir[1024];
    nin_dataset test;
    cli_load_model_data(a.model, &m.ck, a.dataset, a.data, NIN_SPLIT_TEST, &test, dir, sizeof dir);
    warn_if_trained_on(a.model, &m.ck, &test, dir);
    if (a.limit > 0 && a.limit < test.count)
        test.count = a.limit;
    nin_eval e;
    int *predicted = cli_malloc(test.count * sizeof *predicted);
    float *logits = a.logits ? cli_malloc((size_t)test.count * m.ck.classes * sizeof *logits) : NULL;
    cli_check(nin_evaluate_outputs(m.net, &m.ck.pre, test.images, test.labels, test.count, &e, predicted, logits));
    if (logits)
        write_npy(a.logits, logits, test.count, m.ck.classes);
    free(logits);
    printf("test_acc=%.4f test_loss=%.4f n=%d\n", e.acc, e.loss, e.count);
    const char *const *names = (const char *const *)m.ck.class_names;   /* the model's, or NULL */
    int64_t *matrix = cli_confusion(test.labels, predicted, test.count, m.ck.classes);
    cli_print_confusion(stdout, matrix, m.ck.classes, names);
    if (a.confusion)
        cli_draw_confusion(a.confusion, matrix, m.ck.classes, names);
    free(matrix);
    free(predicted);
    nin_dataset_free(&test);
    cli_close_model(&m);
    return 0;
}

const cli_command cli_test = {
    .name = "test",
    .summary = "evaluate a checkpoint on a dataset's test split: accuracy, per class too, and the confusion matrix",
    .synopsis = "--model FILE DATASET [--data DIR] [--confusion OUT.png] [--logits OUT.npy] [--limit N]",
    .options = test_options,
    .run = cmd_test,
};

/* The `top` most probable classes, by name where the checkpoint names them (prob is used up). */
static void print_top(float *prob, int classes, int top, char *const *names)
{
    for (int k = 0; k < top; k++) {   /* the k-th largest: repeated selection, classes are few */
        int best = -1;
        for (int c = 0; c < classes; c++)
            if (prob[c] >= 0.0f && (best < 0 || prob[c] > prob[best]))
                best = c;
        if (names)
            printf("  %d. %-14s %.4f\n", k + 1, names[best], prob[best]);
        else
            printf("  %d. class %-8d %.4f\n", k + 1, best, prob[best]);
        prob[best] = -1.0f;
    }
}

static int cmd_predict(const nin_options *opt, int argc, char **argv)
{
    model_args a = { 0 };
    cli_parse(&cli_predict, argc, argv, &a);
    nin_context *ctx = cli_open_context(opt->device);
    nin_model *m = cli_check_ptr(nin_model_load(ctx, a.model, 1));
    const nin_checkpoint *ck = nin_model_checkpoint(m);
    float *prob = cli_malloc(ck->classes * sizeof *prob);
    for (int i = 0; i < a.images.count; i++) {
        cli_check(nin_model_predict_file(m, a.images.items[i], prob));
        printf("%s\n", a.images.items[i]);
        print_top(prob, ck->classes, ck->classes < 5 ? ck->classes : 5, ck->class_names);
    }
    free(prob);
    nin_model_free(m);
    nin_context_free(ctx);
    return 0;
}

const cli_command cli_predict = {
    .name = "predict",
    .summary = "classify image files (JPEG, PNG, PGM, PPM) with a model: the five most probable classes of "
               "each",
    .synopsis = "--model FILE IMAGE...",
    .options = predict_options,
    .run = cmd_predict,
};
