/*
 * C tests of liblocker through locker.h: every exported function, success and error paths.
 * Built with -Wall -Wextra -Wpedantic -Werror by tests/c.rs, which also runs it under valgrind.
 *
 * Environment: LOCKER_TEST_DIR (a scratch folder, required), LOCKER_MODELS_DIR and
 * LOCKER_FACES_DIR (face section; skipped without models unless LOCKER_REQUIRE_MODELS=1, and
 * skipped when LOCKER_TEST_SKIP_FACES is set).
 * Prints "N passed, N failed" last; exits non-zero on any failure.
 */
#define _XOPEN_SOURCE 600
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "locker.h"

static int passed = 0;
static int failed = 0;

#define CHECK(cond)                                                                    \
  do {                                                                                 \
    if (cond) {                                                                        \
      passed++;                                                                        \
    } else {                                                                           \
      failed++;                                                                        \
      fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__, __LINE__, \
              #cond, locker_last_error());                                             \
    }                                                                                  \
  } while (0)

/* `call` returns `want`, and a failure leaves a non-empty message. */
#define EXPECT(call, want)                                                                    \
  do {                                                                                        \
    locker_result r_ = (call);                                                                \
    if (r_ == (want)) {                                                                       \
      passed++;                                                                               \
      if ((want) != LOCKER_RESULT_OK && (want) != LOCKER_RESULT_EMPTY) CHECK(locker_last_error()[0] != '\0'); \
    } else {                                                                                  \
      failed++;                                                                               \
      fprintf(stderr, "%s:%d: %s returned %s, expected %s (last error: %s)\n", __FILE__, __LINE__, \
              #call, locker_result_name((uint32_t)r_), locker_result_name((uint32_t)(want)),  \
              locker_last_error());                                                           \
    }                                                                                         \
  } while (0)

static const char *USER = "0190c3c1-7b1a-7cc0-8e6c-3f1f2b3c4d5e";
static const char *RENTAL = "0190c3c1-7b1a-7cc0-8e6c-aaaaaaaaaaaa";
static const char BAD_UTF8[] = {(char)0xff, (char)0xfe, 0};

static void test_errors_and_version(void) {
  CHECK(strcmp(locker_version(), LOCKER_VERSION) == 0);
  CHECK(strcmp(locker_result_name(LOCKER_RESULT_QR_USED), "QR_USED") == 0);
  CHECK(strcmp(locker_result_name(LOCKER_RESULT_OK), "OK") == 0);
  CHECK(strcmp(locker_result_name(424242), "UNKNOWN") == 0);
  CHECK(LOCKER_RESULT_FACE_NOT_FOUND == 400 && LOCKER_RESULT_UART_TIMEOUT == 500);
  /* A NULL out-parameter is refused with a message naming it. */
  EXPECT(locker_qr_keyring_new(NULL), LOCKER_RESULT_NULL_PARAMETER);
  CHECK(strstr(locker_last_error(), "out_ring") != NULL);
  /* Releasing NULL, or a pointer to NULL, is harmless. */
  locker_qr_keyring_free(NULL);
  locker_qr_keyring *none = NULL;
  locker_qr_keyring_free(&none);
  locker_string_free(NULL);
  locker_buffer_free(NULL, 0);
}

static void test_qr(void) {
  uint8_t seed[32], secret[32];
  for (int i = 0; i < 32; i++) {
    seed[i] = (uint8_t)i;
    secret[i] = (uint8_t)(200 - i);
  }
  const int64_t now = 1768730400;
  locker_qr_keyring *ring = NULL;
  EXPECT(locker_qr_keyring_new(&ring), LOCKER_RESULT_OK);
  CHECK(ring != NULL);

  /* An empty ring cannot issue. */
  char *token = NULL;
  EXPECT(locker_qr_keyring_issue(ring, LOCKER_QR_ACTION_CHECK_IN, USER, NULL, now, &token), LOCKER_RESULT_TOKEN_INVALID);
  CHECK(token == NULL);

  EXPECT(locker_qr_keyring_add_ed25519(ring, 1, seed), LOCKER_RESULT_OK);
  EXPECT(locker_qr_keyring_add_ed25519(NULL, 1, seed), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_qr_keyring_add_ed25519(ring, 1, NULL), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_qr_keyring_set_lifetime(ring, 120), LOCKER_RESULT_OK);
  EXPECT(locker_qr_keyring_set_lifetime(ring, 0), LOCKER_RESULT_VALIDATION);
  EXPECT(locker_qr_keyring_set_lifetime(NULL, 10), LOCKER_RESULT_NULL_PARAMETER);

  /* Issue with and without a rental; bad inputs. */
  EXPECT(locker_qr_keyring_issue(ring, LOCKER_QR_ACTION_CHECK_OUT, USER, RENTAL, now, &token), LOCKER_RESULT_OK);
  CHECK(token != NULL && strlen(token) > 40);
  EXPECT(locker_qr_keyring_issue(ring, 9, USER, NULL, now, &token), LOCKER_RESULT_VALIDATION);
  EXPECT(locker_qr_keyring_issue(ring, 1, "not-a-uuid", NULL, now, &token), LOCKER_RESULT_VALIDATION);
  EXPECT(locker_qr_keyring_issue(ring, 1, BAD_UTF8, NULL, now, &token), LOCKER_RESULT_INVALID_UTF8);
  EXPECT(locker_qr_keyring_issue(ring, 1, USER, "nope", now, &token), LOCKER_RESULT_VALIDATION);
  EXPECT(locker_qr_keyring_issue(ring, 1, NULL, NULL, now, &token), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_qr_keyring_issue(ring, 1, USER, NULL, now, NULL), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_qr_keyring_issue(NULL, 1, USER, NULL, now, &token), LOCKER_RESULT_NULL_PARAMETER);

  /* Verify: claims come back; tampering, expiry, garbage and bad UTF-8 are refused. */
  locker_qr_claims claims;
  memset(&claims, 0, sizeof claims);
  EXPECT(locker_qr_keyring_verify(ring, token, now + 10, &claims), LOCKER_RESULT_OK);
  CHECK(claims.key_id == 1);
  CHECK(claims.action == LOCKER_QR_ACTION_CHECK_OUT);
  CHECK(strcmp(claims.user_id, USER) == 0);
  CHECK(claims.has_rental && strcmp(claims.rental_id, RENTAL) == 0);
  CHECK(strlen(claims.token_id) == 24);
  CHECK(claims.expires_at == now + 120);

  locker_qr_claims untouched;
  memset(&untouched, 0x5a, sizeof untouched);
  EXPECT(locker_qr_keyring_verify(ring, token, now + 120 + 6, &untouched), LOCKER_RESULT_QR_EXPIRED);
  CHECK(untouched.key_id == 0x5a); /* out-param not written on failure */
  char *tampered = strdup(token);
  tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
  EXPECT(locker_qr_keyring_verify(ring, tampered, now, &untouched), LOCKER_RESULT_TOKEN_INVALID);
  free(tampered);
  EXPECT(locker_qr_keyring_verify(ring, "garbage!", now, &untouched), LOCKER_RESULT_TOKEN_INVALID);
  EXPECT(locker_qr_keyring_verify(ring, BAD_UTF8, now, &untouched), LOCKER_RESULT_INVALID_UTF8);
  EXPECT(locker_qr_keyring_verify(ring, NULL, now, &untouched), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_qr_keyring_verify(ring, token, now, NULL), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_qr_keyring_verify(NULL, token, now, &untouched), LOCKER_RESULT_NULL_PARAMETER);

  /* A kiosk's verify-only copy verifies but cannot issue. */
  locker_qr_keyring *kiosk = NULL;
  EXPECT(locker_qr_keyring_to_verifier(ring, &kiosk), LOCKER_RESULT_OK);
  EXPECT(locker_qr_keyring_to_verifier(NULL, &kiosk), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_qr_keyring_verify(kiosk, token, now, &claims), LOCKER_RESULT_OK);
  char *no_token = NULL;
  EXPECT(locker_qr_keyring_issue(kiosk, 1, USER, NULL, now, &no_token), LOCKER_RESULT_TOKEN_INVALID);
  EXPECT(locker_qr_keyring_set_active(kiosk, 1), LOCKER_RESULT_TOKEN_INVALID);
  EXPECT(locker_qr_keyring_set_active(NULL, 1), LOCKER_RESULT_NULL_PARAMETER);

  /* Public keys: 32 bytes that are not a curve point are refused. A valid one verifies. */
  uint8_t bad_pk[32];
  memset(bad_pk, 0xff, sizeof bad_pk);
  bad_pk[31] = 0x7f;
  bad_pk[0] = 0xed;
  locker_qr_keyring *pub_ring = NULL;
  EXPECT(locker_qr_keyring_new(&pub_ring), LOCKER_RESULT_OK);
  locker_result pk = locker_qr_keyring_add_ed25519_public(pub_ring, 1, bad_pk);
  CHECK(pk == LOCKER_RESULT_TOKEN_INVALID || pk == LOCKER_RESULT_OK);
  EXPECT(locker_qr_keyring_add_ed25519_public(NULL, 1, bad_pk), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_qr_keyring_add_ed25519_public(pub_ring, 1, NULL), LOCKER_RESULT_NULL_PARAMETER);
  /* Whatever key sits in slot 1 of pub_ring, it is not the issuer's: the token fails. */
  EXPECT(locker_qr_keyring_verify(pub_ring, token, now, &untouched), LOCKER_RESULT_TOKEN_INVALID);
  locker_qr_keyring_free(&pub_ring);

  /* HMAC key, rotation and retirement. */
  EXPECT(locker_qr_keyring_add_hmac(ring, 2, secret), LOCKER_RESULT_OK);
  EXPECT(locker_qr_keyring_add_hmac(NULL, 2, secret), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_qr_keyring_add_hmac(ring, 2, NULL), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_qr_keyring_set_active(ring, 2), LOCKER_RESULT_OK);
  char *hmac_token = NULL;
  EXPECT(locker_qr_keyring_issue(ring, LOCKER_QR_ACTION_UPDATE, USER, NULL, now, &hmac_token), LOCKER_RESULT_OK);
  EXPECT(locker_qr_keyring_verify(ring, hmac_token, now, &claims), LOCKER_RESULT_OK);
  CHECK(claims.key_id == 2 && claims.action == LOCKER_QR_ACTION_UPDATE && !claims.has_rental);
  CHECK(claims.rental_id[0] == '\0');
  EXPECT(locker_qr_keyring_retire(ring, 1), LOCKER_RESULT_OK);
  EXPECT(locker_qr_keyring_retire(NULL, 1), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_qr_keyring_verify(ring, token, now, &untouched), LOCKER_RESULT_TOKEN_INVALID);

  /* Rendering. */
  uint8_t *png = NULL;
  size_t png_len = 0;
  EXPECT(locker_qr_render_png(hmac_token, &png, &png_len), LOCKER_RESULT_OK);
  CHECK(png != NULL && png_len > 100 && memcmp(png, "\x89PNG", 4) == 0);
  locker_buffer_free(&png, png_len);
  CHECK(png == NULL);
  EXPECT(locker_qr_render_png(NULL, &png, &png_len), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_qr_render_png(hmac_token, NULL, &png_len), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_qr_render_png(hmac_token, &png, NULL), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_qr_render_png(BAD_UTF8, &png, &png_len), LOCKER_RESULT_INVALID_UTF8);
  char *svg = NULL;
  EXPECT(locker_qr_render_svg(hmac_token, &svg), LOCKER_RESULT_OK);
  CHECK(svg != NULL && strstr(svg, "<svg") != NULL);
  locker_string_free(&svg);
  CHECK(svg == NULL);
  EXPECT(locker_qr_render_svg(NULL, &svg), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_qr_render_svg(hmac_token, NULL), LOCKER_RESULT_NULL_PARAMETER);
  char *url = NULL;
  EXPECT(locker_qr_render_data_url(hmac_token, &url), LOCKER_RESULT_OK);
  CHECK(url != NULL && strncmp(url, "data:image/png;base64,", 22) == 0);
  locker_string_free(&url);
  EXPECT(locker_qr_render_data_url(NULL, &url), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_qr_render_data_url(hmac_token, NULL), LOCKER_RESULT_NULL_PARAMETER);
  /* Text too long for any QR code. */
  char *huge = malloc(8000);
  memset(huge, 'A', 7999);
  huge[7999] = 0;
  EXPECT(locker_qr_render_svg(huge, &svg), LOCKER_RESULT_VALIDATION);
  free(huge);

  locker_string_free(&hmac_token);
  locker_string_free(&token);
  CHECK(token == NULL);
  locker_qr_keyring_free(&kiosk);
  locker_qr_keyring_free(&ring);
  CHECK(ring == NULL);
}

static void test_tokens(const char *dir) {
  char url[1024];
  snprintf(url, sizeof url, "sqlite:%s/tokens.db", dir);
  uint8_t pepper[32];
  memset(pepper, 7, sizeof pepper);
  const int64_t now = (int64_t)time(NULL);

  locker_tokens *tokens = NULL;
  EXPECT(locker_tokens_open("mysql://nope", pepper, &tokens), LOCKER_RESULT_CONFIG);
  CHECK(tokens == NULL);
  EXPECT(locker_tokens_open(NULL, pepper, &tokens), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_tokens_open(url, NULL, &tokens), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_tokens_open(url, pepper, NULL), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_tokens_open(BAD_UTF8, pepper, &tokens), LOCKER_RESULT_INVALID_UTF8);
  EXPECT(locker_tokens_open(url, pepper, &tokens), LOCKER_RESULT_OK);
  CHECK(tokens != NULL);

  /* QR single use through the store. */
  uint8_t seed[32];
  memset(seed, 3, sizeof seed);
  locker_qr_keyring *ring = NULL;
  EXPECT(locker_qr_keyring_new(&ring), LOCKER_RESULT_OK);
  EXPECT(locker_qr_keyring_add_ed25519(ring, 0, seed), LOCKER_RESULT_OK);
  char *token = NULL;
  EXPECT(locker_qr_keyring_issue(ring, LOCKER_QR_ACTION_CHECK_IN, USER, NULL, now, &token), LOCKER_RESULT_OK);
  locker_qr_claims claims;
  EXPECT(locker_tokens_qr_redeem(tokens, ring, token, now, &claims), LOCKER_RESULT_OK);
  CHECK(strcmp(claims.user_id, USER) == 0);
  EXPECT(locker_tokens_qr_redeem(tokens, ring, token, now, &claims), LOCKER_RESULT_QR_USED);
  EXPECT(locker_tokens_qr_redeem(tokens, ring, "xyz", now, &claims), LOCKER_RESULT_TOKEN_INVALID);
  EXPECT(locker_tokens_qr_redeem(NULL, ring, token, now, &claims), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_tokens_qr_redeem(tokens, NULL, token, now, &claims), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_tokens_qr_redeem(tokens, ring, NULL, now, &claims), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_tokens_qr_redeem(tokens, ring, token, now, NULL), LOCKER_RESULT_NULL_PARAMETER);
  locker_string_free(&token);

  /* OTP: wrong code, right code once, then used. */
  char address[64];
  snprintf(address, sizeof address, "kiosk%ld@example.com", (long)getpid());
  char *code = NULL;
  EXPECT(locker_tokens_otp_request(tokens, address, now, &code), LOCKER_RESULT_OK);
  CHECK(code != NULL && strlen(code) == 6);
  char wrong[12];
  snprintf(wrong, sizeof wrong, "%06d", (atoi(code) + 1) % 1000000);
  EXPECT(locker_tokens_otp_verify(tokens, address, wrong, now + 1), LOCKER_RESULT_OTP_INVALID);
  EXPECT(locker_tokens_otp_verify(tokens, address, code, now + 2), LOCKER_RESULT_OK);
  EXPECT(locker_tokens_otp_verify(tokens, address, code, now + 3), LOCKER_RESULT_OTP_USED);
  /* A second request within 60 s is refused by the send limits. */
  char *code2 = NULL;
  locker_result again = locker_tokens_otp_request(tokens, address, now + 5, &code2);
  CHECK(again == LOCKER_RESULT_OTP_TOO_MANY_REQUESTS || again == LOCKER_RESULT_RATE_LIMITED);
  CHECK(code2 == NULL);
  EXPECT(locker_tokens_otp_request(tokens, "not an address", now, &code2), LOCKER_RESULT_VALIDATION);
  EXPECT(locker_tokens_otp_request(tokens, BAD_UTF8, now, &code2), LOCKER_RESULT_INVALID_UTF8);
  EXPECT(locker_tokens_otp_request(NULL, address, now, &code2), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_tokens_otp_request(tokens, address, now, NULL), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_tokens_otp_verify(NULL, address, code, now), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_tokens_otp_verify(tokens, address, NULL, now), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_tokens_otp_verify(tokens, "nobody@example.com", "123456", now), LOCKER_RESULT_OTP_INVALID);
  locker_string_free(&code);

  /* Pickup codes: open once, only at their cabinet. */
  char *pickup = NULL;
  EXPECT(locker_tokens_pickup_issue(tokens, "CAB-1", RENTAL, now, now + 3600, &pickup), LOCKER_RESULT_OK);
  CHECK(pickup != NULL && strlen(pickup) == 6);
  char *rental = NULL;
  EXPECT(locker_tokens_pickup_redeem(tokens, "CAB-2", pickup, now + 1, &rental), LOCKER_RESULT_PICKUP_CODE_INVALID);
  CHECK(rental == NULL);
  EXPECT(locker_tokens_pickup_redeem(tokens, "CAB-1", pickup, now + 1, &rental), LOCKER_RESULT_OK);
  CHECK(rental != NULL && strcmp(rental, RENTAL) == 0);
  locker_string_free(&rental);
  EXPECT(locker_tokens_pickup_redeem(tokens, "CAB-1", pickup, now + 2, &rental), LOCKER_RESULT_PICKUP_CODE_INVALID);
  EXPECT(locker_tokens_pickup_redeem(tokens, "CAB-1", "12ab", now + 2, &rental), LOCKER_RESULT_PICKUP_CODE_INVALID);
  EXPECT(locker_tokens_pickup_issue(tokens, "CAB-1", "bad", now, now + 60, &pickup), LOCKER_RESULT_VALIDATION);
  EXPECT(locker_tokens_pickup_issue(NULL, "CAB-1", RENTAL, now, now + 60, &pickup), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_tokens_pickup_issue(tokens, NULL, RENTAL, now, now + 60, &pickup), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_tokens_pickup_issue(tokens, "CAB-1", RENTAL, now, now + 60, NULL), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_tokens_pickup_redeem(NULL, "CAB-1", "123456", now, &rental), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_tokens_pickup_redeem(tokens, BAD_UTF8, "123456", now, &rental), LOCKER_RESULT_INVALID_UTF8);
  EXPECT(locker_tokens_pickup_redeem(tokens, "CAB-1", "123456", now, NULL), LOCKER_RESULT_NULL_PARAMETER);
  locker_string_free(&pickup);

  locker_qr_keyring_free(&ring);
  locker_tokens_free(&tokens);
  CHECK(tokens == NULL);
  locker_tokens_free(NULL);
}

static void test_frames(void) {
  uint8_t out[LOCKER_FRAME_MAX_ENCODED];
  size_t n = 0;
  const uint8_t payload[] = {3, 0xf4, 0x01, 0x00}; /* zero bytes inside the payload: COBS at work */
  EXPECT(locker_frame_encode(7, LOCKER_FRAME_KIND_REQUEST, 0x10, payload, sizeof payload, out, sizeof out, &n),
         LOCKER_RESULT_OK);
  CHECK(n > 4 + sizeof payload && out[n - 1] == 0);
  for (size_t i = 0; i + 1 < n; i++) CHECK(out[i] != 0);
  size_t small = 0;
  EXPECT(locker_frame_encode(7, LOCKER_FRAME_KIND_REQUEST, 0x10, payload, sizeof payload, out, 3, &small),
         LOCKER_RESULT_BUFFER_TOO_SMALL);
  CHECK(small == 0);
  uint8_t big[300] = {0};
  EXPECT(locker_frame_encode(1, LOCKER_FRAME_KIND_REQUEST, 1, big, sizeof big, out, sizeof out, &small),
         LOCKER_RESULT_UART_PAYLOAD_TOO_LONG);
  EXPECT(locker_frame_encode(1, 99, 1, NULL, 0, out, sizeof out, &small), LOCKER_RESULT_VALIDATION);
  EXPECT(locker_frame_encode(1, 1, 1, NULL, 5, out, sizeof out, &small), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_frame_encode(1, 1, 1, NULL, 0, NULL, 10, &small), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_frame_encode(1, 1, 1, NULL, 0, out, sizeof out, NULL), LOCKER_RESULT_NULL_PARAMETER);

  locker_frame_decoder *dec = NULL;
  EXPECT(locker_frame_decoder_new(&dec), LOCKER_RESULT_OK);
  EXPECT(locker_frame_decoder_new(NULL), LOCKER_RESULT_NULL_PARAMETER);
  locker_decoded d;
  EXPECT(locker_frame_decoder_next(dec, &d), LOCKER_RESULT_EMPTY);
  /* In two chunks: nothing until the delimiter arrives. */
  EXPECT(locker_frame_decoder_feed(dec, out, 3), LOCKER_RESULT_OK);
  EXPECT(locker_frame_decoder_next(dec, &d), LOCKER_RESULT_EMPTY);
  EXPECT(locker_frame_decoder_feed(dec, out + 3, n - 3), LOCKER_RESULT_OK);
  EXPECT(locker_frame_decoder_next(dec, &d), LOCKER_RESULT_OK);
  CHECK(d.drop_reason == LOCKER_DROP_REASON_NONE);
  CHECK(d.frame.seq == 7 && d.frame.kind == LOCKER_FRAME_KIND_REQUEST && d.frame.cmd == 0x10);
  CHECK(d.frame.payload_len == sizeof payload && memcmp(d.frame.payload, payload, sizeof payload) == 0);
  /* A flipped byte is dropped by the CRC (or the COBS check), never delivered as a frame. */
  uint8_t bad[LOCKER_FRAME_MAX_ENCODED];
  memcpy(bad, out, n);
  bad[2] ^= 0x01;
  EXPECT(locker_frame_decoder_feed(dec, bad, n), LOCKER_RESULT_OK);
  EXPECT(locker_frame_decoder_next(dec, &d), LOCKER_RESULT_OK);
  CHECK(d.drop_reason != LOCKER_DROP_REASON_NONE);
  /* A partial frame is forgotten by reset. */
  EXPECT(locker_frame_decoder_feed(dec, out, n - 1), LOCKER_RESULT_OK);
  EXPECT(locker_frame_decoder_reset(dec), LOCKER_RESULT_OK);
  const uint8_t zero = 0;
  EXPECT(locker_frame_decoder_feed(dec, &zero, 1), LOCKER_RESULT_OK);
  /* An empty frame between delimiters is reported as dropped (too short) or skipped. */
  locker_result after_reset = locker_frame_decoder_next(dec, &d);
  CHECK(after_reset == LOCKER_RESULT_EMPTY || (after_reset == LOCKER_RESULT_OK && d.drop_reason != LOCKER_DROP_REASON_NONE));
  EXPECT(locker_frame_decoder_feed(NULL, out, n), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_frame_decoder_feed(dec, NULL, 4), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_frame_decoder_feed(dec, NULL, 0), LOCKER_RESULT_OK);
  EXPECT(locker_frame_decoder_next(NULL, &d), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_frame_decoder_next(dec, NULL), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_frame_decoder_reset(NULL), LOCKER_RESULT_NULL_PARAMETER);
  locker_frame_decoder_free(&dec);
  CHECK(dec == NULL);
}

static void test_simulator(void) {
  locker_controller *ctrl = NULL;
  EXPECT(locker_controller_open_simulator(0, &ctrl), LOCKER_RESULT_VALIDATION);
  EXPECT(locker_controller_open_simulator(4, NULL), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_controller_open_simulator(4, &ctrl), LOCKER_RESULT_OK);

  locker_door_state doors[8];
  size_t n = 0;
  EXPECT(locker_controller_status_all(ctrl, doors, 8, &n), LOCKER_RESULT_OK);
  CHECK(n == 4);
  for (size_t i = 0; i < n; i++) CHECK(doors[i] == LOCKER_DOOR_STATE_CLOSED);
  EXPECT(locker_controller_status_all(ctrl, doors, 2, &n), LOCKER_RESULT_BUFFER_TOO_SMALL);
  EXPECT(locker_controller_status_all(ctrl, NULL, 8, &n), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_controller_status_all(ctrl, doors, 8, NULL), LOCKER_RESULT_NULL_PARAMETER);

  locker_unlock_result u;
  EXPECT(locker_controller_unlock(ctrl, 2, &u), LOCKER_RESULT_OK);
  CHECK(u.confirmed);
  EXPECT(locker_controller_unlock(ctrl, 9, &u), LOCKER_RESULT_UART_BAD_CHANNEL);
  EXPECT(locker_controller_unlock(ctrl, 0, &u), LOCKER_RESULT_UART_BAD_CHANNEL);
  EXPECT(locker_controller_unlock(NULL, 1, &u), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_controller_unlock(ctrl, 1, NULL), LOCKER_RESULT_NULL_PARAMETER);

  /* The customer opens door 2: a door event arrives and the sensor reads open. */
  locker_controller_event ev;
  EXPECT(locker_controller_next_event(ctrl, 50, &ev), LOCKER_RESULT_EMPTY);
  EXPECT(locker_controller_sim_set_door(ctrl, 2, true), LOCKER_RESULT_OK);
  EXPECT(locker_controller_next_event(ctrl, 2000, &ev), LOCKER_RESULT_OK);
  CHECK(ev.kind == LOCKER_EVENT_KIND_DOOR && ev.channel == 2 && ev.door == LOCKER_DOOR_STATE_OPEN);
  locker_door_state door = LOCKER_DOOR_STATE_UNKNOWN;
  EXPECT(locker_controller_status(ctrl, 2, &door), LOCKER_RESULT_OK);
  CHECK(door == LOCKER_DOOR_STATE_OPEN);
  EXPECT(locker_controller_sim_set_door(ctrl, 2, false), LOCKER_RESULT_OK);
  EXPECT(locker_controller_next_event(ctrl, 2000, &ev), LOCKER_RESULT_OK);
  CHECK(ev.kind == LOCKER_EVENT_KIND_DOOR && ev.channel == 2 && ev.door == LOCKER_DOOR_STATE_CLOSED);
  EXPECT(locker_controller_sim_set_door(ctrl, 7, true), LOCKER_RESULT_UART_BAD_CHANNEL);
  EXPECT(locker_controller_sim_set_door(NULL, 1, true), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_controller_status(ctrl, 5, &door), LOCKER_RESULT_UART_BAD_CHANNEL);
  EXPECT(locker_controller_status(NULL, 1, &door), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_controller_status(ctrl, 1, NULL), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_controller_next_event(NULL, 1, &ev), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_controller_next_event(ctrl, 1, NULL), LOCKER_RESULT_NULL_PARAMETER);

  /* A closed controller refuses everything with SERIAL_PORT; closing twice is fine. */
  EXPECT(locker_controller_close(ctrl), LOCKER_RESULT_OK);
  EXPECT(locker_controller_close(ctrl), LOCKER_RESULT_OK);
  EXPECT(locker_controller_close(NULL), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_controller_unlock(ctrl, 1, &u), LOCKER_RESULT_SERIAL_PORT);
  EXPECT(locker_controller_status(ctrl, 1, &door), LOCKER_RESULT_SERIAL_PORT);
  EXPECT(locker_controller_status_all(ctrl, doors, 8, &n), LOCKER_RESULT_SERIAL_PORT);
  EXPECT(locker_controller_next_event(ctrl, 10, &ev), LOCKER_RESULT_SERIAL_PORT);
  EXPECT(locker_controller_sim_set_door(ctrl, 1, true), LOCKER_RESULT_SERIAL_PORT);
  locker_controller_free(&ctrl);
  CHECK(ctrl == NULL);
  locker_controller_free(NULL);
}

static void test_serial(void) {
  locker_controller *ctrl = NULL;
  EXPECT(locker_controller_open_serial("/dev/locker-no-such-port", "v1", 4, 0, &ctrl), LOCKER_RESULT_SERIAL_PORT_NOT_FOUND);
  /* The message carries the cause the core kept: the OS error. */
  CHECK(strstr(locker_last_error(), "/dev/locker-no-such-port: ") != NULL);
  CHECK(strstr(locker_last_error(), "os error 2") != NULL);
  CHECK(ctrl == NULL);
  EXPECT(locker_controller_open_serial("/dev/null", "warp-drive", 4, 0, &ctrl), LOCKER_RESULT_UART_UNKNOWN_DRIVER);
  EXPECT(locker_controller_open_serial(NULL, "v1", 4, 0, &ctrl), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_controller_open_serial(BAD_UTF8, "v1", 4, 0, &ctrl), LOCKER_RESULT_INVALID_UTF8);
  EXPECT(locker_controller_open_serial("/dev/null", BAD_UTF8, 4, 0, &ctrl), LOCKER_RESULT_INVALID_UTF8);
  EXPECT(locker_controller_open_serial("/dev/null", "v1", 4, 0, NULL), LOCKER_RESULT_NULL_PARAMETER);

  /* A real pseudo-terminal with nobody on the other end: the unlock times out. */
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  CHECK(master >= 0);
  if (master < 0) return;
  CHECK(grantpt(master) == 0 && unlockpt(master) == 0);
  const char *slave = ptsname(master);
  CHECK(slave != NULL);
  EXPECT(locker_controller_open_serial(slave, NULL, 4, 20, &ctrl), LOCKER_RESULT_OK);
  locker_unlock_result u;
  EXPECT(locker_controller_unlock(ctrl, 1, &u), LOCKER_RESULT_UART_TIMEOUT);
  locker_door_state door;
  EXPECT(locker_controller_status(ctrl, 1, &door), LOCKER_RESULT_UART_TIMEOUT);
  /* The simulator-only call is refused on a serial port. */
  EXPECT(locker_controller_sim_set_door(ctrl, 1, true), LOCKER_RESULT_UART_UNSUPPORTED);
  EXPECT(locker_controller_close(ctrl), LOCKER_RESULT_OK);
  EXPECT(locker_controller_unlock(ctrl, 1, &u), LOCKER_RESULT_SERIAL_PORT);
  locker_controller_free(&ctrl);
  close(master);
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


/* The next service event whose JSON contains every needle, within 5 s; 1 when found. */
static int wait_event(locker_service *svc, const char *needle1, const char *needle2) {
  for (int i = 0; i < 25; i++) {
    char *json = NULL;
    locker_result r = locker_service_next_event(svc, 200, &json);
    if (r == LOCKER_RESULT_OK) {
      int hit = strstr(json, needle1) != NULL && (needle2 == NULL || strstr(json, needle2) != NULL);
      locker_string_free(&json);
      if (hit) return 1;
    } else if (r != LOCKER_RESULT_EMPTY) {
      return 0;
    }
  }
  return 0;
}

/* Reads events until none comes for 300 ms (the simulated door cycle is over). */
static void drain_events(locker_service *svc) {
  char *json = NULL;
  while (locker_service_next_event(svc, 300, &json) == LOCKER_RESULT_OK) locker_string_free(&json);
}

static void service_options(locker_service_options *o, const char *url, const char *keys) {
  memset(o, 0, sizeof *o);
  o->database_url = url;
  o->keys_dir = keys;
  o->sim_channels = 3;
}

static void test_service(const char *dir) {
  char url[1024], keys[1024];
  snprintf(url, sizeof url, "sqlite:%s/service.db", dir);
  snprintf(keys, sizeof keys, "%s/service-keys", dir);
  locker_service_options o;
  locker_service *svc = NULL;

  /* Bad options: each refused with its own code, nothing written. */
  service_options(&o, url, keys);
  EXPECT(locker_service_open(NULL, &svc), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_open(&o, NULL), LOCKER_RESULT_NULL_PARAMETER);
  o.database_url = NULL;
  EXPECT(locker_service_open(&o, &svc), LOCKER_RESULT_NULL_PARAMETER);
  o.database_url = BAD_UTF8;
  EXPECT(locker_service_open(&o, &svc), LOCKER_RESULT_INVALID_UTF8);
  o.database_url = "mysql://nope";
  EXPECT(locker_service_open(&o, &svc), LOCKER_RESULT_CONFIG);
  service_options(&o, url, keys);
  o.sim_channels = 0;
  EXPECT(locker_service_open(&o, &svc), LOCKER_RESULT_VALIDATION);
  service_options(&o, url, keys);
  o.serial_port = "/dev/locker-no-such-port";
  EXPECT(locker_service_open(&o, &svc), LOCKER_RESULT_SERIAL_PORT_NOT_FOUND);
  service_options(&o, url, keys);
  o.models_dir = "/nonexistent/models";
  EXPECT(locker_service_open(&o, &svc), LOCKER_RESULT_FACE_MODEL);
  CHECK(svc == NULL);

  service_options(&o, url, keys);
  o.kiosk_name = "Pi_C";
  EXPECT(locker_service_open(&o, &svc), LOCKER_RESULT_OK);
  CHECK(svc != NULL);
  bool faces = true;
  EXPECT(locker_service_has_faces(svc, &faces), LOCKER_RESULT_OK);
  CHECK(!faces);
  EXPECT(locker_service_has_faces(NULL, &faces), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_has_faces(svc, NULL), LOCKER_RESULT_NULL_PARAMETER);

  /* A customer and two lockers. */
  char *user = NULL, *json = NULL;
  EXPECT(locker_service_add_user(svc, "Lan", "lan@example.com", &user), LOCKER_RESULT_OK);
  CHECK(user != NULL && strlen(user) == 36);
  char *dup = NULL;
  EXPECT(locker_service_add_user(svc, "Lan", "lan@example.com", &dup), LOCKER_RESULT_ALREADY_EXISTS);
  CHECK(dup == NULL);
  EXPECT(locker_service_add_user(svc, "Nobody", "", &dup), LOCKER_RESULT_VALIDATION);
  EXPECT(locker_service_add_user(NULL, "x", "x@example.com", &dup), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_add_user(svc, BAD_UTF8, "x@example.com", &dup), LOCKER_RESULT_INVALID_UTF8);
  EXPECT(locker_service_add_user(svc, "x", "x@example.com", NULL), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_add_locker(svc, "A01", "small", 1, &json), LOCKER_RESULT_OK);
  CHECK(json != NULL && strstr(json, "\"code\":\"A01\"") != NULL);
  locker_string_free(&json);
  EXPECT(locker_service_add_locker(svc, "A02", "medium", 2, &json), LOCKER_RESULT_OK);
  locker_string_free(&json);
  EXPECT(locker_service_add_locker(svc, "A01", "small", 3, &json), LOCKER_RESULT_ALREADY_EXISTS);
  EXPECT(locker_service_add_locker(svc, "A03", "huge", 3, &json), LOCKER_RESULT_VALIDATION);
  EXPECT(locker_service_add_locker(svc, "A03", NULL, 3, &json), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_add_locker(NULL, "A03", "small", 3, &json), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_add_locker(svc, "A03", "small", 3, NULL), LOCKER_RESULT_NULL_PARAMETER);
  CHECK(json == NULL);

  /* QR check-in: a locker opens; the token is single use. */
  char *token = NULL;
  EXPECT(locker_service_issue_qr(svc, "check_in", user, NULL, &token), LOCKER_RESULT_OK);
  EXPECT(locker_service_issue_qr(svc, "fly", user, NULL, &dup), LOCKER_RESULT_VALIDATION);
  EXPECT(locker_service_issue_qr(svc, "check_in", "not-a-uuid", NULL, &dup), LOCKER_RESULT_VALIDATION);
  EXPECT(locker_service_issue_qr(svc, "check_in", user, BAD_UTF8, &dup), LOCKER_RESULT_INVALID_UTF8);
  EXPECT(locker_service_issue_qr(NULL, "check_in", user, NULL, &dup), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_issue_qr(svc, NULL, user, NULL, &dup), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_issue_qr(svc, "check_in", user, NULL, NULL), LOCKER_RESULT_NULL_PARAMETER);
  locker_session s, untouched;
  memset(&untouched, 0x5a, sizeof untouched);
  EXPECT(locker_service_check_in_qr(svc, token, "small", &s), LOCKER_RESULT_OK);
  CHECK(strcmp(s.locker_code, "A01") == 0 && s.channel == 1 && strcmp(s.state, "opening") == 0);
  CHECK(strlen(s.rental_id) == 36 && strlen(s.locker_id) == 36 && !s.has_score);
  CHECK(wait_event(svc, "\"session_updated\"", "\"check_in\""));
  EXPECT(locker_service_check_in_qr(svc, token, NULL, &untouched), LOCKER_RESULT_QR_USED);
  CHECK(untouched.channel == 0x5a5a);
  EXPECT(locker_service_check_in_qr(svc, "garbage", NULL, &untouched), LOCKER_RESULT_TOKEN_INVALID);
  EXPECT(locker_service_check_in_qr(svc, BAD_UTF8, NULL, &untouched), LOCKER_RESULT_INVALID_UTF8);
  EXPECT(locker_service_check_in_qr(svc, token, "tiny", &untouched), LOCKER_RESULT_VALIDATION);
  EXPECT(locker_service_check_in_qr(NULL, token, NULL, &untouched), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_check_in_qr(svc, NULL, NULL, &untouched), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_check_in_qr(svc, token, NULL, NULL), LOCKER_RESULT_NULL_PARAMETER);
  locker_string_free(&token);

  /* The customer opens and shuts the door: the rental becomes active (sensor_trigger). */
  EXPECT(locker_service_sim_set_door(svc, s.channel, true), LOCKER_RESULT_OK);
  EXPECT(locker_service_sim_set_door(svc, s.channel, false), LOCKER_RESULT_OK);
  CHECK(wait_event(svc, "\"sensor_trigger\"", s.rental_id));
  EXPECT(locker_service_sim_set_door(svc, 9, true), LOCKER_RESULT_UART_BAD_CHANNEL);
  EXPECT(locker_service_sim_set_door(NULL, 1, true), LOCKER_RESULT_NULL_PARAMETER);

  /* Reopen with an update token naming the rental; a check-in token is refused. */
  EXPECT(locker_service_issue_qr(svc, "update", user, s.rental_id, &token), LOCKER_RESULT_OK);
  EXPECT(locker_service_reopen(svc, s.rental_id, token, &untouched), LOCKER_RESULT_OK);
  CHECK(strcmp(untouched.rental_id, s.rental_id) == 0 && strcmp(untouched.state, "active") == 0);
  EXPECT(locker_service_reopen(svc, s.rental_id, token, &untouched), LOCKER_RESULT_QR_USED);
  locker_string_free(&token);
  EXPECT(locker_service_issue_qr(svc, "check_in", user, NULL, &token), LOCKER_RESULT_OK);
  EXPECT(locker_service_reopen(svc, s.rental_id, token, &untouched), LOCKER_RESULT_VALIDATION);
  locker_string_free(&token);
  EXPECT(locker_service_reopen(svc, "nope", "x", &untouched), LOCKER_RESULT_VALIDATION);
  EXPECT(locker_service_reopen(svc, RENTAL, "x", &untouched), LOCKER_RESULT_NOT_FOUND);
  EXPECT(locker_service_reopen(NULL, s.rental_id, "x", &untouched), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_reopen(svc, NULL, "x", &untouched), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_reopen(svc, s.rental_id, NULL, &untouched), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_reopen(svc, s.rental_id, "x", NULL), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_reopen_face(svc, s.rental_id, (const uint8_t *)"x", 1, &untouched), LOCKER_RESULT_CONFIG);
  EXPECT(locker_service_reopen_face(svc, BAD_UTF8, (const uint8_t *)"x", 1, &untouched), LOCKER_RESULT_INVALID_UTF8);
  EXPECT(locker_service_reopen_face(svc, s.rental_id, NULL, 4, &untouched), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_reopen_face(NULL, s.rental_id, (const uint8_t *)"x", 1, &untouched), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_reopen_face(svc, s.rental_id, (const uint8_t *)"x", 1, NULL), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_sim_set_door(svc, s.channel, true), LOCKER_RESULT_OK);
  EXPECT(locker_service_sim_set_door(svc, s.channel, false), LOCKER_RESULT_OK);

  /* Face calls without models: CONFIG, and NULL/empty inputs first. */
  EXPECT(locker_service_check_in_face(svc, (const uint8_t *)"x", 1, NULL, NULL, &untouched), LOCKER_RESULT_CONFIG);
  EXPECT(locker_service_check_in_face(svc, NULL, 3, NULL, NULL, &untouched), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_check_in_face(svc, (const uint8_t *)"x", 1, BAD_UTF8, NULL, &untouched), LOCKER_RESULT_INVALID_UTF8);
  EXPECT(locker_service_check_in_face(svc, (const uint8_t *)"x", 1, "bad", NULL, &untouched), LOCKER_RESULT_VALIDATION);
  EXPECT(locker_service_check_in_face(NULL, (const uint8_t *)"x", 1, NULL, NULL, &untouched), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_check_in_face(svc, (const uint8_t *)"x", 1, NULL, NULL, NULL), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_check_out_face(svc, (const uint8_t *)"x", 1, &untouched), LOCKER_RESULT_CONFIG);
  EXPECT(locker_service_check_out_face(svc, NULL, 2, &untouched), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_check_out_face(NULL, (const uint8_t *)"x", 1, &untouched), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_check_out_face(svc, (const uint8_t *)"x", 1, NULL), LOCKER_RESULT_NULL_PARAMETER);

  /* Check-out: a token for another rental is refused (and burnt); the right one ends it. */
  EXPECT(locker_service_issue_qr(svc, "check_out", user, RENTAL, &token), LOCKER_RESULT_OK);
  EXPECT(locker_service_check_out(svc, s.rental_id, token, &untouched), LOCKER_RESULT_TOKEN_INVALID);
  locker_string_free(&token);
  EXPECT(locker_service_issue_qr(svc, "check_out", user, s.rental_id, &token), LOCKER_RESULT_OK);
  locker_session out;
  EXPECT(locker_service_check_out(svc, s.rental_id, token, &out), LOCKER_RESULT_OK);
  CHECK(strcmp(out.state, "completed") == 0 && strcmp(out.locker_code, "A01") == 0);
  CHECK(wait_event(svc, "\"check_out\"", s.rental_id));
  EXPECT(locker_service_check_out(svc, s.rental_id, token, &untouched), LOCKER_RESULT_QR_USED);
  locker_string_free(&token);
  EXPECT(locker_service_check_out(svc, "nope", "x", &untouched), LOCKER_RESULT_VALIDATION);
  EXPECT(locker_service_check_out(NULL, s.rental_id, "x", &untouched), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_check_out(svc, NULL, "x", &untouched), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_check_out(svc, s.rental_id, NULL, &untouched), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_check_out(svc, s.rental_id, "x", NULL), LOCKER_RESULT_NULL_PARAMETER);

  /* Listing and events. */
  EXPECT(locker_service_lockers_json(svc, &json), LOCKER_RESULT_OK);
  CHECK(json != NULL && json[0] == '[' && strstr(json, "\"A01\"") && strstr(json, "\"A02\""));
  CHECK(strstr(json, "\"status\":\"available\"") != NULL);
  locker_string_free(&json);
  EXPECT(locker_service_lockers_json(NULL, &json), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_lockers_json(svc, NULL), LOCKER_RESULT_NULL_PARAMETER);
  drain_events(svc);
  EXPECT(locker_service_next_event(svc, 20, &json), LOCKER_RESULT_EMPTY);
  CHECK(json == NULL);
  EXPECT(locker_service_next_event(NULL, 20, &json), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_service_next_event(svc, 20, NULL), LOCKER_RESULT_NULL_PARAMETER);

  locker_string_free(&user);
  locker_service_free(&svc);
  CHECK(svc == NULL);
  locker_service_free(NULL);

  /* The same database and keys open again; a full cabinet has no locker for a size. */
  service_options(&o, url, keys);
  EXPECT(locker_service_open(&o, &svc), LOCKER_RESULT_OK);
  EXPECT(locker_service_add_user(svc, "Minh", "minh@example.com", &user), LOCKER_RESULT_OK);
  EXPECT(locker_service_issue_qr(svc, "check_in", user, NULL, &token), LOCKER_RESULT_OK);
  EXPECT(locker_service_check_in_qr(svc, token, "large", &untouched), LOCKER_RESULT_NO_AVAILABLE_LOCKER);
  locker_string_free(&token);
  locker_string_free(&user);
  locker_service_free(&svc);
}

/* Face check-in, reopen by face, a stranger refused, check-out by face alone. */
static void test_service_faces(const char *dir, const char *models, const uint8_t *a1, size_t a1_len,
                               const uint8_t *a2, size_t a2_len, const uint8_t *b, size_t b_len) {
  char url[1024], keys[1024];
  snprintf(url, sizeof url, "sqlite:%s/service-face.db", dir);
  snprintf(keys, sizeof keys, "%s/service-keys", dir);
  locker_service_options o;
  service_options(&o, url, keys);
  o.models_dir = models;
  o.sim_person_ms = 50;
  locker_service *svc = NULL;
  EXPECT(locker_service_open(&o, &svc), LOCKER_RESULT_OK);
  if (!svc) return;
  bool faces = false;
  EXPECT(locker_service_has_faces(svc, &faces), LOCKER_RESULT_OK);
  CHECK(faces);
  char *json = NULL;
  EXPECT(locker_service_add_locker(svc, "F01", "small", 1, &json), LOCKER_RESULT_OK);
  locker_string_free(&json);
  locker_session s, r, untouched;
  EXPECT(locker_service_check_in_face(svc, (const uint8_t *)"nope", 4, NULL, NULL, &untouched), LOCKER_RESULT_IMAGE_UNREADABLE);
  EXPECT(locker_service_check_in_face(svc, a1, a1_len, NULL, NULL, &s), LOCKER_RESULT_OK);
  CHECK(strcmp(s.locker_code, "F01") == 0);
  /* The simulated customer opens and shuts the door. */
  CHECK(wait_event(svc, "\"sensor_trigger\"", s.rental_id));
  EXPECT(locker_service_reopen_face(svc, s.rental_id, b, b_len, &untouched), LOCKER_RESULT_FACE_MISMATCH);
  EXPECT(locker_service_reopen_face(svc, s.rental_id, a2, a2_len, &r), LOCKER_RESULT_OK);
  CHECK(r.has_score && r.match_score > 0.28f);
  drain_events(svc);
  EXPECT(locker_service_check_out_face(svc, b, b_len, &untouched), LOCKER_RESULT_FACE_MISMATCH);
  EXPECT(locker_service_check_out_face(svc, a2, a2_len, &r), LOCKER_RESULT_OK);
  CHECK(strcmp(r.rental_id, s.rental_id) == 0 && strcmp(r.state, "completed") == 0 && r.has_score);
  locker_service_free(&svc);
}

static void test_face(const char *dir, const char *models, const char *faces) {
  locker_face_engine *engine = NULL;
  EXPECT(locker_face_engine_new("/nonexistent/models", &engine), LOCKER_RESULT_FACE_MODEL);
  CHECK(engine == NULL);
  EXPECT(locker_face_engine_new(models, NULL), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_face_engine_new(BAD_UTF8, &engine), LOCKER_RESULT_INVALID_UTF8);
  EXPECT(locker_face_engine_new(models, &engine), LOCKER_RESULT_OK);

  char path[1024];
  size_t a1_len = 0, a2_len = 0, b_len = 0;
  snprintf(path, sizeof path, "%s/Cate_Blanchett/1.jpg", faces);
  uint8_t *a1 = read_file(path, &a1_len);
  snprintf(path, sizeof path, "%s/Cate_Blanchett/2.jpg", faces);
  uint8_t *a2 = read_file(path, &a2_len);
  snprintf(path, sizeof path, "%s/Al_Sharpton/1.jpg", faces);
  uint8_t *b = read_file(path, &b_len);
  CHECK(a1 && a2 && b);
  if (!(a1 && a2 && b)) goto out;

  locker_face_box boxes[8];
  size_t n = 0;
  EXPECT(locker_face_engine_detect(engine, a1, a1_len, boxes, 8, &n), LOCKER_RESULT_OK);
  CHECK(n >= 1 && boxes[0].w > 20 && boxes[0].score > 0.5f);
  EXPECT(locker_face_engine_detect(engine, a1, a1_len, boxes, 0, &n), LOCKER_RESULT_BUFFER_TOO_SMALL);
  EXPECT(locker_face_engine_detect(engine, (const uint8_t *)"nope", 4, boxes, 8, &n), LOCKER_RESULT_IMAGE_UNREADABLE);
  EXPECT(locker_face_engine_detect(engine, NULL, 0, boxes, 8, &n), LOCKER_RESULT_IMAGE_EMPTY);
  EXPECT(locker_face_engine_detect(NULL, a1, a1_len, boxes, 8, &n), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_face_engine_detect(engine, a1, a1_len, NULL, 8, &n), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_face_engine_detect(engine, a1, a1_len, boxes, 8, NULL), LOCKER_RESULT_NULL_PARAMETER);

  locker_embedding e1, e2, eb;
  EXPECT(locker_face_engine_embed(engine, a1, a1_len, LOCKER_PICK_CENTRAL, &e1), LOCKER_RESULT_OK);
  EXPECT(locker_face_engine_embed(engine, a2, a2_len, LOCKER_PICK_CENTRAL, &e2), LOCKER_RESULT_OK);
  EXPECT(locker_face_engine_embed(engine, b, b_len, LOCKER_PICK_CENTRAL, &eb), LOCKER_RESULT_OK);
  EXPECT(locker_face_engine_embed(engine, a1, a1_len, 7, &e1), LOCKER_RESULT_VALIDATION);
  EXPECT(locker_face_engine_embed(engine, (const uint8_t *)"nope", 4, 0, &e1), LOCKER_RESULT_IMAGE_UNREADABLE);
  EXPECT(locker_face_engine_embed(NULL, a1, a1_len, 0, &e1), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_face_engine_embed(engine, a1, a1_len, 0, NULL), LOCKER_RESULT_NULL_PARAMETER);
  float same = 0, other = 0;
  EXPECT(locker_embedding_cosine(&e1, &e2, &same), LOCKER_RESULT_OK);
  EXPECT(locker_embedding_cosine(&e1, &eb, &other), LOCKER_RESULT_OK);
  CHECK(same > other);
  CHECK(same > 0.28f);
  EXPECT(locker_embedding_cosine(NULL, &e2, &same), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_embedding_cosine(&e1, &e2, NULL), LOCKER_RESULT_NULL_PARAMETER);
  locker_embedding zero;
  memset(&zero, 0, sizeof zero);
  EXPECT(locker_embedding_cosine(&zero, &e2, &same), LOCKER_RESULT_VALIDATION);

  float score = 0;
  EXPECT(locker_face_engine_verify(engine, a2, a2_len, &e1, &score), LOCKER_RESULT_OK);
  CHECK(score > 0.28f);
  float untouched = -7;
  EXPECT(locker_face_engine_verify(engine, b, b_len, &e1, &untouched), LOCKER_RESULT_FACE_MISMATCH);
  CHECK(untouched == -7);
  EXPECT(locker_face_engine_verify(engine, a2, a2_len, NULL, &score), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_face_engine_verify(engine, a2, a2_len, &e1, NULL), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_face_engine_verify(NULL, a2, a2_len, &e1, &score), LOCKER_RESULT_NULL_PARAMETER);

  /* Gallery: enroll two people, identify, remove. */
  locker_gallery *gallery = NULL;
  EXPECT(locker_gallery_new(&gallery), LOCKER_RESULT_OK);
  EXPECT(locker_gallery_new(NULL), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_gallery_add(gallery, "cate", &e1), LOCKER_RESULT_OK);
  EXPECT(locker_gallery_add(gallery, "al", &eb), LOCKER_RESULT_OK);
  EXPECT(locker_gallery_add(gallery, "", &eb), LOCKER_RESULT_VALIDATION);
  EXPECT(locker_gallery_add(gallery, BAD_UTF8, &eb), LOCKER_RESULT_INVALID_UTF8);
  EXPECT(locker_gallery_add(gallery, "x", NULL), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_gallery_add(NULL, "x", &eb), LOCKER_RESULT_NULL_PARAMETER);
  char long_id[100];
  memset(long_id, 'x', 99);
  long_id[99] = 0;
  EXPECT(locker_gallery_add(gallery, long_id, &eb), LOCKER_RESULT_VALIDATION);
  size_t people = 0;
  EXPECT(locker_gallery_len(gallery, &people), LOCKER_RESULT_OK);
  CHECK(people == 2);
  EXPECT(locker_gallery_len(NULL, &people), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_gallery_len(gallery, NULL), LOCKER_RESULT_NULL_PARAMETER);
  locker_match m;
  EXPECT(locker_gallery_identify(gallery, &e2, 0.28f, &m), LOCKER_RESULT_OK);
  CHECK(strcmp(m.id, "cate") == 0 && m.score > 0.28f);
  EXPECT(locker_gallery_identify(gallery, &e2, 1.01f, &m), LOCKER_RESULT_FACE_MISMATCH);
  EXPECT(locker_gallery_identify(NULL, &e2, 0.3f, &m), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_gallery_identify(gallery, NULL, 0.3f, &m), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_gallery_identify(gallery, &e2, 0.3f, NULL), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_gallery_remove(gallery, "cate"), LOCKER_RESULT_OK);
  EXPECT(locker_gallery_remove(gallery, "cate"), LOCKER_RESULT_NOT_FOUND);
  EXPECT(locker_gallery_remove(NULL, "cate"), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_gallery_remove(gallery, NULL), LOCKER_RESULT_NULL_PARAMETER);
  EXPECT(locker_gallery_len(gallery, &people), LOCKER_RESULT_OK);
  CHECK(people == 1);
  EXPECT(locker_gallery_identify(gallery, &e2, 0.45f, &m), LOCKER_RESULT_FACE_MISMATCH);
  locker_gallery_free(&gallery);
  CHECK(gallery == NULL);
  locker_gallery_free(NULL);

  test_service_faces(dir, models, a1, a1_len, a2, a2_len, b, b_len);

out:
  free(a1);
  free(a2);
  free(b);
  locker_face_engine_free(&engine);
  CHECK(engine == NULL);
  locker_face_engine_free(NULL);
}

int main(void) {
  const char *dir = getenv("LOCKER_TEST_DIR");
  if (!dir) {
    fprintf(stderr, "LOCKER_TEST_DIR is not set\n");
    return 2;
  }
  test_errors_and_version();
  test_qr();
  test_tokens(dir);
  test_frames();
  test_simulator();
  test_serial();
  test_service(dir);

  const char *models = getenv("LOCKER_MODELS_DIR");
  const char *faces = getenv("LOCKER_FACES_DIR");
  char probe[1024];
  snprintf(probe, sizeof probe, "%s/yunet_dynamic.onnx", models ? models : "");
  if (getenv("LOCKER_TEST_SKIP_FACES")) {
    fprintf(stderr, "skipping the face tests: LOCKER_TEST_SKIP_FACES is set\n");
  } else if (models && faces && access(probe, R_OK) == 0) {
    test_face(dir, models, faces);
  } else if (getenv("LOCKER_REQUIRE_MODELS") && strcmp(getenv("LOCKER_REQUIRE_MODELS"), "1") == 0) {
    fprintf(stderr, "face models or photos missing (LOCKER_MODELS_DIR=%s, LOCKER_FACES_DIR=%s)\n",
            models ? models : "(unset)", faces ? faces : "(unset)");
    failed++;
  } else {
    fprintf(stderr, "skipping the face tests: no models at %s\n", probe);
  }

  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
