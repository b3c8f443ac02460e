#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    const char *interval = "1s";
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--interval") == 0)
            interval = argv[i + 1];
    printf("ticker: every %s\n", interval);
    return 0;
}
