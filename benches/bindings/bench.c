/* The C side of benches/bindings_overhead.sh: the same calls as baseline.rs through
 * liblocker (best of 5 runs of N calls, ns per call). Prints `op c ns_per_call`. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "locker.h"

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#define BEST_OF_5(n, body)                          \
  ({                                                \
    double best_ = 1e300;                           \
    for (int run_ = 0; run_ < 5; run_++) {          \
      double t_ = now_ns();                         \
      for (long i_ = 0; i_ < (n); i_++) { body; }   \
      double per_ = (now_ns() - t_) / (double)(n);  \
      if (per_ < best_) best_ = per_;               \
    }                                               \
    best_;                                          \
  })

static void fail(const char *what) {
  fprintf(stderr, "%s: %s\n", what, locker_last_error());
  exit(1);
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  const int64_t now = 1768730400;
  const char *user = "0190c3c1-7b1a-7cc0-8e6c-3f1f2b3c4d5e";
  uint8_t hmac[32], seed[32];
  memset(hmac, 5, 32);
  memset(seed, 1, 32);
  for (int k = 0; k < 2; k++) {
    locker_qr_keyring *ring = NULL;
    if (locker_qr_keyring_new(&ring) != LOCKER_RESULT_OK) fail("new");
    locker_result r = k == 0 ? locker_qr_keyring_add_hmac(ring, 1, hmac) : locker_qr_keyring_add_ed25519(ring, 1, seed);
    if (r != LOCKER_RESULT_OK) fail("add key");
    char *token = NULL;
    if (locker_qr_keyring_issue(ring, LOCKER_QR_ACTION_CHECK_IN, user, NULL, now, &token) != LOCKER_RESULT_OK) fail("issue");
    long calls = k == 0 ? n : n / 20;
    locker_qr_claims claims;
    double ns = BEST_OF_5(calls, if (locker_qr_keyring_verify(ring, token, now, &claims) != LOCKER_RESULT_OK) fail("verify"));
    printf("%s c %.1f\n", k == 0 ? "qr_verify_hmac" : "qr_verify_ed25519", ns);
    locker_string_free(&token);
    locker_qr_keyring_free(&ring);
  }
  uint8_t frame[LOCKER_FRAME_MAX_ENCODED];
  size_t len = 0;
  const uint8_t payload[] = {0, 2, 1};
  if (locker_frame_encode(9, LOCKER_FRAME_KIND_RESPONSE, 0x11, payload, 3, frame, sizeof frame, &len) != LOCKER_RESULT_OK)
    fail("encode");
  locker_frame_decoder *dec = NULL;
  if (locker_frame_decoder_new(&dec) != LOCKER_RESULT_OK) fail("decoder");
  locker_decoded d;
  double ns = BEST_OF_5(n, {
    locker_frame_decoder_feed(dec, frame, len);
    if (locker_frame_decoder_next(dec, &d) != LOCKER_RESULT_OK || d.frame.payload_len != 3) fail("decode");
  });
  printf("frame_decode c %.1f\n", ns);
  locker_frame_decoder_free(&dec);
  return 0;
}
