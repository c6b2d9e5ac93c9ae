/* dataset.c - the datasets nin-cl knows: names, shapes, classes and where their files are. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <nin/data.h>

static const char *const digit_names[] = { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9" };
static const char *const fashion_names[] = { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                             "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" };
static const char *const cifar10_names[] = { "airplane", "automobile", "bird", "cat", "deer",
                                             "dog", "frog", "horse", "ship", "truck" };
static const char *const cifar100_names[] = {
    "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle",
    "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle",
    "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur",
    "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard",
    "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
    "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
    "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket",
    "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider",
    "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone", "television", "tiger",
    "tractor", "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
};

static const nin_dataset_spec specs[] = {
    { "mnist", 1, 28, 28, 10, digit_names, NULL, 1 },
    { "fashion-mnist", 1, 28, 28, 10, fashion_names, "/usr/share/datasets/fashion-mnist", 0 },
    { "cifar10", 3, 32, 32, 10, cifar10_names, NULL, 0 },
    { "cifar100", 3, 32, 32, 100, cifar100_names, NULL, 0 },
    { "svhn", 3, 32, 32, 10, digit_names, NULL, 1 },
    /* MNIST digits pasted on 48x48 clutter, with their boxes: written by examples/make-clutter */
    { "mnist-clutter", 1, 48, 48, 10, digit_names, NULL, 1 },
    /* the user's own pictures, one folder per class (dataset_images.c): size and classes come from the folder */
    { "images", 3, NIN_IMAGES_SIZE, NIN_IMAGES_SIZE, 0, NULL, NULL, 0 },
};

const nin_dataset_spec *nin_dataset_find(const char *name)
{
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        if (strcmp(specs[i].name, name) == 0)
            return &specs[i];
    return NULL;
}

const char *nin_dataset_names(void)
{
    return "mnist, fashion-mnist, cifar10, cifar100, svhn, mnist-clutter, images";
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *nin_dataset_dir(const nin_dataset_spec *spec, const char *override, char *buf, size_t size)
{
    const char *env = getenv("NIN_DATA_DIR"), *home = getenv("HOME");
    if (override && *override)
        snprintf(buf, size, "%s", override);
    else if (env && *env)
        snprintf(buf, size, "%s/%s", env, spec->name);
    else {
        snprintf(buf, size, "%s/.local/share/nin-cl/%s", home && *home ? home : ".", spec->name);
        if (!is_dir(buf) && spec->system_dir && is_dir(spec->system_dir))
            snprintf(buf, size, "%s", spec->system_dir);
    }
    return buf;
}
