/*
 * A kiosk loop in C on the locker service, through locker.h (the same story as the Rust and
 * Python kiosks): the service opens on a SQLite file with four lockers on the simulated
 * controller, whose simulated customer opens and shuts each unlocked door; QR check-in, a
 * refused replay, the service events printed, QR check-out; with the face models, face
 * check-in, a stranger refused and check-out by face alone.
 *
 * Build against the static library with pkg-config (see README, "C API"):
 *   cc -std=c11 -Wall -Wextra -Wpedantic -Werror $(pkg-config --cflags locker) examples/c/kiosk.c \
 *      $(pkg-config --static --libs locker) -o kiosk
 * Run: ./kiosk SCRATCH_DIR [MODELS_DIR FACES_DIR]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "locker.h"

#define TRY(call)                                                                           \
  do {                                                                                      \
    locker_result r_ = (call);                                                              \
    if (r_ != LOCKER_RESULT_OK) {                                                           \
      fprintf(stderr, "%s failed: %s: %s\n", #call, locker_result_name((uint32_t)r_), locker_last_error()); \
      exit(1);                                                                              \
    }                                                                                       \
  } while (0)

/* Prints service events until one contains both needles (within 5 s). */
static void print_events_until(locker_service *svc, const char *needle1, const char *needle2) {
  for (int i = 0; i < 25; i++) {
    char *json = NULL;
    locker_result r = locker_service_next_event(svc, 200, &json);
    if (r == LOCKER_RESULT_EMPTY) continue;
    TRY(r);
    printf("  event: %s\n", json);
    int hit = strstr(json, needle1) != NULL && strstr(json, needle2) != NULL;
    locker_string_free(&json);
    if (hit) return;
  }
  fprintf(stderr, "the awaited event (%s, %s) did not come within 5 s\n", needle1, needle2);
  exit(1);
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

/* Counts `needle` in `text`. */
static int count(const char *text, const char *needle) {
  int n = 0;
  for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle)) n++;
  return n;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s SCRATCH_DIR [MODELS_DIR FACES_DIR]\n", argv[0]);
    return 2;
  }
  char url[1024], keys[1024], probe[1024];
  snprintf(url, sizeof url, "sqlite:%s/kiosk-c.db", argv[1]);
  snprintf(keys, sizeof keys, "%s/kiosk-c-keys", argv[1]);
  int with_faces = 0;
  if (argc >= 4) {
    snprintf(probe, sizeof probe, "%s/yunet_dynamic.onnx", argv[2]);
    with_faces = access(probe, R_OK) == 0;
  }
  locker_service_options options;
  memset(&options, 0, sizeof options);
  options.database_url = url;
  options.keys_dir = keys;
  options.models_dir = with_faces ? argv[2] : NULL;
  options.sim_channels = 4;
  options.sim_person_ms = 100;
  options.kiosk_name = "Pi_c";
  locker_service *svc = NULL;
  TRY(locker_service_open(&options, &svc));
  char code[8];
  for (uint16_t n = 1; n <= 4; n++) {
    char *json = NULL;
    snprintf(code, sizeof code, "A0%u", (unsigned)n);
    TRY(locker_service_add_locker(svc, code, "small", n, &json));
    locker_string_free(&json);
  }
  char *user = NULL;
  TRY(locker_service_add_user(svc, "Nguyen Van Lan", "lan@example.com", &user));
  char *lockers = NULL;
  TRY(locker_service_lockers_json(svc, &lockers));
  printf("kiosk ready: %d lockers, faces %s\n", count(lockers, "\"code\""), with_faces ? "on" : "off");
  locker_string_free(&lockers);

  /* QR check-in; the app's token is single use. */
  char *token = NULL;
  TRY(locker_service_issue_qr(svc, "check_in", user, NULL, &token));
  locker_session in, out;
  TRY(locker_service_check_in_qr(svc, token, NULL, &in));
  printf("check-in by QR: rental %s, locker %s\n", in.rental_id, in.locker_code);
  locker_result replay = locker_service_check_in_qr(svc, token, NULL, &out);
  if (replay != LOCKER_RESULT_QR_USED) {
    fprintf(stderr, "a replayed QR token was not refused (%s)\n", locker_result_name((uint32_t)replay));
    return 1;
  }
  printf("replayed check-in QR refused: %s\n", locker_result_name((uint32_t)replay));
  locker_string_free(&token);
  print_events_until(svc, "\"sensor_trigger\"", in.rental_id);

  /* QR check-out with a token naming the rental. */
  TRY(locker_service_issue_qr(svc, "check_out", user, in.rental_id, &token));
  TRY(locker_service_check_out(svc, in.rental_id, token, &out));
  printf("check-out by QR: rental %s, locker %s\n", out.rental_id, out.locker_code);
  locker_string_free(&token);
  print_events_until(svc, "\"door_state\":\"open\"", out.locker_code);
  print_events_until(svc, "\"door_state\":\"closed\"", out.locker_code);

  if (with_faces) {
    char path[1024];
    size_t len1 = 0, len2 = 0, len3 = 0;
    snprintf(path, sizeof path, "%s/Cate_Blanchett/1.jpg", argv[3]);
    uint8_t *guest = read_file(path, &len1);
    snprintf(path, sizeof path, "%s/Al_Sharpton/1.jpg", argv[3]);
    uint8_t *stranger = read_file(path, &len2);
    snprintf(path, sizeof path, "%s/Cate_Blanchett/2.jpg", argv[3]);
    uint8_t *again = read_file(path, &len3);
    if (!guest || !stranger || !again) {
      fprintf(stderr, "face photos missing in %s\n", argv[3]);
      return 1;
    }
    TRY(locker_service_check_in_face(svc, guest, len1, NULL, NULL, &in));
    printf("check-in by face: rental %s, locker %s\n", in.rental_id, in.locker_code);
    print_events_until(svc, "\"sensor_trigger\"", in.rental_id);
    locker_result r = locker_service_check_out_face(svc, stranger, len2, &out);
    if (r != LOCKER_RESULT_FACE_MISMATCH) {
      fprintf(stderr, "a stranger's face was not refused (%s)\n", locker_result_name((uint32_t)r));
      return 1;
    }
    printf("stranger refused at check-out: %s\n", locker_result_name((uint32_t)r));
    TRY(locker_service_check_out_face(svc, again, len3, &out));
    printf("check-out by face: rental %s, locker %s, score %.3f\n", out.rental_id, out.locker_code,
           (double)out.match_score);
    print_events_until(svc, "\"door_state\":\"open\"", out.locker_code);
    print_events_until(svc, "\"door_state\":\"closed\"", out.locker_code);
    free(guest);
    free(stranger);
    free(again);
  } else {
    printf("face part skipped: no models given\n");
  }

  TRY(locker_service_lockers_json(svc, &lockers));
  printf("kiosk done: %d of %d lockers available\n", count(lockers, "\"status\":\"available\""),
         count(lockers, "\"code\""));
  locker_string_free(&lockers);
  locker_string_free(&user);
  locker_service_free(&svc);
  return 0;
}
