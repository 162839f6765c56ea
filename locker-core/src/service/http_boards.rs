//! [`HttpBoards`]: one [`CommandQueueBoard`] attached to the service for every controller
//! that polls over HTTP, so that a cabinet is always opened through the service and every
//! door report goes through its door machines, whatever the board.
//!
//! A controller is taken to poll over HTTP when the service has no other driver for it
//! (a UART or simulated controller is attached by the shell before serving). Boards are
//! attached for every active controller at start ([`HttpBoards::attach_all`]) and, for a
//! controller registered later (`locker controllers add` writes to the database from
//! another process), the first time it is met: when it reports ([`HttpBoards::board`]) or
//! when the service unlocks one of its lockers (the service asks the boards it serves for
//! a driver it does not have), so no handler chooses between the paths.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::controller::command_queue::CommandQueueBoard;
use crate::domain::Id;
use crate::ports::{OrderStore, Page, all_pages};
use crate::{Error, Result};

use super::LockerService;

/// The boards polling over HTTP, attached to one service.
pub struct HttpBoards {
    service: Arc<LockerService>,
    queue: Arc<dyn OrderStore>,
    boards: Mutex<HashMap<Id, Arc<CommandQueueBoard>>>,
}

impl std::fmt::Debug for HttpBoards {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpBoards").finish_non_exhaustive()
    }
}

impl HttpBoards {
    /// Boards for `service`, queueing their commands in `queue` (the service's database).
    /// The service gets the board of a controller it has no driver for from them (the
    /// service holds them weakly: they live as long as the caller keeps them).
    pub fn new(service: Arc<LockerService>, queue: Arc<dyn OrderStore>) -> Arc<Self> {
        let boards = Arc::new(Self { service: service.clone(), queue, boards: Mutex::new(HashMap::new()) });
        *service.http_boards.write().unwrap_or_else(|e| e.into_inner()) = Arc::downgrade(&boards);
        boards
    }

    /// The service the boards are attached to.
    pub fn service(&self) -> &Arc<LockerService> {
        &self.service
    }

    /// Attaches a board for every active controller the service has no driver for.
    /// Returns how many were attached.
    pub async fn attach_all(&self) -> Result<usize> {
        let controllers = all_pages(|page: Page| self.service.store().list_controllers(page)).await?;
        let mut attached = 0;
        for controller in controllers.into_iter().filter(|c| c.active) {
            if !self.service.drives(controller.id) {
                self.board(controller.id)?;
                attached += 1;
            }
        }
        Ok(attached)
    }

    /// The board of controller `controller_id`, attached to the service the first time.
    /// [`Error::Conflict`] when the service drives that controller otherwise (UART): it
    /// does not poll over HTTP.
    pub fn board(&self, controller_id: Id) -> Result<Arc<CommandQueueBoard>> {
        let mut boards = self.boards.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(board) = boards.get(&controller_id) {
            return Ok(board.clone());
        }
        if self.service.drives(controller_id) {
            return Err(Error::Conflict(format!(
                "controller {controller_id} is driven over its own line; it does not poll over HTTP"
            )));
        }
        let board = Arc::new(CommandQueueBoard::new(
            controller_id,
            self.service.store().clone(),
            self.queue.clone(),
            self.service.clock.clone(),
        ));
        self.service.attach_controller(controller_id, board.clone());
        boards.insert(controller_id, board.clone());
        tracing::info!(controller = %controller_id, "board polling over HTTP attached");
        Ok(board)
    }
}
