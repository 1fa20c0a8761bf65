//! The one handle on an open store that the long-running parts (`watch`, `serve`, the notifier,
//! the live preview) share: clones are the same store, calls run one at a time, and async callers
//! run them on the blocking pool so an SQLite call that waits on another process's lock never
//! stalls the async workers.

use std::sync::{Arc, Mutex, MutexGuard};

use super::{Store, StoreError};

/// A shared, open store.
#[derive(Clone)]
pub struct SharedStore(Arc<Mutex<Store>>, Arc<std::path::PathBuf>);

impl SharedStore {
    pub fn new(store: Store) -> SharedStore {
        let path = Arc::new(store.path().to_path_buf());
        SharedStore(Arc::new(Mutex::new(store)), path)
    }

    /// The store, locked on this thread: for synchronous callers (a blocking task, a test). A
    /// panic in another holder leaves the store as SQLite left it (each write is one
    /// transaction), so a poisoned lock is taken over rather than spread.
    pub fn lock(&self) -> MutexGuard<'_, Store> {
        model::sync::lock(&self.0)
    }

    /// Run `f` on the store off the async workers. A panic in `f` is raised here.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.clone();
        let store_path = self.1.as_ref().clone();
        match tokio::task::spawn_blocking(move || f(&mut store.lock())).await {
            Ok(r) => r,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // The runtime is shutting down (a command that stops early): not run, not a panic.
            Err(e) => Err(StoreError::Io {
                path: store_path,
                source: std::io::Error::other(format!("not run: {e}")),
            }),
        }
    }
}
