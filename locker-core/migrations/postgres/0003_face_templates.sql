-- Sealed face templates (AES-256-GCM ciphertext + key id; never plain embeddings).
CREATE TABLE user_face_templates (
    user_id    UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    key_id     TEXT NOT NULL CHECK (length(key_id) BETWEEN 1 AND 64),
    ciphertext BYTEA NOT NULL CHECK (length(ciphertext) > 28),
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE guest_face_templates (
    rental_id  UUID PRIMARY KEY REFERENCES rentals (id) ON DELETE CASCADE,
    key_id     TEXT NOT NULL CHECK (length(key_id) BETWEEN 1 AND 64),
    ciphertext BYTEA NOT NULL CHECK (length(ciphertext) > 28),
    created_at TIMESTAMPTZ NOT NULL
);

-- A guest's biometric template lives no longer than the rental.
CREATE FUNCTION guest_face_templates_end_with_rental() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM guest_face_templates WHERE rental_id = NEW.id;
    RETURN NEW;
END;
$$;

CREATE TRIGGER guest_face_templates_end_with_rental
AFTER UPDATE OF state ON rentals
FOR EACH ROW WHEN (NEW.state IN ('completed', 'cancelled', 'expired'))
EXECUTE FUNCTION guest_face_templates_end_with_rental();
