//! The rental flows: check-in, reopen, check-out, force-open and status changes.

use serde::Serialize;
use serde_json::json;

use crate::alloc::AllocationRequest;
use crate::domain::{
    AuthMethod, Id, Locker, LockerSize, LockerStatus, NewAlert, NewTxLog, Rental, RentalEvent, RentalKind, RentalState,
    Timestamp, TxAction,
};
use crate::ports::NewRental;
use crate::token::qr::QrAction;
use crate::{Error, Result};

use super::credential::Checked;
use super::doors::{Unlock, door_busy};
use super::transition::LogCtx;
use super::{LockerService, Proof, ServiceEvent};

/// A walk-up check-in.
#[derive(Debug, Clone)]
pub struct CheckInRequest {
    /// QR token or face photo.
    pub proof: Proof,
    /// The caller's account when the request carried an access token (face check-in of a
    /// registered user); a QR token names its user itself.
    pub user: Option<Id>,
    /// The size wanted; the service default when `None`. Larger sizes are given when none
    /// of this size is free.
    pub size: Option<LockerSize>,
}

/// A started rental: the rental (`Opening` until the door closes) and its locker.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckIn {
    /// The rental.
    pub rental: Rental,
    /// The locker given.
    pub locker: Locker,
}

/// A reopened rental.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reopened {
    /// The rental, with `last_access_at` stamped.
    pub rental: Rental,
    /// Its locker.
    pub locker: Locker,
    /// The face match score, when opened by face.
    pub match_score: Option<f32>,
}

/// An ended rental.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckedOut {
    /// The rental, `Completed`.
    pub rental: Rental,
    /// Its locker (free again).
    pub locker: Locker,
    /// The face match score, when by face.
    pub match_score: Option<f32>,
}

/// A force-open done.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForceOpened {
    /// The locker.
    pub locker: Locker,
    /// When the relay was fired.
    pub command_sent_at: Timestamp,
}

/// What to do with a just-opened rental whose relay could not be fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnUnlockFailure {
    /// Cancel it (nothing was paid).
    Cancel,
    /// Keep it and raise a `lock_jam` alert (a paid order: staff opens by hand).
    CallStaff,
}

impl LockerService {
    /// Starts a walk-up rental: verifies the QR token or face, allocates a locker and
    /// creates the rental in `Opening` in one transaction, stores the face template, then
    /// fires the relay. If the relay cannot be fired the rental is cancelled and the locker
    /// freed. A QR token naming a reserved rental opens that rental instead.
    pub async fn check_in(&self, request: CheckInRequest) -> Result<CheckIn> {
        let method = request.proof.method();
        #[cfg(feature = "face")]
        let mut embedding = None;
        let user_id = match &request.proof {
            Proof::Qr(token) => {
                let claims = self.redeem_qr(token, QrAction::CheckIn).await?;
                if let Some(rental_id) = claims.rental_id {
                    return self.open_reserved(rental_id, claims.user_id).await;
                }
                Some(claims.user_id)
            }
            #[cfg(feature = "face")]
            Proof::Face(bytes) => {
                embedding = Some(self.embed(bytes.clone()).await?);
                request.user
            }
        };
        if let Some(user) = user_id {
            let account = self.store().get_user(user).await?;
            if !account.active {
                return Err(crate::token::TokenError::Invalid.into());
            }
        }
        let mut allocation = AllocationRequest {
            station: self.config.station.clone(),
            ..AllocationRequest::new(request.size.unwrap_or(self.config.default_size))
        };
        let mut attempt = 1;
        loop {
            // A locker just checked out is free in the database while its door still runs
            // the previous renter's unlock: skip those.
            allocation.avoid.extend(self.busy_doors());
            let now = self.now();
            let new = NewRental {
                user_id,
                kind: RentalKind::Session,
                state: RentalState::Opening,
                auth_method: method,
                half_hours: 0,
                amount: crate::domain::Money(0),
                started_at: Some(now),
                paid_until: None,
            };
            let log = self.log_row(TxAction::CheckIn, LogCtx::person(user_id, method, None), None, None);
            let (rental, locker) = self.store().allocate_and_create_rental(&allocation, new, log, now).await?;
            #[cfg(feature = "face")]
            if let Some(embedding) = &embedding
                && let Err(e) = self.store_rental_template(&rental, embedding).await
            {
                self.abandon(&rental, &locker, &e).await;
                return Err(e);
            }
            match self.unlock_for_new_renter(&locker, rental.id).await {
                Ok(Unlock::Fired | Unlock::Joined) => {
                    self.emit(ServiceEvent::session(&rental, TxAction::CheckIn, &locker));
                    self.emit(ServiceEvent::locker(&locker));
                    return Ok(CheckIn { rental, locker });
                }
                // Its door got busy between the choice and the unlock (a check-out raced
                // us): give the rental up and choose again, a bounded number of times.
                Ok(Unlock::Busy) if attempt < Self::CHECK_IN_ATTEMPTS => {
                    tracing::info!(locker = %locker.code, "door busy at check-in; choosing another locker");
                    self.abandon(&rental, &locker, &door_busy(&locker)).await;
                    allocation.avoid.push(locker.id);
                    attempt += 1;
                }
                Ok(Unlock::Busy) => {
                    self.abandon(&rental, &locker, &door_busy(&locker)).await;
                    return Err(door_busy(&locker));
                }
                Err(e) => {
                    self.abandon(&rental, &locker, &e).await;
                    return Err(e);
                }
            }
        }
    }

    /// How many lockers a check-in tries when the chosen one's door turns out busy.
    const CHECK_IN_ATTEMPTS: u32 = 3;

    /// Opens a reserved (paid) rental for its renter.
    async fn open_reserved(&self, rental_id: Id, user: Id) -> Result<CheckIn> {
        let rental = self.store().get_rental(rental_id).await?;
        if rental.user_id != Some(user) {
            return Err(crate::token::TokenError::Invalid.into());
        }
        self.open_paid(rental, Some(user), AuthMethod::QrCode, OnUnlockFailure::Cancel).await
    }

    /// `Reserved` -> `Opening` with the unlock; if the relay fails, the rental is cancelled
    /// or, for a paid order, left for staff with a `lock_jam` alert.
    async fn open_paid(
        &self,
        rental: Rental,
        actor: Option<Id>,
        method: AuthMethod,
        on_failure: OnUnlockFailure,
    ) -> Result<CheckIn> {
        let ctx = LogCtx::person(actor, method, None);
        // The renter is at the door: the locker is in use from now, not reserved.
        let rental = self.transition(&rental, RentalEvent::Open, Some(LockerStatus::InUse), ctx).await?;
        let locker = self.store().get_locker(rental.locker_id).await?;
        if let Err(e) = self.unlock_for_holder(&locker, Some(rental.id)).await {
            match on_failure {
                OnUnlockFailure::Cancel => self.abandon(&rental, &locker, &e).await,
                OnUnlockFailure::CallStaff => {
                    let message =
                        format!("Locker {}: paid order opened but the door could not be unlocked ({e})", locker.code);
                    let alert = NewAlert {
                        locker_id: Some(locker.id),
                        ..NewAlert::new(crate::domain::AlertKind::LockJam, message)
                    };
                    self.raise(alert, Some(&locker)).await?;
                }
            }
            return Err(e);
        }
        self.emit(ServiceEvent::session(&rental, TxAction::OpenByCode, &locker));
        Ok(CheckIn { rental, locker })
    }

    /// A paid order opened by its pickup code (already checked by the caller) through an
    /// attached controller: a `Reserved` rental is opened (`Opening` until the door closes),
    /// an `Active` one checked out (`Completed`, locker free). Other states are a
    /// transition error.
    pub async fn open_by_pickup(&self, rental_id: Id, actor: Option<Id>) -> Result<Rental> {
        let rental = self.store().get_rental(rental_id).await?;
        match rental.state {
            RentalState::Active => {
                let checked = Checked { user_id: actor, score: None };
                Ok(self.finish(rental, AuthMethod::PickupCode, checked).await?.rental)
            }
            _ => Ok(self.open_paid(rental, actor, AuthMethod::PickupCode, OnUnlockFailure::CallStaff).await?.rental),
        }
    }

    /// Cancels a rental whose door could not be opened, freeing its locker.
    async fn abandon(&self, rental: &Rental, locker: &Locker, cause: &Error) {
        let ctx = LogCtx::system(json!({ "reason": cause.to_string() }));
        match self.transition(rental, RentalEvent::Cancel, None, ctx).await {
            Ok(rental) => self.emit(ServiceEvent::session(&rental, TxAction::Cancel, locker)),
            Err(e) => tracing::error!(rental = %rental.id, error = %e, "could not cancel a rental whose door failed"),
        }
    }

    /// Reopens an active rental ("update"): checks the proof against it, stamps
    /// `last_access_at`, fires the relay.
    pub async fn reopen(&self, rental_id: Id, proof: Proof, user: Option<Id>) -> Result<Reopened> {
        let rental = self.session(rental_id).await?;
        let Checked { user_id, score } =
            self.check_proof(&rental, &proof, QrAction::Update, RentalEvent::Reopen, user).await?;
        let locker = self.store().get_locker(rental.locker_id).await?;
        let ctx = LogCtx::person(user_id, proof.method(), score);
        let rental = self.transition(&rental, RentalEvent::Reopen, None, ctx).await?;
        self.unlock_for_holder(&locker, None).await?;
        self.emit(ServiceEvent::session(&rental, TxAction::Update, &locker));
        Ok(Reopened { rental, locker, match_score: score })
    }

    /// Ends an active rental: checks the proof against it, fires the relay (unless an unlock
    /// of its door is already in flight), then commits the check-out (rental `Completed`,
    /// locker `available`, guest template deleted). If the relay cannot be fired the rental
    /// stays active and the error says why.
    pub async fn check_out(&self, rental_id: Id, proof: Proof, user: Option<Id>) -> Result<CheckedOut> {
        let rental = self.session(rental_id).await?;
        let checked = self.check_proof(&rental, &proof, QrAction::CheckOut, RentalEvent::CheckOut, user).await?;
        self.finish(rental, proof.method(), checked).await
    }

    /// Check-out by face alone: identifies the rental among this kiosk's active face
    /// rentals (open-set threshold), then ends it. A face matching none is `FACE_MISMATCH`.
    #[cfg(feature = "face")]
    pub async fn check_out_by_face(&self, photo: Vec<u8>) -> Result<CheckedOut> {
        use crate::face::store::rental_context;
        use crate::face::{FaceError, Gallery, template};
        let started = std::time::Instant::now();
        let probe = self.embed(photo).await?;
        let threshold = self.face_engine()?.config().thresholds.identify;
        let filter = crate::ports::RentalFilter { live_only: true, ..Default::default() };
        let live = crate::ports::all_pages(|page| self.store().list_rentals(&filter, page)).await?;
        let mut gallery = Gallery::new();
        for rental in live.iter().filter(|r| r.state == RentalState::Active) {
            if let Some(sealed) = self.stores.faces.get_guest_template(rental.id).await? {
                let embedding = template::open(&self.template_keys, &sealed, &rental_context(rental.id))?;
                gallery.enroll(&rental.id.to_string(), [&embedding]);
            }
        }
        let best = gallery.top_k(&probe, 1).into_iter().next();
        crate::telemetry::face_match("identify", started.elapsed());
        let best_score = best.as_ref().map_or(0.0, |m| m.score);
        let Some(best) = best.filter(|m| m.score >= threshold) else {
            return Err(FaceError::Mismatch { score: best_score }.into());
        };
        let rental_id: Id = best.id.parse().map_err(|_| Error::not_found("session", &best.id))?;
        let rental = self.session(rental_id).await?;
        let checked = Checked { user_id: rental.user_id, score: Some(best.score) };
        self.finish(rental, AuthMethod::FaceId, checked).await
    }

    /// Fires the relay, then commits the check-out. The unlock comes first so a relay that
    /// cannot be fired (controller gone) leaves the rental active for a retry, instead of
    /// ending it with the things still locked in. A door cycle still running (a reopen whose
    /// door has not shut yet) is waited for, then joined: no second pulse.
    async fn finish(&self, rental: Rental, method: AuthMethod, checked: Checked) -> Result<CheckedOut> {
        let locker = self.store().get_locker(rental.locker_id).await?;
        rental.apply(RentalEvent::CheckOut, self.now())?;
        if self.unlock_for_holder(&locker, None).await? == Unlock::Joined {
            tracing::info!(locker = %locker.code, "check-out joins the door cycle still running");
        }
        let ctx = LogCtx::person(checked.user_id, method, checked.score);
        let rental = self.transition(&rental, RentalEvent::CheckOut, None, ctx).await?;
        #[cfg(feature = "face")]
        self.stores.faces.delete_guest_template(rental.id).await?;
        let locker = self.store().get_locker(locker.id).await?;
        self.emit(ServiceEvent::session(&rental, TxAction::CheckOut, &locker));
        self.emit(ServiceEvent::locker(&locker));
        Ok(CheckedOut { rental, locker, match_score: checked.score })
    }

    /// A walk-up rental by id (`SESSION_NOT_FOUND` otherwise).
    async fn session(&self, rental_id: Id) -> Result<Rental> {
        self.store().get_rental(rental_id).await.map_err(|e| match e {
            Error::NotFound { .. } => Error::not_found("session", rental_id),
            other => other,
        })
    }

    /// Staff override: fires the relay of `locker_id` whatever its state, logged with the
    /// admin and the reason.
    pub async fn force_open(&self, locker_id: Id, admin: Id, reason: &str) -> Result<ForceOpened> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::validation("reason", "must not be empty"));
        }
        let locker = self.store().get_locker(locker_id).await?;
        let ctx = LogCtx::admin(admin, reason);
        let rental = self.live_rental(locker.id).await?.map(|r| r.id);
        self.store().append_log(self.log_row(TxAction::ForceOpen, ctx, Some(locker.id), rental)).await?;
        self.unlock_for_staff(&locker).await?;
        let command_sent_at = self.now();
        let locker = self.store().get_locker(locker.id).await?;
        Ok(ForceOpened { locker, command_sent_at })
    }

    /// Staff status change: `maintenance` (refused while a rental holds the locker) or
    /// `available` (back in service). Other statuses belong to rentals.
    pub async fn set_status(&self, locker_id: Id, status: LockerStatus, reason: &str, admin: Id) -> Result<Locker> {
        let locker = self.store().get_locker(locker_id).await?;
        if !matches!(status, LockerStatus::Maintenance | LockerStatus::Available) {
            return Err(Error::validation("status", "only maintenance or available can be set by hand"));
        }
        if self.live_rental(locker.id).await?.is_some() {
            return Err(Error::LockerInUse(locker.code));
        }
        let locker = match status {
            LockerStatus::Maintenance => self.to_maintenance(&locker, reason, Some(admin)).await?,
            _ => {
                let log = NewTxLog {
                    device: Some(self.config.kiosk.clone()),
                    ..NewTxLog::status_change(&locker, status, reason, self.now()).by_admin(admin)
                };
                let locker = self.store().set_locker_status(locker.id, status, log, self.now()).await?;
                self.emit(ServiceEvent::locker(&locker));
                locker
            }
        };
        Ok(locker)
    }
}
