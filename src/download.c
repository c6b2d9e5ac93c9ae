/* download.c - fetch a dataset's official files (libcurl), check their MD5 (OpenSSL EVP) and unpack
 * tarballs (libarchive). */
#include "config.h"
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <nin/download.h>
#include <nin/error.h>

#define PATH_BUF 4096
#define MD5_HEX 33   /* 32 hex digits and the terminator */

typedef enum unpack_kind { KEEP, UNTAR_GZ } unpack_kind;

typedef struct manifest_entry {
    const char *dataset;
    const char *url;
    long long bytes;          /* 0: not published */
    const char *md5;
    unpack_kind unpack;
    const char *unpacks_to;   /* UNTAR_GZ: the directory the archive holds; once it exists, it is unpacked */
    int extra;                /* fetched only with nin_download_options.extra */
} manifest_entry;

#define TORONTO "https://www.cs.toronto.edu/~kriz/"
#define STANFORD "http://ufldl.stanford.edu/housenumbers/"
#define OSSCI "https://ossci-datasets.s3.amazonaws.com/mnist/"
#define ZALANDO "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"

/* The published files. mnist and fashion-mnist stay gzipped (the loader reads gzip), svhn's .mat as is. */
static const manifest_entry manifest[] = {
    { "cifar10", TORONTO "cifar-10-binary.tar.gz", 170052171, "c32a1d4ab5d03f1284b67883e8d87530",
      UNTAR_GZ, "cifar-10-batches-bin", 0 },
    { "cifar100", TORONTO "cifar-100-binary.tar.gz", 168513733, "03b5dce01913d631647c71ecec9e9cb8",
      UNTAR_GZ, "cifar-100-binary", 0 },
    { "svhn", STANFORD "train_32x32.mat", 182040794, "e26dedcc434d2e4c54c9b2d4a06d8373", KEEP, NULL, 0 },
    { "svhn", STANFORD "test_32x32.mat", 64275384, "eb5a983be6a315427106f1b164d9cef3", KEEP, NULL, 0 },
    { "svhn", STANFORD "extra_32x32.mat", 1329278602, "a93ce644f1a588dc4d68dda5feec44a7", KEEP, NULL, 1 },
    { "mnist", OSSCI "train-images-idx3-ubyte.gz", 9912422, "f68b3c2dcbeaaa9fbdd348bbdeb94873", KEEP, NULL, 0 },
    { "mnist", OSSCI "train-labels-idx1-ubyte.gz", 28881, "d53e105ee54ea40749a09fcbcd1e9432", KEEP, NULL, 0 },
    { "mnist", OSSCI "t10k-images-idx3-ubyte.gz", 1648877, "9fb629c4189551a2d022fa330f9573f3", KEEP, NULL, 0 },
    { "mnist", OSSCI "t10k-labels-idx1-ubyte.gz", 4542, "ec29112dd5afa0611ce80d1b7f02629c", KEEP, NULL, 0 },
    { "fashion-mnist", ZALANDO "train-images-idx3-ubyte.gz", 26421880, "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
      KEEP, NULL, 0 },
    { "fashion-mnist", ZALANDO "train-labels-idx1-ubyte.gz", 29515, "25c81989df183df01b3e8a0aad5dffbe",
      KEEP, NULL, 0 },
    { "fashion-mnist", ZALANDO "t10k-images-idx3-ubyte.gz", 4422102, "bef4ecab320f06d8554ea6380940ec79",
      KEEP, NULL, 0 },
    { "fashion-mnist", ZALANDO "t10k-labels-idx1-ubyte.gz", 5148, "bb300cfdad3c16e7a12a480ee83cd310",
      KEEP, NULL, 0 },
};
#define MANIFEST_COUNT (int)(sizeof manifest / sizeof manifest[0])
#define MAX_FILES 8   /* the most files one dataset has */

/* One file to fetch: a manifest entry after the test-only overrides. */
typedef struct fetch_item {
    const manifest_entry *entry;
    const char *name;   /* the file name: the URL past its last '/' */
    char url[1024];
    char md5[MD5_HEX];
    long long bytes;
} fetch_item;

static void say(const nin_download_options *opt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const nin_download_options *opt, const char *fmt, ...)
{
    if (!opt->log)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(opt->log, fmt, ap);
    va_end(ap);
    fflush(opt->log);
}

/* dir/name into buf; a path that does not fit is an error rather than a silently different file. */
static int join(char *buf, size_t size, const char *dir, const char *name, char *err, size_t err_size)
{
    if ((size_t)snprintf(buf, size, "%s/%s", dir, name) >= size)
        return nin_set_error(err, err_size, "path too long: %s/%s", dir, name);
    return 0;
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* "999 bytes", "12.3 kB" or "162.2 MB" (powers of ten, as servers and the published sizes count). */
static const char *human_size(long long bytes, char *buf, size_t size)
{
    if (bytes < 1000)
        snprintf(buf, size, "%lld bytes", bytes);
    else if (bytes < 1000000)
        snprintf(buf, size, "%.1f kB", (double)bytes / 1e3);
    else
        snprintf(buf, size, "%.1f MB", (double)bytes / 1e6);
    return buf;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* rm -rf, for our own temporary directory only; FTW_PHYS never follows a link out of it. */
static void remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* --- the manifest and its test-only overrides ------------------------------------------------------ */

static const char *file_name(const char *url)
{
    return strrchr(url, '/') + 1;
}

static int is_md5(const char *s)
{
    for (int i = 0; i < 32; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return s[32] == '\0';
}

/* The URL of an entry: NIN_DOWNLOAD_BASE_URL (tests only) replaces everything up to its last '/'. */
static int resolve(const manifest_entry *e, fetch_item *item, char *err, size_t err_size)
{
    const char *base = getenv("NIN_DOWNLOAD_BASE_URL");
    item->entry = e;
    item->name = file_name(e->url);
    item->bytes = e->bytes;
    snprintf(item->md5, sizeof item->md5, "%s", e->md5);
    int n;
    if (base && *base)
        n = snprintf(item->url, sizeof item->url, "%s%s%s", base, base[strlen(base) - 1] == '/' ? "" : "/",
                     item->name);
    else
        n = snprintf(item->url, sizeof item->url, "%s", e->url);
    if ((size_t)n >= sizeof item->url)
        return nin_set_error(err, err_size, "NIN_DOWNLOAD_BASE_URL is too long");
    return 0;
}

/* NIN_DOWNLOAD_MANIFEST (tests only): lines "DATASET FILE MD5 [BYTES]" replace the checksum and size of
 * those files. A line naming no known file is an error, so that a typo cannot pass unnoticed. */
static int apply_manifest_file(const char *dataset, fetch_item *items, int count, char *err, size_t err_size)
{
    const char *path = getenv("NIN_DOWNLOAD_MANIFEST");
    if (!path || !*path)
        return 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return nin_set_error(err, err_size, "NIN_DOWNLOAD_MANIFEST %s: %s", path, strerror(errno));
    char line[1024];
    int status = 0;
    for (int lineno = 1; status == 0 && fgets(line, sizeof line, f); lineno++) {
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char ds[64], file[256], md5[64], bytes[32], *end;
        int fields = sscanf(line, "%63s %255s %63s %31s", ds, file, md5, bytes);
        if (fields <= 0)
            continue;
        long long size = 0;
        if (fields >= 4) {
            errno = 0;
            size = strtoll(bytes, &end, 10);
        }
        if (fields < 3 || !is_md5(md5) || (fields == 4 && (errno || *end || size <= 0))) {
            status = nin_set_error(err, err_size, "NIN_DOWNLOAD_MANIFEST %s:%d: expected 'DATASET FILE MD5 [BYTES]'",
                          path, lineno);
            break;
        }
        int known = 0;
        for (int i = 0; i < MANIFEST_COUNT; i++)
            known |= strcmp(manifest[i].dataset, ds) == 0 && strcmp(file_name(manifest[i].url), file) == 0;
        if (!known) {
            status = nin_set_error(err, err_size, "NIN_DOWNLOAD_MANIFEST %s:%d: %s has no file %s", path, lineno, ds, file);
            break;
        }
        for (char *c = md5; *c; c++)   /* md5sum prints lower case; accept either */
            *c = (char)tolower((unsigned char)*c);
        for (int i = 0; i < count && strcmp(ds, dataset) == 0; i++)
            if (strcmp(items[i].name, file) == 0) {
                memcpy(items[i].md5, md5, MD5_HEX);   /* is_md5: 32 digits and the terminator */
                items[i].bytes = size;
            }
    }
    fclose(f);
    return status;
}

/* --- MD5 --------------------------------------------------------------------------------------------- */

static void md5_hex(EVP_MD_CTX *md, char *hex)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(md, digest, &len);
    for (unsigned int i = 0; i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

static EVP_MD_CTX *md5_new(char *err, size_t err_size)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || !EVP_DigestInit_ex(md, EVP_md5(), NULL)) {
        EVP_MD_CTX_free(md);
        nin_set_error(err, err_size, "MD5 is not available from OpenSSL (a FIPS-only configuration?)");
        return NULL;
    }
    return md;
}

static int md5_file(const char *path, char *hex, char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return nin_set_error(err, err_size, "cannot read %s: %s", path, strerror(errno));
    EVP_MD_CTX *md = md5_new(err, err_size);
    unsigned char buf[1 << 16];
    size_t n;
    while (md && (n = fread(buf, 1, sizeof buf, f)) > 0)
        EVP_DigestUpdate(md, buf, n);
    int status = md ? 0 : -1;
    if (md && ferror(f))
        status = nin_set_error(err, err_size, "cannot read %s: %s", path, strerror(errno));
    if (md)
        md5_hex(md, hex);
    EVP_MD_CTX_free(md);
    fclose(f);
    return status;
}

/* 1: path is there with the expected size and checksum, 0: it must be fetched, -1: error. */
static int up_to_date(const fetch_item *item, const char *path, const nin_download_options *opt,
                      char *err, size_t err_size)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    if (item->bytes && st.st_size != item->bytes) {
        say(opt, "%s: %lld bytes instead of %lld, fetching it again\n", item->name, (long long)st.st_size,
            item->bytes);
        return 0;
    }
    char hex[MD5_HEX];
    if (md5_file(path, hex, err, err_size) != 0)
        return -1;
    if (strcmp(hex, item->md5) == 0)
        return 1;
    say(opt, "%s: MD5 %s instead of %s, fetching it again\n", item->name, hex, item->md5);
    return 0;
}

/* --- fetching ---------------------------------------------------------------------------------------- */

typedef struct transfer {
    const fetch_item *item;
    const nin_download_options *opt;
    FILE *out;
    EVP_MD_CTX *md;
    long long received, total;   /* total: Content-Length, else the published size, else 0 */
    int write_errno, too_big;
    double start, drawn;
} transfer;

static size_t on_data(char *data, size_t size, size_t count, void *user)
{
    transfer *t = user;
    size_t n = size * count;
    /* Stop at once on more bytes than published rather than fill the disk with the wrong file. */
    if (t->item->bytes && t->received + (long long)n > t->item->bytes) {
        t->too_big = 1;
        return 0;
    }
    if (fwrite(data, 1, n, t->out) != n) {
        t->write_errno = errno;
        return 0;
    }
    EVP_DigestUpdate(t->md, data, n);
    t->received += (long long)n;
    return n;
}

static void draw_bar(transfer *t, int last)
{
    enum { WIDTH = 30 };
    double elapsed = nin_now() - t->start;
    double rate = elapsed > 0 ? (double)t->received / elapsed / 1e6 : 0.0;
    FILE *log = t->opt->log;
    char got[32], total[32];
    human_size(t->received, got, sizeof got);
    if (t->total > 0) {
        int percent = (int)(100.0 * (double)t->received / (double)t->total);
        percent = percent > 100 ? 100 : percent;
        char bar[WIDTH + 1];
        for (int i = 0; i < WIDTH; i++)
            bar[i] = i < percent * WIDTH / 100 ? '#' : '.';
        bar[WIDTH] = '\0';
        fprintf(log, "\r%-26s [%s] %3d%% %10s of %-10s %6.1f MB/s\033[K", t->item->name, bar, percent, got,
                human_size(t->total, total, sizeof total), rate);
    } else {
        fprintf(log, "\r%-26s %10s %6.1f MB/s\033[K", t->item->name, got, rate);
    }
    if (last)
        fputc('\n', log);
    fflush(log);
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dlnow, (void)ultotal, (void)ulnow;
    transfer *t = user;
    if (dltotal > 0)
        t->total = (long long)dltotal;
    double at = nin_now();
    if (at - t->drawn >= 0.1) {   /* ten redraws a second are smooth enough and cost nothing */
        t->drawn = at;
        draw_bar(t, 0);
    }
    return 0;
}

/* Why the transfer failed, in one line, or 0 when the bytes are the published ones. */
static int check_transfer(transfer *t, CURLcode rc, const char *curl_err, char *err, size_t err_size)
{
    const fetch_item *item = t->item;
    if (t->too_big)
        return nin_set_error(err, err_size, "%s: more than the published %lld bytes (%s)", item->name, item->bytes,
                    item->url);
    if (t->write_errno)
        return nin_set_error(err, err_size, "%s: cannot write it: %s", item->name, strerror(t->write_errno));
    if (rc != CURLE_OK)
        return nin_set_error(err, err_size, "%s: download failed: %s (%s)", item->name,
                    *curl_err ? curl_err : curl_easy_strerror(rc), item->url);
    if (item->bytes && t->received != item->bytes)
        return nin_set_error(err, err_size, "%s: %lld bytes instead of the published %lld (%s)", item->name, t->received,
                    item->bytes, item->url);
    char hex[MD5_HEX];
    md5_hex(t->md, hex);
    if (strcmp(hex, item->md5) != 0)
        return nin_set_error(err, err_size, "%s: MD5 mismatch: expected %s, got %s (%s)", item->name, item->md5, hex,
                    item->url);
    return 0;
}

/* Fetch item to path.part while hashing it; only a verified file is renamed to path. */
static int fetch(const fetch_item *item, const char *path, const nin_download_options *opt,
                 char *err, size_t err_size)
{
    char part[PATH_BUF];
    if ((size_t)snprintf(part, sizeof part, "%s.part", path) >= sizeof part)
        return nin_set_error(err, err_size, "path too long: %s", path);
    transfer t = { .item = item, .opt = opt, .total = item->bytes, .start = nin_now() };
    if (!(t.md = md5_new(err, err_size)))
        return -1;
    if (!(t.out = fopen(part, "wb"))) {
        EVP_MD_CTX_free(t.md);
        return nin_set_error(err, err_size, "cannot write %s: %s", part, strerror(errno));
    }
    int bar = opt->progress && opt->log;
    char curl_err[CURL_ERROR_SIZE] = "";
    CURL *curl = curl_easy_init();
    CURLcode rc = CURLE_FAILED_INIT;
    if (curl) {
        curl_easy_setopt(curl, CURLOPT_URL, item->url);
        curl_easy_setopt(curl, CURLOPT_USERAGENT, "nin-cl/" PACKAGE_VERSION);
        curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);   /* a 404 page is an error, not the data */
        curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
        curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);   /* give up on a connection stalled a minute */
        curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
        if (bar) {
            curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
            curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
            curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
        }
        rc = curl_easy_perform(curl);
        curl_easy_cleanup(curl);
    }
    if (bar)
        draw_bar(&t, 1);   /* end the bar's line, so that what follows starts on its own */
    if (fclose(t.out) != 0 && !t.write_errno)
        t.write_errno = errno;
    int status = check_transfer(&t, rc, curl_err, err, err_size);
    EVP_MD_CTX_free(t.md);
    if (status == 0 && rename(part, path) != 0)
        status = nin_set_error(err, err_size, "cannot rename %s to %s: %s", part, path, strerror(errno));
    if (status != 0) {
        unlink(part);
        return -1;
    }
    if (!bar) {
        char size[32];
        double elapsed = nin_now() - t.start;
        say(opt, "%s: %s in %.1f s (%.1f MB/s), MD5 ok\n", item->name, human_size(t.received, size, sizeof size),
            elapsed, elapsed > 0 ? (double)t.received / elapsed / 1e6 : 0.0);
    }
    return 0;
}

/* --- unpacking --------------------------------------------------------------------------------------- */

/* A relative path that stays inside the directory it is unpacked into: not absolute, no ".." part. */
static int inside(const char *path)
{
    if (!*path || *path == '/')
        return 0;
    for (const char *p = path; *p;) {
        size_t len = strcspn(p, "/");
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return 0;
        p += len;
        p += *p == '/';
    }
    return 1;
}

static int copy_entry_data(struct archive *in, struct archive *out)
{
    const void *buf;
    size_t size;
    la_int64_t offset;
    int r;
    while ((r = archive_read_data_block(in, &buf, &size, &offset)) == ARCHIVE_OK)
        if (archive_write_data_block(out, buf, size, offset) < ARCHIVE_WARN)
            return -1;
    return r == ARCHIVE_EOF ? 0 : -1;
}

/* Extract every entry of a .tar.gz under dest. Only plain files and directories with paths inside dest
 * are accepted: a dataset has no use for links or devices, and refusing them closes the ways out. */
static int extract(const char *archive_path, const char *dest, char *err, size_t err_size)
{
    struct archive *in = archive_read_new(), *out = archive_write_disk_new();
    archive_read_support_filter_gzip(in);
    archive_read_support_format_tar(in);
    /* Not libarchive's ARCHIVE_EXTRACT_SECURE_* flags: they judge the whole target path, which is absolute
     * and may pass through a symlinked home; the entry checks below and the fresh dest suffice. */
    archive_write_disk_set_options(out, ARCHIVE_EXTRACT_TIME);
    const char *name = strrchr(archive_path, '/') + 1;
    int status = 0, r;
    if (archive_read_open_filename(in, archive_path, 1 << 16) != ARCHIVE_OK)
        status = nin_set_error(err, err_size, "%s: %s", archive_path, archive_error_string(in));
    struct archive_entry *entry;
    while (status == 0 && (r = archive_read_next_header(in, &entry)) != ARCHIVE_EOF) {
        if (r < ARCHIVE_WARN) {
            status = nin_set_error(err, err_size, "%s: %s", name, archive_error_string(in));
            break;
        }
        char path[PATH_BUF], target[PATH_BUF];   /* path: a copy, as set_pathname frees the entry's */
        snprintf(path, sizeof path, "%s", archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "");
        if (!inside(path))
            status = nin_set_error(err, err_size, "%s: refusing the entry '%s': it leads out of the data directory",
                          name, path);
        else if ((archive_entry_filetype(entry) != AE_IFREG && archive_entry_filetype(entry) != AE_IFDIR)
                 || archive_entry_hardlink(entry))
            status = nin_set_error(err, err_size, "%s: refusing the entry '%s': not a plain file or directory", name, path);
        else if (join(target, sizeof target, dest, path, err, err_size) == 0) {
            archive_entry_set_pathname(entry, target);
            if (archive_write_header(out, entry) < ARCHIVE_WARN || copy_entry_data(in, out) != 0
                || archive_write_finish_entry(out) < ARCHIVE_WARN)
                status = nin_set_error(err, err_size, "%s: unpacking '%s': %s", name, path,
                              archive_error_string(out) ? archive_error_string(out) : archive_error_string(in));
        } else
            status = -1;
    }
    archive_read_free(in);
    archive_write_free(out);
    return status;
}

/* Unpack into a temporary directory beside the data, then rename each top-level entry into place, so that
 * an interrupted unpack never leaves a half-filled directory that looks complete. */
static int unpack(const fetch_item *item, const char *archive_path, const char *dir, char *err, size_t err_size)
{
    char tmp[PATH_BUF], from[PATH_BUF], to[PATH_BUF];
    if (join(tmp, sizeof tmp, dir, ".unpack-XXXXXX", err, err_size) != 0)
        return -1;
    if (!mkdtemp(tmp))
        return nin_set_error(err, err_size, "cannot create a directory in %s: %s", dir, strerror(errno));
    int status = extract(archive_path, tmp, err, err_size);
    DIR *d = status == 0 ? opendir(tmp) : NULL;
    struct dirent *e;
    while (d && status == 0 && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (join(from, sizeof from, tmp, e->d_name, err, err_size) || join(to, sizeof to, dir, e->d_name, err, err_size))
            status = -1;
        else if (exists(to))
            status = nin_set_error(err, err_size, "%s: %s is in the way; move it away and run again", item->name, to);
        else if (rename(from, to) != 0)
            status = nin_set_error(err, err_size, "cannot rename %s to %s: %s", from, to, strerror(errno));
    }
    if (d)
        closedir(d);
    remove_tree(tmp);
    if (status == 0 && join(to, sizeof to, dir, item->entry->unpacks_to, err, err_size) == 0 && !exists(to))
        status = nin_set_error(err, err_size, "%s: it holds no %s (%s)", item->name, item->entry->unpacks_to, item->url);
    return status;
}

/* --- the whole dataset ------------------------------------------------------------------------------- */

const char *nin_download_dir(const nin_dataset_spec *spec, const char *override, char *buf, size_t size)
{
    nin_dataset_dir(spec, override, buf, size);
    /* The system directory is a package's, read-only: download to the user's own instead. */
    if (spec->system_dir && strcmp(buf, spec->system_dir) == 0) {
        const char *home = getenv("HOME");
        snprintf(buf, size, "%s/.local/share/nin-cl/%s", home && *home ? home : ".", spec->name);
    }
    return buf;
}

static int get_file(const fetch_item *item, const char *dir, const nin_download_options *opt,
                    char *err, size_t err_size)
{
    char path[PATH_BUF], unpacked[PATH_BUF];
    if (join(path, sizeof path, dir, item->name, err, err_size) != 0)
        return -1;
    int present = up_to_date(item, path, opt, err, err_size);
    if (present < 0 || (!present && fetch(item, path, opt, err, err_size) != 0))
        return -1;
    if (item->entry->unpack == UNTAR_GZ) {
        if (join(unpacked, sizeof unpacked, dir, item->entry->unpacks_to, err, err_size) != 0)
            return -1;
        if (!exists(unpacked)) {
            if (unpack(item, path, dir, err, err_size) != 0)
                return -1;
            say(opt, "%s: unpacked into %s\n", item->name, unpacked);
            return 0;
        }
    }
    if (present)
        say(opt, "%s: up to date\n", item->name);
    return 0;
}

int nin_download(const nin_dataset_spec *spec, const char *dir, const nin_download_options *opt,
                 char *err, size_t err_size)
{
    fetch_item items[MAX_FILES];
    int count = 0;
    for (int i = 0; i < MANIFEST_COUNT; i++)
        if (strcmp(manifest[i].dataset, spec->name) == 0 && (!manifest[i].extra || opt->extra) && count < MAX_FILES)
            if (resolve(&manifest[i], &items[count++], err, err_size) != 0)
                return -1;
    if (count == 0)
        return nin_set_error(err, err_size, "no download is known for %s", spec->name);
    if (apply_manifest_file(spec->name, items, count, err, err_size) != 0 || nin_make_dirs(dir, err, err_size) != 0)
        return -1;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return nin_set_error(err, err_size, "libcurl failed to initialise");
    int status = 0;
    for (int i = 0; i < count && status == 0; i++)
        status = get_file(&items[i], dir, opt, err, err_size);
    curl_global_cleanup();
    return status;
}
