/* Uses the libraries the image installed with apt: zlib and OpenSSL linked, libpq and
 * SQLite loaded at run time as plugins would be. It prints their major versions only:
 * the original is bookworm's, the migrated image trixie's. */
#include <dlfcn.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

int main(int argc, char **argv) {
    const char *format = argc > 2 && strcmp(argv[1], "--format") == 0 ? argv[2] : "text";
    void *pq = dlopen("libpq.so.5", RTLD_NOW);
    void *sqlite = dlopen("libsqlite3.so.0", RTLD_NOW);
    int (*pq_version)(void) = pq ? (int (*)(void))dlsym(pq, "PQlibVersion") : NULL;
    const char *(*sqlite_version)(void) = sqlite ? (const char *(*)(void))dlsym(sqlite, "sqlite3_libversion") : NULL;
    printf("format %s; zlib %c; openssl %s; libpq %s; sqlite %c\n", format, zlibVersion()[0],
           OpenSSL_version_num() >= 0x30000000L ? "3" : "old", pq_version && pq_version() > 0 ? "loaded" : "missing",
           sqlite_version ? sqlite_version()[0] : '-');
    return pq_version && sqlite_version ? 0 : 1;
}
