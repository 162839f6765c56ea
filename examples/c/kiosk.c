/*
 * A kiosk loop in C on the simulated controller, through locker.h: QR check-in (single use,
 * checked against a SQLite file), a refused replay, QR check-out, door events printed, and
 * with the face models present a face check-out that refuses a stranger.
 *
 * Build (static library, see README):
 *   cc -std=c11 -Wall -Wextra -Wpedantic -Werror -I locker-ffi/include examples/c/kiosk.c \
 *      target/debug/liblocker.a -lpthread -ldl -lm -o kiosk
 * Run: ./kiosk SCRATCH_DIR [MODELS_DIR FACES_DIR]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "locker.h"

#define TRY(call)                                                                           \
  do {                                                                                      \
    locker_result r_ = (call);                                                              \
    if (r_ != LOCKER_RESULT_OK) {                                                           \
      fprintf(stderr, "%s failed: %s: %s\n", #call, locker_result_name((uint32_t)r_), locker_last_error()); \
      exit(1);                                                                              \
    }                                                                                       \
  } while (0)

static const char *door_name(locker_door_state d) {
  return d == LOCKER_DOOR_STATE_OPEN ? "open" : d == LOCKER_DOOR_STATE_CLOSED ? "closed" : "unknown";
}

/* Unlocks `channel`; the simulated customer opens and shuts the door; events are printed. */
static void use_door(locker_controller *ctrl, uint16_t channel) {
  locker_unlock_result u;
  TRY(locker_controller_unlock(ctrl, channel, &u));
  printf("  unlock channel %u: confirmed=%d\n", channel, u.confirmed);
  for (int open = 1; open >= 0; open--) {
    TRY(locker_controller_sim_set_door(ctrl, channel, open == 1));
    locker_controller_event ev;
    TRY(locker_controller_next_event(ctrl, 2000, &ev));
    printf("  event: door channel=%u door=%s\n", ev.channel, door_name(ev.door));
  }
}

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc((size_t)size);
  *len = fread(buf, 1, (size_t)size, f);
  fclose(f);
  return buf;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s SCRATCH_DIR [MODELS_DIR FACES_DIR]\n", argv[0]);
    return 2;
  }
  const char *user = "0190c3c1-7b1a-7cc0-8e6c-3f1f2b3c4d5e";
  /* Secrets from the OS random generator (a real server keeps the seed in its key file). */
  uint8_t seed[32], pepper[32];
  FILE *rng = fopen("/dev/urandom", "rb");
  if (!rng || fread(seed, 1, 32, rng) != 32 || fread(pepper, 1, 32, rng) != 32) {
    fprintf(stderr, "cannot read /dev/urandom\n");
    return 1;
  }
  fclose(rng);
  /* The server issues; the kiosk holds a verify-only copy. */
  locker_qr_keyring *server = NULL, *kiosk_keys = NULL;
  TRY(locker_qr_keyring_new(&server));
  TRY(locker_qr_keyring_add_ed25519(server, 1, seed));
  TRY(locker_qr_keyring_to_verifier(server, &kiosk_keys));
  char url[1024];
  snprintf(url, sizeof url, "sqlite:%s/kiosk-c.db", argv[1]);
  locker_tokens *tokens = NULL;
  TRY(locker_tokens_open(url, pepper, &tokens));
  locker_controller *ctrl = NULL;
  TRY(locker_controller_open_simulator(4, &ctrl));
  locker_door_state doors[4];
  size_t n = 0;
  TRY(locker_controller_status_all(ctrl, doors, 4, &n));
  printf("kiosk ready: %zu lockers, door 1 %s\n", n, door_name(doors[0]));

  /* Check-in by QR: the locker for this rental is channel 1. */
  int64_t now = (int64_t)time(NULL);
  char *check_in = NULL;
  TRY(locker_qr_keyring_issue(server, LOCKER_QR_ACTION_CHECK_IN, user, NULL, now, &check_in));
  locker_qr_claims claims;
  TRY(locker_tokens_qr_redeem(tokens, kiosk_keys, check_in, now, &claims));
  const char *rental = "0190c3c1-7b1a-7cc0-8e6c-000000000001";
  printf("check-in by QR for user %s: rental %s, locker 1\n", claims.user_id, rental);
  use_door(ctrl, 1);
  locker_result replay = locker_tokens_qr_redeem(tokens, kiosk_keys, check_in, now, &claims);
  if (replay != LOCKER_RESULT_QR_USED) {
    fprintf(stderr, "a replayed QR token was not refused (%s)\n", locker_result_name((uint32_t)replay));
    return 1;
  }
  printf("replayed check-in QR refused: %s (%s)\n", locker_last_error(), locker_result_name((uint32_t)replay));
  locker_string_free(&check_in);

  /* Check-out by QR naming the rental. */
  char *check_out = NULL;
  TRY(locker_qr_keyring_issue(server, LOCKER_QR_ACTION_CHECK_OUT, user, rental, now, &check_out));
  TRY(locker_tokens_qr_redeem(tokens, kiosk_keys, check_out, now, &claims));
  printf("check-out by QR: rental %s, locker 1\n", claims.rental_id);
  use_door(ctrl, 1);
  locker_string_free(&check_out);

  /* Face: template at check-in, 1:1 at check-out. */
  if (argc >= 4) {
    locker_face_engine *engine = NULL;
    if (locker_face_engine_new(argv[2], &engine) != LOCKER_RESULT_OK) {
      printf("face part skipped: %s\n", locker_last_error());
    } else {
      char path[1024];
      size_t len1 = 0, len2 = 0, len3 = 0;
      snprintf(path, sizeof path, "%s/Cate_Blanchett/1.jpg", argv[3]);
      uint8_t *enrol = read_file(path, &len1);
      snprintf(path, sizeof path, "%s/Al_Sharpton/1.jpg", argv[3]);
      uint8_t *stranger = read_file(path, &len2);
      snprintf(path, sizeof path, "%s/Cate_Blanchett/2.jpg", argv[3]);
      uint8_t *same = read_file(path, &len3);
      if (!enrol || !stranger || !same) {
        fprintf(stderr, "face photos missing in %s\n", argv[3]);
        return 1;
      }
      locker_embedding template;
      TRY(locker_face_engine_embed(engine, enrol, len1, LOCKER_PICK_CENTRAL, &template));
      printf("check-in by face template: locker 2\n");
      use_door(ctrl, 2);
      float score = 0;
      locker_result r = locker_face_engine_verify(engine, stranger, len2, &template, &score);
      if (r != LOCKER_RESULT_FACE_MISMATCH) {
        fprintf(stderr, "a stranger's face was not refused (%s)\n", locker_result_name((uint32_t)r));
        return 1;
      }
      printf("stranger refused at check-out: %s\n", locker_last_error());
      TRY(locker_face_engine_verify(engine, same, len3, &template, &score));
      printf("check-out by face: locker 2, score %.3f\n", (double)score);
      use_door(ctrl, 2);
      free(enrol);
      free(stranger);
      free(same);
      locker_face_engine_free(&engine);
    }
  } else {
    printf("face part skipped: no models given\n");
  }

  TRY(locker_controller_status_all(ctrl, doors, 4, &n));
  printf("kiosk done: doors %s %s %s %s\n", door_name(doors[0]), door_name(doors[1]), door_name(doors[2]),
         door_name(doors[3]));
  locker_controller_free(&ctrl);
  locker_tokens_free(&tokens);
  locker_qr_keyring_free(&kiosk_keys);
  locker_qr_keyring_free(&server);
  return 0;
}
