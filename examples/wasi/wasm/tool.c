/*
 * tool.c: the WASI example's command-line tool (tool.wasm), a WASI preview 1
 * command whose argv[1] picks what it shows. Every wippy command of
 * examples/wasi/app.yaml runs this one module with a different first argument
 * in its entry's wasi.args; the arguments typed after `wippy run NAME` follow.
 *
 *   hello [NAME...]  greet NAME (default: $USER) with $GREETING
 *   info             print argv, the whole environment and both mounts
 *   cat FILE         print /data/FILE (the read-only mount)
 *   note TEXT...     append TEXT to /out/notes.txt (the writable mount), print it
 *   tamper           try to create /data/tampered.txt: exit 0 if refused
 *   count N          print 1..N, one line every 200 ms (output streams live)
 *
 * Exit status: 0 on success, 2 for a usage error, 3 when a file operation fails.
 * Build: clang --target=wasm32-wasi -Oz (tools/build-fixtures.sh)
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern char **environ;

static int usage(void) {
    fputs("usage: tool hello [NAME...] | info | cat FILE | note TEXT... | tamper | count N\n",
          stderr);
    return 2;
}

static int fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, strerror(errno));
    return 3;
}

static int print_file(const char *path) {
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return fail(path);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stdout);
    fclose(f);
    return 0;
}

static void list_dir(const char *path) {
    DIR *d = opendir(path);
    if (d == NULL) {
        printf("  %s: %s\n", path, strerror(errno));
        return;
    }
    struct dirent *ent;
    printf("  %s:", path);
    while ((ent = readdir(d)) != NULL)
        if (ent->d_name[0] != '.')
            printf(" %s", ent->d_name);
    putchar('\n');
    closedir(d);
}

static int hello(int argc, char **argv) {
    const char *greeting = getenv("GREETING");
    if (greeting == NULL)
        greeting = "Hello";
    if (argc < 3) {
        const char *user = getenv("USER");
        printf("%s, %s!\n", greeting, user ? user : "whoever you are");
        return 0;
    }
    for (int i = 2; i < argc; i++)
        printf("%s, %s!\n", greeting, argv[i]);
    return 0;
}

static int info(int argc, char **argv) {
    puts("argv:");
    for (int i = 0; i < argc; i++)
        printf("  [%d] %s\n", i, argv[i]);
    puts("environment:");
    for (char **e = environ; *e != NULL; e++)
        printf("  %s\n", *e);
    puts("mounts:");
    list_dir("/data");
    list_dir("/out");
    return 0;
}

static int note(int argc, char **argv) {
    FILE *f = fopen("/out/notes.txt", "a");
    if (f == NULL)
        return fail("/out/notes.txt");
    for (int i = 2; i < argc; i++)
        fprintf(f, "%s%s", i > 2 ? " " : "", argv[i]);
    fputc('\n', f);
    if (fclose(f) != 0)
        return fail("/out/notes.txt");
    return print_file("/out/notes.txt");
}

static int tamper(void) {
    FILE *f = fopen("/data/tampered.txt", "w");
    if (f == NULL) {
        printf("refused: /data/tampered.txt: %s\n", strerror(errno));
        return 0;
    }
    fclose(f);
    puts("created /data/tampered.txt: the mount is writable");
    return 1;
}

static int count(const char *text) {
    long n = strtol(text, NULL, 10);
    for (long i = 1; i <= n; i++) {
        printf("%ld\n", i);
        fflush(stdout);
        if (i < n) {
            struct timespec ts = {0, 200 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    if (strcmp(cmd, "hello") == 0)
        return hello(argc, argv);
    if (strcmp(cmd, "info") == 0)
        return info(argc, argv);
    if (strcmp(cmd, "cat") == 0 && argc == 3) {
        char path[1024];
        snprintf(path, sizeof path, "/data/%s", argv[2]);
        return print_file(path);
    }
    if (strcmp(cmd, "note") == 0 && argc >= 3)
        return note(argc, argv);
    if (strcmp(cmd, "tamper") == 0)
        return tamper();
    if (strcmp(cmd, "count") == 0 && argc == 3)
        return count(argv[2]);
    return usage();
}
