-- Sealed face templates (AES-256-GCM ciphertext + key id; never plain embeddings).
CREATE TABLE user_face_templates (
    user_id    TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key_id     TEXT NOT NULL CHECK (length(key_id) BETWEEN 1 AND 64),
    ciphertext BLOB NOT NULL CHECK (length(ciphertext) > 28),
    updated_at TEXT NOT NULL
);

CREATE TABLE guest_face_templates (
    rental_id  TEXT PRIMARY KEY NOT NULL REFERENCES rentals (id) ON DELETE CASCADE,
    key_id     TEXT NOT NULL CHECK (length(key_id) BETWEEN 1 AND 64),
    ciphertext BLOB NOT NULL CHECK (length(ciphertext) > 28),
    created_at TEXT NOT NULL
);

-- A guest's biometric template lives no longer than the rental.
CREATE TRIGGER guest_face_templates_end_with_rental
AFTER UPDATE OF state ON rentals
WHEN NEW.state IN ('completed', 'cancelled', 'expired')
BEGIN
    DELETE FROM guest_face_templates WHERE rental_id = NEW.id;
END;
