//! What a person shows at the kiosk, and how the service checks it against a rental.

use crate::domain::{AuthMethod, Id, Rental, RentalEvent, Timestamp};
use crate::token::TokenError;
use crate::token::qr::{QrAction, QrClaims};
use crate::{Error, Result};

use super::LockerService;

/// Proof of identity presented at the kiosk.
#[derive(Clone, PartialEq, Eq)]
pub enum Proof {
    /// A dynamic QR token from the app (base64url text).
    Qr(String),
    /// A photo (JPEG or PNG bytes) from the kiosk camera.
    #[cfg(feature = "face")]
    Face(Vec<u8>),
}

impl std::fmt::Debug for Proof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Tokens are credentials and photos are biometric data: neither is printed.
        match self {
            Proof::Qr(_) => f.write_str("Proof::Qr(<redacted>)"),
            #[cfg(feature = "face")]
            Proof::Face(bytes) => write!(f, "Proof::Face({} bytes)", bytes.len()),
        }
    }
}

impl Proof {
    /// The auth method this proof stands for in rentals and logs.
    pub fn method(&self) -> AuthMethod {
        match self {
            Proof::Qr(_) => AuthMethod::QrCode,
            #[cfg(feature = "face")]
            Proof::Face(_) => AuthMethod::FaceId,
        }
    }
}

/// A checked proof: who (if known) and the face match score (if by face).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Checked {
    pub user_id: Option<Id>,
    pub score: Option<f32>,
}

impl LockerService {
    /// Verifies a QR token for `action` and burns it (single use). The token is burnt before
    /// anything else is compared, so a token tried against the wrong rental is spent too.
    pub(super) async fn redeem_qr(&self, token: &str, action: QrAction) -> Result<QrClaims> {
        let now = self.now();
        let claims = self.verify_qr(token, action, now)?;
        self.spend_qr(&claims, now).await?;
        Ok(claims)
    }

    /// Verifies a QR token for `action` without spending it.
    fn verify_qr(&self, token: &str, action: QrAction, now: Timestamp) -> Result<QrClaims> {
        let claims = self.qr.verify(token.trim(), now)?;
        if claims.action != action {
            return Err(Error::validation("qr_token", format!("this QR token is for {}, not {action}", claims.action)));
        }
        Ok(claims)
    }

    /// Spends a verified QR token (a second use is `QR_USED`).
    async fn spend_qr(&self, claims: &QrClaims, now: Timestamp) -> Result<()> {
        self.tokens().mark_qr_used(&claims.token_id, claims.expires_at, now).await
    }

    /// Checks `proof` against an existing `rental` for `action` (reopen or check-out),
    /// which will then take `event`. `user` is the caller's account when the request also
    /// carried an access token: it must then be the renter's.
    ///
    /// A renter's valid QR token presented while the live rental cannot take `event` yet
    /// (its door cycle still running) is refused with the state error and *not* spent: the
    /// kiosk retries with the same code, and a refusal costs no write. On an ended rental
    /// the token is spent first, so a replay is `QR_USED`. A token that does not
    /// belong to the rental is spent before the refusal, as [`Self::redeem_qr`] says.
    pub(super) async fn check_proof(
        &self,
        rental: &Rental,
        proof: &Proof,
        action: QrAction,
        event: RentalEvent,
        user: Option<Id>,
    ) -> Result<Checked> {
        if let Some(user) = user
            && rental.user_id != Some(user)
        {
            return Err(Error::not_found("session", rental.id));
        }
        match proof {
            Proof::Qr(token) => {
                let now = self.now();
                let claims = self.verify_qr(token, action, now)?;
                let renters = claims.rental_id == Some(rental.id) && rental.user_id == Some(claims.user_id);
                if renters && rental.state.is_live() {
                    rental.apply(event, now)?;
                }
                self.spend_qr(&claims, now).await?;
                if !renters {
                    return Err(TokenError::Invalid.into());
                }
                Ok(Checked { user_id: Some(claims.user_id), score: None })
            }
            #[cfg(feature = "face")]
            Proof::Face(bytes) => {
                let started = std::time::Instant::now();
                let probe = self.embed(bytes.clone()).await?;
                let template = self.rental_template(rental).await?;
                let threshold = self.face_engine()?.config().thresholds.verify;
                let score = crate::face::gallery::check(&probe, &template, threshold);
                crate::telemetry::face_match("verify", started.elapsed());
                Ok(Checked { user_id: rental.user_id, score: Some(score?) })
            }
        }
    }
}

#[cfg(feature = "face")]
mod face {
    use crate::domain::Rental;
    use crate::face::store::{rental_context, user_context};
    use crate::face::{Embedding, FaceEngine, Pick, template};
    use crate::{Error, Result};

    use super::LockerService;

    impl LockerService {
        pub(in crate::service) fn face_engine(&self) -> Result<&FaceEngine> {
            self.faces.as_ref().ok_or_else(crate::service::faces::not_enabled)
        }

        /// Detects the one face of the photo (the central one, as the camera aims at the
        /// customer) and embeds it, off the async threads.
        pub(in crate::service) async fn embed(&self, bytes: Vec<u8>) -> Result<Embedding> {
            crate::service::faces::embed(self.face_engine()?, bytes, Pick::Central).await
        }

        /// Seals `embedding` as the template of `rental` (deleted when the rental ends).
        pub(in crate::service) async fn store_rental_template(
            &self,
            rental: &Rental,
            embedding: &Embedding,
        ) -> Result<()> {
            let key = crate::service::faces::sealing_key(&self.template_keys)?;
            let sealed = template::seal(key, embedding, &rental_context(rental.id));
            self.stores.faces.put_guest_template(rental.id, &sealed, self.now()).await
        }

        /// The template to compare against for `rental`: the one stored at check-in, else the
        /// renter's registered face.
        pub(in crate::service) async fn rental_template(&self, rental: &Rental) -> Result<Embedding> {
            if let Some(sealed) = self.stores.faces.get_guest_template(rental.id).await? {
                return Ok(template::open(&self.template_keys, &sealed, &rental_context(rental.id))?);
            }
            if let Some(user) = rental.user_id
                && let Some(sealed) = self.stores.faces.get_user_template(user).await?
            {
                return Ok(template::open(&self.template_keys, &sealed, &user_context(user))?);
            }
            Err(Error::validation("face_image", "this session was not started by face; use its QR code"))
        }
    }
}
