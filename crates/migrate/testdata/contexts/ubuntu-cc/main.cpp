// Writes an index record into the data directory and prints its digest.
#include <openssl/sha.h>
#include <zlib.h>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

int main(int argc, char **argv) {
    std::string data = "/tmp";
    for (int i = 1; i + 1 < argc; i++)
        if (std::string(argv[i]) == "--data") data = argv[i + 1];
    const std::string record = "doc-1 hardened images";
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char *>(record.data()), record.size(), digest);
    std::ofstream(data + "/index.db") << record << "\n";
    std::ifstream back(data + "/index.db");
    std::string line;
    std::getline(back, line);
    std::printf("indexed '%s' sha256 %02x%02x%02x%02x crc32 %08lx\n", line.c_str(), digest[0], digest[1],
                digest[2], digest[3], crc32(0L, reinterpret_cast<const Bytef *>(line.data()), line.size()));
    return 0;
}
