#!/usr/bin/env bash
# The RSA signature alone, aws-lc against OpenSSL, no ticket around it (issue 20: where the
# 1024-bit row of `make bench` loses its 10%). One C program links both libraries (aws-lc's
# symbols are prefixed, so they do not clash), parses the same key into each, checks that the
# three signatures are equal, then times rounds of each in turn on one pinned core by the
# thread's CPU clock (preemption by other processes is left out):
#   openssl RSA_sign(NID_sha256)      what `openssl speed rsaN` times (it uses EVP_PKEY_sign);
#   openssl EVP_PKEY_sign             the same through the EVP interface;
#   aws-lc  RSA_sign(NID_sha256)      what signed keys under 2048 bits before they moved to
#                                     OpenSSL (aws-lc-rs refuses them in its Rust API).
# Then `openssl speed rsaN` on the same core, for reference.
#
# Needs gcc, the OpenSSL headers and library (Debian: libssl-dev) and a release build whose
# aws-lc-sys static library is in target/release/build (cargo build --release -p customauth-cli).
# Usage: scripts/bench/bench-rsa-raw.sh [KEY_PEM=tests/fixtures/keys/k1024-pkcs1.pem] [ROUNDS=21] [PER_ROUND=500]
# BENCH_CPU=0: the core everything is pinned to.
set -euo pipefail
cd "$(dirname "$0")/../.."
KEY=${1:-tests/fixtures/keys/k1024-pkcs1.pem}
ROUNDS=${2:-21}
PER=${3:-500}
CPU=${BENCH_CPU:-0}
LIB=$(ls target/release/build/aws-lc-sys-*/out/libaws_lc_*_crypto.a 2>/dev/null | head -n 1 || true)
[ -n "$LIB" ] || { echo "no aws-lc static library: cargo build --release -p customauth-cli" >&2; exit 2; }
PREFIX=$(basename "$LIB" | sed -e 's/^lib//' -e 's/crypto\.a$//') # aws_lc_0_47_0_
command -v gcc >/dev/null || { echo "gcc is missing" >&2; exit 2; }
[ -f /usr/include/openssl/rsa.h ] || { echo "OpenSSL headers are missing (Debian: libssl-dev)" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cat > "$WORK/rawsign.c" <<'EOF'
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define AWS(f) CAT(AWS_PREFIX, f)
typedef struct aws_rsa AWSRSA;
AWSRSA *AWS(RSA_private_key_from_bytes)(const uint8_t *in, size_t len);
int AWS(RSA_sign)(int nid, const uint8_t *digest, size_t len, uint8_t *out, unsigned *out_len, AWSRSA *rsa);

static double cpu_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}
static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}
static void show(const char *what, double *v, int n) {
  qsort(v, n, sizeof *v, cmp);
  printf("%-24s %8.2f %8.2f %8.2f\n", what, v[0], v[n / 2], v[n - 1]);
}

int main(int argc, char **argv) {
  int rounds = atoi(argv[2]), per = atoi(argv[3]);
  FILE *f = fopen(argv[1], "r");
  if (!f) { perror(argv[1]); return 1; }
  EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
  fclose(f);
  if (!pkey) { fprintf(stderr, "OpenSSL cannot read the key\n"); return 1; }
  RSA *ossl = (RSA *)EVP_PKEY_get0_RSA(pkey);
  unsigned char *der = NULL;
  int der_len = i2d_RSAPrivateKey(ossl, &der);
  AWSRSA *aws = AWS(RSA_private_key_from_bytes)(der, (size_t)der_len);
  if (!aws) { fprintf(stderr, "aws-lc cannot read the key\n"); return 1; }
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
  if (EVP_PKEY_sign_init(ctx) != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1) { fprintf(stderr, "EVP setup\n"); return 1; }
  unsigned char digest[32], s1[1024], s2[1024], s3[1024];
  unsigned l1 = 0, l2 = 0;
  size_t l3 = sizeof s3;
  SHA256((const unsigned char *)"customauth", 10, digest);
  if (RSA_sign(NID_sha256, digest, 32, s1, &l1, ossl) != 1 ||
      AWS(RSA_sign)(NID_sha256, digest, 32, s2, &l2, aws) != 1 ||
      EVP_PKEY_sign(ctx, s3, &l3, digest, 32) != 1 || l1 != l2 || l1 != l3 ||
      memcmp(s1, s2, l1) != 0 || memcmp(s1, s3, l1) != 0) {
    fprintf(stderr, "the three signatures differ\n");
    return 1;
  }
  double *a = calloc(rounds, sizeof(double)), *b = calloc(rounds, sizeof(double)),
         *c = calloc(rounds, sizeof(double)), *ratio = calloc(rounds, sizeof(double));
  for (int r = 0; r < rounds; r++) {
    double t0 = cpu_ns();
    for (int i = 0; i < per; i++) RSA_sign(NID_sha256, digest, 32, s1, &l1, ossl);
    double t1 = cpu_ns();
    for (int i = 0; i < per; i++) { l3 = sizeof s3; EVP_PKEY_sign(ctx, s3, &l3, digest, 32); }
    double t2 = cpu_ns();
    for (int i = 0; i < per; i++) AWS(RSA_sign)(NID_sha256, digest, 32, s2, &l2, aws);
    double t3 = cpu_ns();
    a[r] = (t1 - t0) / per / 1e3;
    c[r] = (t2 - t1) / per / 1e3;
    b[r] = (t3 - t2) / per / 1e3;
    ratio[r] = a[r] / b[r];
  }
  printf("%d-bit key, %d rounds of %d signatures each; us per signature (thread CPU time)\n",
         EVP_PKEY_get_bits(pkey), rounds, per);
  printf("%-24s %8s %8s %8s\n", "", "min", "median", "max");
  show("openssl RSA_sign", a, rounds);
  show("openssl EVP_PKEY_sign", c, rounds);
  show("aws-lc RSA_sign", b, rounds);
  show("openssl/aws-lc speed", ratio, rounds);
  return 0;
}
EOF
gcc -O2 -Wall -DAWS_PREFIX="$PREFIX" -o "$WORK/rawsign" "$WORK/rawsign.c" "$LIB" -lcrypto -lpthread
echo "$(openssl version); aws-lc: $LIB; pinned to core $CPU; load $(cut -d' ' -f1-3 /proc/loadavg)"
taskset -c "$CPU" "$WORK/rawsign" "$KEY" "$ROUNDS" "$PER"
BITS=$(openssl pkey -in "$KEY" -noout -text 2>/dev/null | sed -n 's/.*(\([0-9]*\) bit.*/\1/p' | head -n 1)
if [ -n "$BITS" ]; then
  taskset -c "$CPU" openssl speed -seconds 5 "rsa$BITS" 2>/dev/null | grep -E "^rsa +$BITS bits|sign/s" || true
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
